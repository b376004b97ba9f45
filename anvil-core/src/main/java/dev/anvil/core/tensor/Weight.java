package dev.anvil.core.tensor;

import dev.anvil.core.kernels.Weights;

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
 *
 * <p>The implementations live in {@code dev.anvil.core.kernels} next to their kernels; these
 * factories are the way in.
 */
public interface Weight {

    /**
     * An F32 weight over the heap array behind {@code t} (rank 2, [rows, cols]), zero-copy: it sees
     * in-place updates of the array (an optimizer step), and its products call
     * {@link dev.anvil.core.kernels.Gemm#sgemm} on the array directly.
     */
    static Weight of(Tensor t) {
        return Weights.of(t);
    }

    /**
     * A weight over existing bytes, zero-copy (a tensor of a memory-mapped GGUF or safetensors
     * file, or a heap segment): {@code bytes} must hold exactly {@code dtype.byteSize(rows·cols)}
     * bytes, row after row, and {@code cols} must be a whole number of the dtype's blocks;
     * otherwise an {@link IllegalArgumentException} names the dtype, the shape and the byte counts.
     * The products read the segment from the compute pool's threads, so its arena must be shared
     * or global (or automatic), not confined.
     *
     * <p>Prefer native segments (mapped files, {@link #quantize}): heap segments work, but once a
     * process runs the kernels over both kinds C2 compiles their loads for either, and both ran
     * 2.5× slower (Q4_0 on Zen 4: 7.0 GB/s per core native alone, 2.6–3.1 mixed).
     */
    static Weight wrap(DType dtype, MemorySegment bytes, int rows, int cols) {
        return Weights.wrap(dtype, bytes, rows, cols);
    }

    /**
     * Encodes {@code src[srcOff, +rows·cols)} (row-major) as a new weight of {@code dtype}: F32 is
     * a copy, BF16 and F16 round to nearest even, Q8_0 and Q4_0 use ggml's reference quantizers
     * ({@link QuantizedBlocks}). Q6_K has no quantizer here (its files come from llama.cpp:
     * {@link #wrap} them). The bytes live off-heap until the weight is unreachable.
     */
    static Weight quantize(DType dtype, float[] src, int srcOff, int rows, int cols) {
        return Weights.quantize(dtype, src, srcOff, rows, cols);
    }

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
}
