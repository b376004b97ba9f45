package dev.anvil.core.kernels;

import dev.anvil.core.tensor.DType;

import java.lang.foreign.MemorySegment;

/**
 * BF16 weights: 2 bytes per element, the top half of a float32, so decoding is a widening and a
 * 16-bit shift ({@link FloatRowDot#bf16}); half the bytes of F32 for the same multiply-adds.
 */
final class BF16Weight extends SegmentWeight {

    BF16Weight(MemorySegment bytes, int rows, int cols) {
        super(DType.BF16, bytes, rows, cols);
    }

    @Override
    void decodeSpan(int row, int col0, int count, float[] dst, int dstOff) {
        long at = row * rowBytes + 2L * col0;
        int c = 0;
        for (int bound = FLOATS.loopBound(count); c < bound; c += LANES) FloatRowDot.bf16(bytes, at + 2L * c).intoArray(dst, dstOff + c);
        for (; c < count; c++) dst[dstOff + c] = Float.intBitsToFloat(bytes.get(I16_LE, at + 2L * c) << 16);
    }

    @Override
    boolean decodesOncePerRow() {
        return false;
    }

    @Override
    float rowDot(int row, float[] x, int xOff, float[] xFacts) {
        return FloatRowDot.bf16(bytes, row * rowBytes, x, xOff, cols) + tailDot(row, FLOATS.loopBound(cols), x, xOff);
    }
}
