package dev.anvil.tokenizer.bpe;

import java.util.Arrays;

/**
 * Encodes one pre-token piece with tiktoken's byte-pair merge: start from single bytes and repeatedly
 * merge the adjacent pair whose concatenation has the lowest id (rank), the leftmost one on ties, until
 * no adjacent concatenation is a token. A piece that is itself a token is emitted at once.
 *
 * <p>Short pieces use tiktoken's array scan (quadratic, but tiny); long pieces (long whitespace runs,
 * base64, minified code) use a linked list of parts with a min-heap keyed by (rank, position) and lazy
 * deletion, which makes the same choices in O(n log n). Multi-token pieces are remembered in a bounded
 * cache: real text repeats its words. One instance per thread (it holds scratch space).
 */
public final class BytePairMerger {
    private static final int HEAP_THRESHOLD = 96;
    private static final int CACHE_LIMIT = 1 << 16;

    private final TokenTable table;
    private int[] start = new int[HEAP_THRESHOLD + 2];
    private int[] rank = new int[HEAP_THRESHOLD + 2];

    private ByteSequenceIndex cache = new ByteSequenceIndex();
    private int[] cacheOffset = new int[1024];
    private int[] cacheIds = new int[4096];
    private int cacheIdsSize;

    public BytePairMerger(TokenTable table) {
        this.table = table;
    }

    /** Appends the ids of piece {@code s[from, to)} to {@code out}. */
    public void encodePiece(byte[] s, int from, int to, TokenBuffer out) {
        int n = to - from;
        int whole = table.id(s, from, n);
        if (whole >= 0) {
            out.add(whole);
            return;
        }
        int e = cache.find(s, from, n);
        if (e >= 0) {
            out.addAll(cacheIds, cacheOffset[e], cacheOffset[e + 1]);
            return;
        }
        int before = out.size();
        if (n <= HEAP_THRESHOLD) mergeByScan(s, from, n, out);
        else mergeByHeap(s, from, n, out);
        remember(s, from, n, out, before);
    }

    private void remember(byte[] s, int from, int n, TokenBuffer out, int before) {
        if (cache.size() >= CACHE_LIMIT) {
            cache = new ByteSequenceIndex();
            cacheIdsSize = 0;
        }
        int count = out.size() - before;
        int e = cache.add(s, from, n);
        if (e + 2 > cacheOffset.length) cacheOffset = Arrays.copyOf(cacheOffset, cacheOffset.length * 2);
        if (cacheIdsSize + count > cacheIds.length) cacheIds = Arrays.copyOf(cacheIds, Math.max(cacheIds.length * 2, cacheIdsSize + count));
        cacheOffset[e] = cacheIdsSize;
        for (int i = 0; i < count; i++) cacheIds[cacheIdsSize++] = out.get(before + i);
        cacheOffset[e + 1] = cacheIdsSize;
    }

    /** tiktoken's loop: parts[i] starts at start[i]; rank[i] is the id of parts i and i+1 joined. */
    private void mergeByScan(byte[] s, int from, int n, TokenBuffer out) {
        int[] start = this.start, rank = this.rank;
        int parts = n + 1; // start[n] = end sentinel
        for (int i = 0; i <= n; i++) start[i] = from + i;
        for (int i = 0; i < n - 1; i++) rank[i] = pairId(s, start[i], start[i + 2]);
        rank[n - 1] = Integer.MAX_VALUE;
        rank[n] = Integer.MAX_VALUE;
        while (parts > 2) {
            int best = Integer.MAX_VALUE, at = -1;
            for (int i = 0; i < parts - 2; i++) {
                int r = rank[i];
                if (r < best) { best = r; at = i; }
            }
            if (at < 0) break;
            // part at+1 disappears; ranks of (at-1, at) and (at, at+1) change.
            System.arraycopy(start, at + 2, start, at + 1, parts - at - 2);
            System.arraycopy(rank, at + 2, rank, at + 1, parts - at - 2);
            parts--;
            rank[at] = at + 2 < parts ? pairId(s, start[at], start[at + 2]) : Integer.MAX_VALUE;
            if (at > 0) rank[at - 1] = pairId(s, start[at - 1], start[at + 1]);
        }
        for (int i = 0; i < parts - 1; i++) out.add(table.id(s, start[i], start[i + 1] - start[i]));
    }

    private int pairId(byte[] s, int a, int b) {
        int id = table.id(s, a, b - a);
        return id < 0 ? Integer.MAX_VALUE : id;
    }

    /**
     * Same choices as the scan, for long pieces. Parts are identified by their first byte's position p
     * (relative to {@code from}); next[p] is the start of the following part (n at the end), prev[p] the
     * previous one. Heap entries are (rank << 32 | p); an entry is stale when p was merged away or the
     * pair's rank changed, which we detect by recomputing the pair's rank when it is popped.
     */
    private void mergeByHeap(byte[] s, int from, int n, TokenBuffer out) {
        int[] next = new int[n], prev = new int[n];
        boolean[] dead = new boolean[n];
        long[] heap = new long[2 * n + 16];
        int heapSize = 0;
        for (int p = 0; p < n; p++) { next[p] = p + 1; prev[p] = p - 1; }
        for (int p = 0; p + 1 < n; p++) {
            int r = pairId(s, from + p, from + p + 2);
            if (r != Integer.MAX_VALUE) heapSize = push(heap, heapSize, ((long) r << 32) | p);
        }
        while (heapSize > 0) {
            long top = heap[0];
            heapSize = pop(heap, heapSize);
            int p = (int) top, r = (int) (top >>> 32);
            if (dead[p] || next[p] >= n) continue;
            int q = next[p];
            int end = next[q];
            if (pairId(s, from + p, from + end) != r) continue; // stale
            dead[q] = true;
            next[p] = end;
            if (end < n) prev[end] = p;
            if (heapSize + 2 > heap.length) heap = Arrays.copyOf(heap, heap.length * 2);
            if (end < n) {
                int rr = pairId(s, from + p, from + next[end]);
                if (rr != Integer.MAX_VALUE) heapSize = push(heap, heapSize, ((long) rr << 32) | p);
            }
            int pp = prev[p];
            if (pp >= 0) {
                int rl = pairId(s, from + pp, from + end);
                if (rl != Integer.MAX_VALUE) heapSize = push(heap, heapSize, ((long) rl << 32) | pp);
            }
        }
        for (int p = 0; p < n; p = next[p]) out.add(table.id(s, from + p, next[p] - p));
    }

    private static int push(long[] heap, int size, long v) {
        int i = size++;
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (heap[parent] <= v) break;
            heap[i] = heap[parent];
            i = parent;
        }
        heap[i] = v;
        return size;
    }

    private static int pop(long[] heap, int size) {
        long last = heap[--size];
        int i = 0;
        while (true) {
            int c = 2 * i + 1;
            if (c >= size) break;
            if (c + 1 < size && heap[c + 1] < heap[c]) c++;
            if (heap[c] >= last) break;
            heap[i] = heap[c];
            i = c;
        }
        if (size > 0) heap[i] = last;
        return size;
    }
}
