package dev.anvil.core.tensor;

/**
 * Element types Anvil stores. Float types are per element; the quantized types are stored in
 * blocks sharing scales, laid out as llama.cpp (and GGUF) lay them out:
 * <ul>
 *   <li>Q8_0: 32 elements, f16 scale + 32 int8 (34 bytes);</li>
 *   <li>Q4_0: 32 elements, f16 scale + 16 bytes of packed 4-bit values (18 bytes);</li>
 *   <li>Q6_K: a super-block of 256 elements in 210 bytes, ggml's {@code block_q6_K}: ql[128] (the
 *       low 4 bits of each 6-bit value), qh[64] (the high 2 bits), scales[16] (int8, one per 16
 *       elements), d (f16, the super-block scale). llama.cpp's own Q4_0 files keep
 *       {@code token_embd} (and often {@code output}) in Q6_K. The layout is spelled out in
 *       {@code dev.anvil.core.kernels.Q6_KWeight}.</li>
 * </ul>
 */
public enum DType {
    F32(1, 4),
    BF16(1, 2),
    F16(1, 2),
    Q8_0(32, 34),
    Q4_0(32, 18),
    Q6_K(256, 210);

    private final int blockSize;
    private final int bytesPerBlock;

    DType(int blockSize, int bytesPerBlock) {
        this.blockSize = blockSize;
        this.bytesPerBlock = bytesPerBlock;
    }

    /** Elements per block (1 for float types). */
    public int blockSize() {
        return blockSize;
    }

    public int bytesPerBlock() {
        return bytesPerBlock;
    }

    /** Bytes needed for {@code elements} values; quantized types need a whole number of blocks. */
    public long byteSize(long elements) {
        if (elements % blockSize != 0) {
            throw new IllegalArgumentException(this + " stores blocks of " + blockSize + " elements; " + elements + " is not a multiple");
        }
        return elements / blockSize * bytesPerBlock;
    }
}
