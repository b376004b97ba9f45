package dev.anvil.model.inference;

import java.util.Arrays;

/**
 * One sequence's keys and values, paged: a table of blocks from a {@link KvBlockPool}, grown a
 * block at a time as positions are appended and given back on {@link #truncate} / {@link #release}.
 * Position p lives in slot p mod S of block ⌊p / S⌋.
 */
public final class KvCache {

    private final KvBlockPool pool;
    private final int capacity;
    private float[][] blocks = new float[0][];
    private int length;
    private boolean released;

    KvCache(KvBlockPool pool, int capacity) {
        this.pool = pool;
        this.capacity = capacity;
    }

    /** Positions held. */
    public int length() {
        return length;
    }

    /** The most positions this sequence may reach (the model's context, or less). */
    public int capacity() {
        return capacity;
    }

    /** Blocks this sequence holds now. */
    public int blockCount() {
        return blocks.length;
    }

    float[][] blocks() {
        return blocks;
    }

    /** Blocks still to take for this sequence to hold {@code newLength} positions. */
    int blocksNeeded(int newLength) {
        return Math.max(0, (newLength + pool.blockSize() - 1) / pool.blockSize() - blocks.length);
    }

    /** Takes the blocks for positions up to {@code newLength} (the caller has checked the pool can give them). */
    void reserve(int newLength) {
        if (released) throw new IllegalStateException("kv cache: the sequence was released");
        int need = blocksNeeded(newLength);
        if (need == 0) return;
        float[][] grown = Arrays.copyOf(blocks, blocks.length + need);
        for (int i = blocks.length; i < grown.length; i++) grown[i] = pool.take();
        blocks = grown;
    }

    void advance(int n) {
        length += n;
    }

    /** Forgets every position and gives the blocks back. */
    public void clear() {
        truncate(0);
    }

    /** Keeps the first {@code n} positions (e.g. a shared prompt prefix); blocks past them go back to the pool. */
    public void truncate(int n) {
        if (n < 0 || n > length) throw new IllegalArgumentException("kv cache: cannot truncate " + length + " positions to " + n);
        length = n;
        int keep = (n + pool.blockSize() - 1) / pool.blockSize();
        for (int i = keep; i < blocks.length; i++) pool.give(blocks[i]);
        if (keep < blocks.length) blocks = Arrays.copyOf(blocks, keep);
    }

    /** Ends the sequence: every block goes back to the pool. */
    public void release() {
        if (released) return;
        truncate(0);
        released = true;
    }
}
