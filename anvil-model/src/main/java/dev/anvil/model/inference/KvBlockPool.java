package dev.anvil.model.inference;

import dev.anvil.model.ModelConfig;

import java.util.ArrayDeque;

/**
 * The memory of a paged KV cache: blocks of {@code blockSize} positions, each one float array
 * holding every layer's keys and values for those positions, allocated on first need, handed
 * to sequences as they grow and taken back when they shrink or end (vLLM's PagedAttention
 * idea: memory follows the tokens actually cached, not the context each sequence might reach).
 *
 * <p>Inside a block, layer l's keys start at {@link #keyOffset}(l) and its values at
 * {@link #valueOffset}(l), each Hkv·blockSize·D floats laid out as
 * {@link dev.anvil.core.kernels.PagedAttention#store} writes them (head-major). The pool never holds more than its byte budget; a
 * request beyond it is refused with the numbers ({@link KvBudgetExceededException}) before any
 * state changes.
 */
public final class KvBlockPool {

    private final int blockSize, rowWidth, layers, blockFloats, maxBlocks;
    private final ArrayDeque<float[]> free = new ArrayDeque<>();
    private int allocated, inUse;

    public KvBlockPool(ModelConfig config, int blockSize, long budgetBytes) {
        if (blockSize < 1) throw new IllegalArgumentException("kv cache: block size must be positive, got " + blockSize);
        this.blockSize = blockSize;
        this.rowWidth = config.kvHeads() * config.headDim();
        this.layers = config.layers();
        long floats = 2L * layers * blockSize * rowWidth;
        if (floats > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("kv cache: a block of " + blockSize + " positions does not fit one array");
        this.blockFloats = (int) floats;
        long blocks = budgetBytes / (4L * blockFloats);
        if (blocks < 1) {
            throw new IllegalArgumentException("kv cache: a budget of " + budgetBytes + " bytes holds no block of " + blockSize + " positions ("
                    + 4L * blockFloats + " bytes for " + config.summary() + ")");
        }
        this.maxBlocks = (int) Math.min(Integer.MAX_VALUE, blocks);
    }

    /** A budget that holds {@code positions} positions (rounded up to whole blocks). */
    public static long bytesFor(ModelConfig config, int blockSize, long positions) {
        long blocks = (positions + blockSize - 1) / blockSize;
        return blocks * 2L * config.layers() * blockSize * config.kvHeads() * config.headDim() * 4L;
    }

    public int blockSize() {
        return blockSize;
    }

    /** kvHeads · headDim: floats per position per layer, for keys (and again for values). */
    public int rowWidth() {
        return rowWidth;
    }

    public int keyOffset(int layer) {
        return layer * 2 * blockSize * rowWidth;
    }

    public int valueOffset(int layer) {
        return keyOffset(layer) + blockSize * rowWidth;
    }

    public int blocksInUse() {
        return inUse;
    }

    public int maxBlocks() {
        return maxBlocks;
    }

    public int freeBlocks() {
        return maxBlocks - inUse;
    }

    public long bytesPerBlock() {
        return 4L * blockFloats;
    }

    /** Bytes of blocks handed out now. */
    public long bytesInUse() {
        return inUse * bytesPerBlock();
    }

    /** Bytes of blocks ever allocated (in use or waiting in the free list). */
    public long bytesAllocated() {
        return allocated * bytesPerBlock();
    }

    public long budgetBytes() {
        return maxBlocks * bytesPerBlock();
    }

    /** Fails, changing nothing, unless {@code blocks} more blocks can be handed out. */
    public void require(int blocks, String what) {
        if (blocks > freeBlocks()) throw new KvBudgetExceededException(what, blocks, this);
    }

    float[] take() {
        require(1, "one more block");
        inUse++;
        float[] b = free.poll();
        if (b != null) return b;
        allocated++;
        return new float[blockFloats];
    }

    void give(float[] block) {
        inUse--;
        free.push(block);
    }
}
