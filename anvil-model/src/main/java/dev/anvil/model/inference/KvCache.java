package dev.anvil.model.inference;

import dev.anvil.model.ModelConfig;

/**
 * Keys and values of every position processed so far, per layer: {@code keys[layer]} is
 * [capacity, kvHeads, headDim] row-major, which is the [B = 1, Tk, nKvHead, D] layout that
 * {@link dev.anvil.core.kernels.Attention#forward} reads, so the cache is passed to the kernel as
 * it is with Tk = {@link #length()}. Llama keys are stored after RoPE (each key is rotated once,
 * at its own position, when it is written).
 */
public final class KvCache {

    private final float[][] keys, values;
    private final int capacity, rowWidth;
    private int length;

    public KvCache(ModelConfig config) {
        this(config, config.contextLength());
    }

    public KvCache(ModelConfig config, int capacity) {
        if (capacity < 1 || capacity > config.contextLength()) {
            throw new IllegalArgumentException("kv cache: capacity must be in [1, " + config.contextLength() + "], got " + capacity);
        }
        this.capacity = capacity;
        this.rowWidth = config.kvHeads() * config.headDim();
        if ((long) capacity * rowWidth > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("kv cache: " + capacity + " positions × " + rowWidth + " floats do not fit one array");
        }
        this.keys = new float[config.layers()][capacity * rowWidth];
        this.values = new float[config.layers()][capacity * rowWidth];
    }

    /** Positions held. */
    public int length() {
        return length;
    }

    public int capacity() {
        return capacity;
    }

    /** kvHeads · headDim: the floats one position takes in one layer's keys (or values). */
    public int rowWidth() {
        return rowWidth;
    }

    public float[] keys(int layer) {
        return keys[layer];
    }

    public float[] values(int layer) {
        return values[layer];
    }

    /** Forgets every position (the buffers are kept). */
    public void clear() {
        length = 0;
    }

    /** Keeps the first {@code n} positions, e.g. to re-use a shared prompt prefix. */
    public void truncate(int n) {
        if (n < 0 || n > length) throw new IllegalArgumentException("kv cache: cannot truncate " + length + " positions to " + n);
        length = n;
    }

    void advance(int n) {
        length += n;
    }
}
