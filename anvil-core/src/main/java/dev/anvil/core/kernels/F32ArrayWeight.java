package dev.anvil.core.kernels;

import dev.anvil.core.tensor.Tensor;

import java.lang.foreign.MemorySegment;

/**
 * Float32 weights over a {@link Tensor}'s heap array, zero-copy: the segment is a view of the
 * array, so an optimizer's in-place update is what the next product reads. The products run on
 * the array itself: rows are {@link VectorMath#dot}s, matMul and its transpose {@link Gemm#sgemm}.
 * (Array loads also keep heap segments out of the segment kernels' type profiles, which mapped
 * weights share.)
 */
final class F32ArrayWeight extends F32Weight {

    private final float[] data;
    private final int offset;

    F32ArrayWeight(Tensor t) {
        super(MemorySegment.ofArray(t.data()).asSlice(4L * t.offset(), 4L * t.size()), t.dim(0), t.dim(1));
        this.data = t.data();
        this.offset = t.offset();
    }

    @Override
    float rowDot(int row, float[] x, int xOff, float[] xFacts) {
        return VectorMath.dot(data, offset + row * cols, x, xOff, cols);
    }

    @Override
    public void matMul(float[] in, int inOff, int N, float[] out, int outOff) {
        if (N == 1) {
            matVec(in, inOff, out, outOff);
        } else if (N <= SMALL_BATCH) {
            check("matMul", "in", in, inOff, (long) N * cols, "out", out, outOff, (long) N * rows);
            // The rows are floats already: the tiles read them in place.
            forRowGroups((r0, r1) -> {
                for (int r = r0; r < r1; r += ROW_GROUP) {
                    SmallBatchDot.rows(data, offset + r * cols, Math.min(ROW_GROUP, r1 - r), cols, in, inOff, N, out, outOff, rows, r);
                }
            });
        } else {
            Gemm.sgemm(false, true, N, rows, cols, 1f, in, inOff, cols, data, offset, cols, 0f, out, outOff, rows);
        }
    }

    @Override
    public void matMulTransposedAccumulate(float[] dOut, int dOutOff, int N, float[] dIn, int dInOff) {
        Gemm.sgemm(false, false, N, cols, rows, 1f, dOut, dOutOff, rows, data, offset, cols, 1f, dIn, dInOff, cols);
    }
}
