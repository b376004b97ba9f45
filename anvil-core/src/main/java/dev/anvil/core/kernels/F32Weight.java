package dev.anvil.core.kernels;

import dev.anvil.core.tensor.DType;

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

    @Override
    boolean decodesOncePerRow() {
        return false;
    }

    @Override
    float rowDot(int row, float[] x, int xOff, float[] xFacts) {
        return FloatRowDot.f32(bytes, row * rowBytes, x, xOff, cols) + tailDot(row, FLOATS.loopBound(cols), x, xOff);
    }
}
