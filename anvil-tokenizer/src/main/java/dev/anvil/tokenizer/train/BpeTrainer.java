package dev.anvil.tokenizer.train;

import dev.anvil.tokenizer.BpeTokenizer;
import dev.anvil.tokenizer.bpe.TokenTable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Byte-level BPE training (GPT-2 / tiktoken style): count the distinct pre-token chunks of the corpus, then
 * repeatedly merge the most frequent adjacent pair of tokens inside the chunks.
 *
 * <p>Incremental merging: pair counts (64-bit, weighted by chunk frequency) live in a table with, for each
 * pair, the chunks it occurs in; a max-heap orders pairs by count. Merging (a, b) → c rewrites only the
 * chunks that contain (a, b) and adjusts only the pairs next to each merged occurrence: (x, a) and (b, y)
 * lose, (x, c) and (c, y) gain. Heap entries are not updated in place: a popped entry whose count is stale
 * is pushed back with the current count, and pairs that gained are pushed anew.
 *
 * <p>Ties are broken deterministically: among pairs with equal counts, the smaller (left id, right id)
 * wins, where ids are the training ids (bytes 0..255, merge k → 256 + k).
 */
public final class BpeTrainer {
    private BpeTrainer() {}

    /** Counts the chunks of {@code files} and trains. */
    public static TrainedBpe train(List<Path> files, BpeTrainerConfig config, TrainingProgress progress) throws IOException {
        long totalBytes = 0;
        for (Path f : files) totalBytes += Files.size(f);
        long t0 = System.nanoTime();
        ChunkCounts counts;
        AtomicLong read = new AtomicLong();
        final long total = totalBytes;
        try (CorpusChunkCounter counter = new CorpusChunkCounter(config.preTokenizer(), config.threads(), config.documentCapBytes())) {
            for (Path f : files) counter.addFile(f, n -> progress.update("counting", read.addAndGet(n), total));
            counts = counter.finish();
        }
        double countSeconds = (System.nanoTime() - t0) / 1e9;
        TrainedBpe trained = train(counts, config, progress);
        return new TrainedBpe(trained.tokenizer(), trained.merges(), trained.distinctChunks(), trained.chunkOccurrences(),
                countSeconds, trained.mergeSeconds());
    }

    /** Trains on already counted chunks. */
    public static TrainedBpe train(ChunkCounts chunks, BpeTrainerConfig config, TrainingProgress progress) {
        long t0 = System.nanoTime();
        int wanted = config.vocabSize() - 256 - config.specialTokens().size();
        Merges m = merge(chunks, wanted, config.minPairFrequency(), progress);
        long occurrences = 0;
        for (int i = 0; i < chunks.size(); i++) occurrences += chunks.count(i);

        // Final ids: tokens in training order take the ids not reserved by special tokens with explicit ids.
        Set<Integer> reserved = new HashSet<>();
        for (Integer id : config.specialTokens().values()) if (id != null) reserved.add(id);
        int tokens = 256 + m.count;
        int[] finalId = new int[tokens];
        int next = 0;
        for (int t = 0; t < tokens; t++) {
            while (reserved.contains(next)) next++;
            finalId[t] = next++;
        }
        Map<String, Integer> specials = new LinkedHashMap<>();
        for (var e : config.specialTokens().entrySet()) {
            if (e.getValue() != null) {
                specials.put(e.getKey(), e.getValue());
            } else {
                while (reserved.contains(next)) next++;
                specials.put(e.getKey(), next++);
            }
        }
        byte[][] bytes = new byte[tokens][];
        for (int b = 0; b < 256; b++) bytes[b] = new byte[] {(byte) b};
        List<int[]> merges = new ArrayList<>(m.count);
        for (int k = 0; k < m.count; k++) {
            int a = m.left[k], b = m.right[k];
            byte[] joined = Arrays.copyOf(bytes[a], bytes[a].length + bytes[b].length);
            System.arraycopy(bytes[b], 0, joined, bytes[a].length, bytes[b].length);
            bytes[256 + k] = joined;
            merges.add(new int[] {finalId[a], finalId[b]});
        }
        TokenTable table = TokenTable.of(bytes, finalId);
        BpeTokenizer tokenizer = new BpeTokenizer(config.name(), table, config.preTokenizer(), specials);
        return new TrainedBpe(tokenizer, List.copyOf(merges), chunks.size(), occurrences, 0, (System.nanoTime() - t0) / 1e9);
    }

    /** The learned merges in training ids: merge k joins left[k] and right[k] into 256 + k. */
    record Merges(int[] left, int[] right, int count) {}

    static Merges merge(ChunkCounts chunks, int wanted, long minFrequency, TrainingProgress progress) {
        // Words: the chunks of two or more bytes, as token sequences in one array (single bytes never merge).
        int n = chunks.size();
        int words = 0;
        long symbols = 0;
        for (int i = 0; i < n; i++) if (chunks.chunkLength(i) >= 2) { words++; symbols += chunks.chunkLength(i); }
        if (symbols > Integer.MAX_VALUE - 16) throw new IllegalStateException("too many distinct chunk bytes: " + symbols);
        int[] sym = new int[(int) symbols];
        int[] start = new int[words];
        int[] len = new int[words];
        long[] weight = new long[words];
        byte[] buf = new byte[256];
        int w = 0, at = 0;
        for (int i = 0; i < n; i++) {
            int l = chunks.chunkLength(i);
            if (l < 2) continue;
            if (l > buf.length) buf = new byte[Math.max(l, 2 * buf.length)];
            chunks.copyChunk(i, buf, 0);
            start[w] = at;
            len[w] = l;
            weight[w] = chunks.count(i);
            for (int j = 0; j < l; j++) sym[at++] = buf[j] & 0xFF;
            w++;
        }

        Pairs pairs = new Pairs();
        for (w = 0; w < words; w++) {
            int s = start[w];
            for (int j = 0; j + 1 < len[w]; j++) pairs.change(sym[s + j], sym[s + j + 1], weight[w], w);
        }
        pairs.pushTouched(); // the first heap: every pair

        int[] left = new int[Math.max(0, wanted)], right = new int[Math.max(0, wanted)];
        int[] wordStamp = new int[words];
        int done = 0;
        while (done < wanted) {
            int p = pairs.popBest();
            if (p < 0 || pairs.count[p] < minFrequency) break;
            long key = pairs.key[p];
            int a = (int) (key >>> 32), b = (int) key, c = 256 + done;
            left[done] = a;
            right[done] = b;
            int[] occurrences = pairs.words[p];
            int occurrenceCount = pairs.wordCount[p];
            pairs.words[p] = null;
            pairs.wordCount[p] = 0;
            int stamp = done + 1;
            for (int o = 0; o < occurrenceCount; o++) {
                int word = occurrences[o];
                if (wordStamp[word] == stamp) continue;
                wordStamp[word] = stamp;
                int s = start[word], l = len[word];
                long wt = weight[word];
                int wi = 0;
                for (int ri = 0; ri < l; ) {
                    if (ri + 1 < l && sym[s + ri] == a && sym[s + ri + 1] == b) {
                        if (wi > 0) {
                            int prev = sym[s + wi - 1];
                            pairs.change(prev, a, -wt, word);
                            pairs.change(prev, c, wt, word);
                        }
                        if (ri + 2 < l) {
                            int nextSym = sym[s + ri + 2];
                            pairs.change(b, nextSym, -wt, word);
                            pairs.change(c, nextSym, wt, word);
                        }
                        pairs.change(a, b, -wt, word);
                        sym[s + wi++] = c;
                        ri += 2;
                    } else {
                        sym[s + wi++] = sym[s + ri++];
                    }
                }
                len[word] = wi;
            }
            pairs.pushTouched();
            done++;
            if ((done & 63) == 0 || done == wanted) progress.update("merging", done, wanted);
        }
        return new Merges(left, right, done);
    }

    /** Pair statistics: count, the words containing the pair (with possible stale entries), and the heap. */
    private static final class Pairs {
        final PairIndex index = new PairIndex();
        long[] key = new long[1 << 16];
        long[] count = new long[1 << 16];
        int[][] words = new int[1 << 16][];
        int[] wordCount = new int[1 << 16];
        int size;
        // Pairs whose count grew since the last push (they need a fresh heap entry).
        int[] touched = new int[1024];
        int touchedCount;
        boolean[] isTouched = new boolean[1 << 16];
        // Max-heap of (count, pair key): larger count first, then smaller key.
        long[] heapCount = new long[1 << 16];
        long[] heapKey = new long[1 << 16];
        int heapSize;

        void change(int l, int r, long delta, int word) {
            long k = PairIndex.key(l, r);
            int p = index.getOrAdd(k, size);
            if (p == size) add(k);
            count[p] += delta;
            if (delta > 0) {
                int[] ws = words[p];
                int wc = wordCount[p];
                if (ws == null) ws = words[p] = new int[4];
                if (wc == 0 || ws[wc - 1] != word) {
                    if (wc == ws.length) ws = words[p] = Arrays.copyOf(ws, wc + (wc >> 1) + 4);
                    ws[wc] = word;
                    wordCount[p] = wc + 1;
                }
                if (!isTouched[p]) {
                    isTouched[p] = true;
                    if (touchedCount == touched.length) touched = Arrays.copyOf(touched, touchedCount * 2);
                    touched[touchedCount++] = p;
                }
            }
        }

        private void add(long k) {
            if (size == key.length) {
                int cap = size * 2;
                key = Arrays.copyOf(key, cap);
                count = Arrays.copyOf(count, cap);
                words = Arrays.copyOf(words, cap);
                wordCount = Arrays.copyOf(wordCount, cap);
                isTouched = Arrays.copyOf(isTouched, cap);
            }
            key[size++] = k;
        }

        void pushTouched() {
            for (int i = 0; i < touchedCount; i++) {
                int p = touched[i];
                isTouched[p] = false;
                if (count[p] > 0) push(count[p], key[p]);
            }
            touchedCount = 0;
        }

        /** The pair with the highest current count (removed from the heap), or -1 when none is left. */
        int popBest() {
            while (heapSize > 0) {
                long c = heapCount[0], k = heapKey[0];
                pop();
                int p = index.get(k);
                if (count[p] == c) return p;
                if (count[p] > 0 && count[p] < c) push(count[p], k); // stale: the pair lost occurrences
            }
            return -1;
        }

        private boolean before(long c1, long k1, long c2, long k2) {
            return c1 > c2 || (c1 == c2 && k1 < k2);
        }

        private void push(long c, long k) {
            if (heapSize == heapCount.length) {
                heapCount = Arrays.copyOf(heapCount, heapSize * 2);
                heapKey = Arrays.copyOf(heapKey, heapSize * 2);
            }
            int i = heapSize++;
            while (i > 0) {
                int parent = (i - 1) >>> 1;
                if (!before(c, k, heapCount[parent], heapKey[parent])) break;
                heapCount[i] = heapCount[parent];
                heapKey[i] = heapKey[parent];
                i = parent;
            }
            heapCount[i] = c;
            heapKey[i] = k;
        }

        private void pop() {
            int last = --heapSize;
            long c = heapCount[last], k = heapKey[last];
            int i = 0;
            while (true) {
                int child = 2 * i + 1;
                if (child >= heapSize) break;
                if (child + 1 < heapSize && before(heapCount[child + 1], heapKey[child + 1], heapCount[child], heapKey[child])) child++;
                if (!before(heapCount[child], heapKey[child], c, k)) break;
                heapCount[i] = heapCount[child];
                heapKey[i] = heapKey[child];
                i = child;
            }
            if (heapSize > 0) {
                heapCount[i] = c;
                heapKey[i] = k;
            }
        }
    }
}
