package dev.anvil.core.kernels;

import dev.anvil.core.tensor.DType;
import jdk.incubator.vector.FloatVector;

import java.lang.foreign.MemorySegment;

/** Float32 weights over a segment: 4 bytes per element, little-endian. */
class F32Weight extends SegmentWeight {

    F32Weight(MemorySegment bytes, int rows, int cols) {
        super(DType.F32, bytes, rows, cols);
    }

    @Override
    void decodeSpan(int row, int col0, int count, float[] dst, int dstOff) {
        MemorySegment.copy(bytes, F32_LE, row * rowBytes + 4L * col0, dst, dstOff, count);
    }

    /**
     * Four rows at a time, one accumulator each: four independent load streams and FMA chains in
     * flight; x's vector is loaded once for the four. The columns after the last whole vector are
     * added scalar. (Each dtype writes this loop around its own load: Java does not specialise, and
     * a shared loop calling a per-dtype load would be a megamorphic call C2 cannot inline, boxing
     * every vector.)
     */
    @Override
    void matVecRows(float[] x, int xOff, int r0, int r1, float[] out, int outOff) {
        int vectorCols = FLOATS.loopBound(cols);
        for (int r = r0; r < r1; r += GROUP) {
            long w0 = rowStart(r, r1), w1 = rowStart(r + 1, r1), w2 = rowStart(r + 2, r1), w3 = rowStart(r + 3, r1);
            FloatVector a0 = FloatVector.zero(FLOATS), a1 = a0, a2 = a0, a3 = a0;
            for (int c = 0; c < vectorCols; c += LANES) {
                FloatVector xv = FloatVector.fromArray(FLOATS, x, xOff + c);
                long at = 4L * c;
                a0 = FloatVector.fromMemorySegment(FLOATS, bytes, w0 + at, LE).fma(xv, a0);
                a1 = FloatVector.fromMemorySegment(FLOATS, bytes, w1 + at, LE).fma(xv, a1);
                a2 = FloatVector.fromMemorySegment(FLOATS, bytes, w2 + at, LE).fma(xv, a2);
                a3 = FloatVector.fromMemorySegment(FLOATS, bytes, w3 + at, LE).fma(xv, a3);
            }
            storeGroupWithTails(x, xOff, vectorCols, out, outOff, r, r1, a0, a1, a2, a3);
        }
    }
}
