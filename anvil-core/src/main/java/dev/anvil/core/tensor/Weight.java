package dev.anvil.core.tensor;

import java.lang.foreign.MemorySegment;

/**
 * A weight matrix W[rows, cols] — rows are output features, cols input features (PyTorch's
 * {@code Linear} layout) — stored in one {@link DType}, on the heap or over a memory-mapped file
 * segment. Model code multiplies by a weight without knowing its storage: one row of input
 * ({@link #matVec}, a decode step, bandwidth bound) or many ({@link #matMul}, prefill, batches and
 * evaluation, compute bound). Quantized and half-precision weights are dequantized inside the
 * kernels a block (or a panel of rows) at a time, never into a full float32 copy, so a Q4_0 model
 * costs about 4.5 bits per weight in memory.
 *
 * <p>A new storage type (the K-quants, NF4) is a new implementation of this interface; no model
 * code changes. Implementations are immutable and thread-safe; the products split their work
 * over the shared {@link dev.anvil.core.compute.ComputePool}.
 */
public interface Weight {

    DType dtype();

    /** Output features. */
    int rows();

    /** Input features. */
    int cols();

    /** Bytes stored: what one pass over the weight (one decode step) reads. */
    long byteSize();

    /** The stored bytes, little-endian, laid out as GGUF lays out this dtype (row after row). */
    MemorySegment bytes();

    /** {@code out[outOff + r] = Σ_c W[r, c] · x[xOff + c]} for r ∈ [0, rows): overwrites. */
    void matVec(float[] x, int xOff, float[] out, int outOff);

    /**
     * {@code out[n, r] = Σ_c in[n, c] · W[r, c]} for n ∈ [0, N), r ∈ [0, rows): the rows of
     * {@code in} (row stride cols) times Wᵀ into {@code out} (row stride rows), overwriting.
     */
    void matMul(float[] in, int inOff, int N, float[] out, int outOff);

    /**
     * {@code dIn[n, c] += Σ_r dOut[n, r] · W[r, c]}: the input gradient of {@link #matMul}, for a
     * frozen weight of any dtype on the tape (adapters over a quantized base).
     */
    void matMulTransposedAccumulate(float[] dOut, int dOutOff, int N, float[] dIn, int dInOff);

    /** Rows [first, first + count) as float32, row-major into {@code dst[dstOff…]} (embedding lookups, export). */
    void dequantizeRows(int first, int count, float[] dst, int dstOff);

    /** F32 over a heap view (zero-copy: it sees in-place optimizer updates). */
    static Weight of(Tensor t) {
        return new HeapF32Weight(t);
    }

    /** TEMPORARY until the kernels branch lands: converts float32 values to {@code dtype}. */
    static Weight quantize(DType dtype, float[] src, int srcOff, int rows, int cols) {
        if (dtype != DType.F32) throw new UnsupportedOperationException(dtype + " weights are not implemented yet");
        return of(new Tensor(java.util.Arrays.copyOfRange(src, srcOff, srcOff + rows * cols), 0, Shape.of(rows, cols)));
    }
}
