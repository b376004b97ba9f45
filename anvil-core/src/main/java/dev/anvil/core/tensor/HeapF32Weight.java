package dev.anvil.core.tensor;

import dev.anvil.core.kernels.Gemm;

import java.lang.foreign.MemorySegment;

/** TEMPORARY F32 weight over a heap view, until the kernels branch lands its Weight implementations. */
final class HeapF32Weight implements Weight {
    private final Tensor t;

    HeapF32Weight(Tensor t) {
        if (t.shape().rank() != 2) throw new IllegalArgumentException("a weight matrix has rank 2, got " + t.shape());
        this.t = t;
    }

    public DType dtype() { return DType.F32; }
    public int rows() { return t.dim(0); }
    public int cols() { return t.dim(1); }
    public long byteSize() { return 4L * t.size(); }
    public MemorySegment bytes() { return MemorySegment.ofArray(t.data()).asSlice(4L * t.offset(), 4L * t.size()); }

    public void matVec(float[] x, int xOff, float[] out, int outOff) {
        matMul(x, xOff, 1, out, outOff);
    }

    public void matMul(float[] in, int inOff, int N, float[] out, int outOff) {
        Gemm.sgemm(false, true, N, rows(), cols(), 1f, in, inOff, cols(), t.data(), t.offset(), cols(), 0f, out, outOff, rows());
    }

    public void matMulTransposedAccumulate(float[] dOut, int dOutOff, int N, float[] dIn, int dInOff) {
        Gemm.sgemm(false, false, N, cols(), rows(), 1f, dOut, dOutOff, rows(), t.data(), t.offset(), cols(), 1f, dIn, dInOff, cols());
    }

    public void dequantizeRows(int first, int count, float[] dst, int dstOff) {
        System.arraycopy(t.data(), t.offset() + first * cols(), dst, dstOff, count * cols());
    }
}
