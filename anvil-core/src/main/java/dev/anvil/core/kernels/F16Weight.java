package dev.anvil.core.kernels;

import dev.anvil.core.tensor.DType;

import java.lang.foreign.MemorySegment;

/**
 * IEEE binary16 weights: 2 bytes per element. Products go through decoded spans: the conversion
 * loop below is one {@link Float#float16ToFloat} per element, which C2 compiles to vector
 * half-to-float conversions (F16C / AVX-512), then the spans are dotted as floats.
 */
final class F16Weight extends SegmentWeight {

    private static final ThreadLocal<short[]> HALVES = ThreadLocal.withInitial(() -> new short[SPAN]);

    F16Weight(MemorySegment bytes, int rows, int cols) {
        super(DType.F16, bytes, rows, cols);
    }

    @Override
    void decodeSpan(int row, int col0, int count, float[] dst, int dstOff) {
        short[] halves = HALVES.get();
        long at = row * rowBytes + 2L * col0;
        for (int c = 0; c < count; c += SPAN) {
            int n = Math.min(SPAN, count - c);
            MemorySegment.copy(bytes, I16_LE, at + 2L * c, halves, 0, n);
            for (int i = 0; i < n; i++) dst[dstOff + c + i] = Float.float16ToFloat(halves[i]);
        }
    }

    @Override
    float rowDot(int row, float[] x, int xOff, float[] xFacts) {
        return rowDotViaSpans(row, x, xOff);
    }
}
