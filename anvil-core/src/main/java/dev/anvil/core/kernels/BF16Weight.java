package dev.anvil.core.kernels;

import dev.anvil.core.tensor.DType;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;

/**
 * BF16 weights: 2 bytes per element, the top half of a float32, so decoding is a widening and a
 * 16-bit shift ({@link #load}); half the bytes of F32 for the same multiply-adds.
 */
final class BF16Weight extends SegmentWeight {

    /** As many 16-bit lanes as a float vector has lanes (half its width). */
    private static final VectorSpecies<Short> SHORTS = VectorSpecies.of(short.class, VectorShape.forBitSize(LANES * 16));
    private static final VectorSpecies<Integer> INTS = FLOATS.withLanes(int.class);

    BF16Weight(MemorySegment bytes, int rows, int cols) {
        super(DType.BF16, bytes, rows, cols);
    }

    /** LANES bf16 values at byte {@code at} as floats: sign-extend to 32 bits, then shift the payload into the top half. */
    private static FloatVector load(MemorySegment s, long at) {
        IntVector wide = (IntVector) ShortVector.fromMemorySegment(SHORTS, s, at, LE).convertShape(VectorOperators.S2I, INTS, 0);
        return wide.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    @Override
    void decodeSpan(int row, int col0, int count, float[] dst, int dstOff) {
        long at = row * rowBytes + 2L * col0;
        int c = 0;
        for (int bound = FLOATS.loopBound(count); c < bound; c += LANES) load(bytes, at + 2L * c).intoArray(dst, dstOff + c);
        for (; c < count; c++) dst[dstOff + c] = Float.intBitsToFloat(bytes.get(I16_LE, at + 2L * c) << 16);
    }

    /** As {@link F32Weight#matVecRows}, with the bf16 decode in the load (kept a separate loop so the load inlines). */
    @Override
    void matVecRows(float[] x, int xOff, int r0, int r1, float[] out, int outOff) {
        int vectorCols = FLOATS.loopBound(cols);
        for (int r = r0; r < r1; r += GROUP) {
            long w0 = rowStart(r, r1), w1 = rowStart(r + 1, r1), w2 = rowStart(r + 2, r1), w3 = rowStart(r + 3, r1);
            FloatVector a0 = FloatVector.zero(FLOATS), a1 = a0, a2 = a0, a3 = a0;
            for (int c = 0; c < vectorCols; c += LANES) {
                FloatVector xv = FloatVector.fromArray(FLOATS, x, xOff + c);
                long at = 2L * c;
                a0 = load(bytes, w0 + at).fma(xv, a0);
                a1 = load(bytes, w1 + at).fma(xv, a1);
                a2 = load(bytes, w2 + at).fma(xv, a2);
                a3 = load(bytes, w3 + at).fma(xv, a3);
            }
            storeGroupWithTails(x, xOff, vectorCols, out, outOff, r, r1, a0, a1, a2, a3);
        }
    }
}
