package dev.anvil.tokenizer.train;

import dev.anvil.tokenizer.bpe.ByteSequenceIndex;
import java.util.Arrays;

/**
 * The distinct pre-token chunks of a corpus with their 64-bit occurrence counts: the whole input of the
 * merge phase (BPE never merges across chunks, so the text itself is no longer needed).
 */
public final class ChunkCounts {
    private final ByteSequenceIndex index;
    private long[] counts;

    public ChunkCounts() {
        this(new ByteSequenceIndex(), new long[1024]);
    }

    private ChunkCounts(ByteSequenceIndex index, long[] counts) {
        this.index = index;
        this.counts = counts;
    }

    /** Counts one occurrence (or {@code times}) of {@code s[off, off+len)}. */
    public void add(byte[] s, int off, int len, long times) {
        int e = index.add(s, off, len);
        if (e >= counts.length) counts = Arrays.copyOf(counts, counts.length * 2);
        counts[e] += times;
    }

    public void add(String chunk, long times) {
        byte[] b = chunk.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        add(b, 0, b.length, times);
    }

    /** Adds all counts of {@code other} into this. */
    public void addAll(ChunkCounts other) {
        byte[] buf = new byte[256];
        for (int e = 0; e < other.size(); e++) {
            int len = other.index.keyLength(e);
            if (len > buf.length) buf = new byte[Math.max(len, buf.length * 2)];
            other.index.copyKey(e, buf, 0);
            add(buf, 0, len, other.counts[e]);
        }
    }

    /** The number of distinct chunks. */
    public int size() {
        return index.size();
    }

    public byte[] chunk(int i) {
        return index.key(i);
    }

    public int chunkLength(int i) {
        return index.keyLength(i);
    }

    public int copyChunk(int i, byte[] dst, int at) {
        return index.copyKey(i, dst, at);
    }

    public long count(int i) {
        return counts[i];
    }

    public long memoryBytes() {
        return index.memoryBytes() + 8L * counts.length;
    }
}
