package dev.anvil.core.tensor;

/**
 * Element types Anvil stores. Float types are per element; the quantized types are stored in
 * blocks of 32 elements sharing one scale, laid out as llama.cpp (and GGUF) lay them out:
 * Q8_0 = f16 scale + 32 int8 (34 bytes), Q4_0 = f16 scale + 16 bytes of packed 4-bit values (18 bytes).
 */
public enum DType {
    F32(1, 4),
    BF16(1, 2),
    F16(1, 2),
    Q8_0(32, 34),
    Q4_0(32, 18);

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
