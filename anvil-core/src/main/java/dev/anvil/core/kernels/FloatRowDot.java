package dev.anvil.core.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;

import static dev.anvil.core.kernels.SegmentWeight.FLOATS;
import static dev.anvil.core.kernels.SegmentWeight.LANES;
import static dev.anvil.core.kernels.SegmentWeight.LE;

/**
 * The fused row kernels of F32 and BF16 weights: Σ W[row, c]·x[c] over the whole vectors of a row,
 * with four accumulators (four loads and FMA chains in flight) and the lanes summed in a fixed
 * order.
 *
 * <p>Two copies of one loop, on purpose: a single loop branching on the dtype per load ran at full
 * speed for whichever dtype ran first, but after C2 recompiled it for the second, BF16 streamed
 * 2 GB/s instead of 14 (F32 first, then BF16, in one process). Java does not specialise, so each
 * load gets its own loop.
 */
final class FloatRowDot {
    private FloatRowDot() {}

    /** As many 16-bit lanes as a float vector has lanes (half its width). */
    private static final VectorSpecies<Short> SHORTS = VectorSpecies.of(short.class, VectorShape.forBitSize(LANES * 16));
    private static final VectorSpecies<Integer> INTS = FLOATS.withLanes(int.class);

    /** LANES bf16 values at byte {@code at} as floats: sign-extend to 32 bits, then shift the payload into the top half. */
    static FloatVector bf16(MemorySegment s, long at) {
        IntVector wide = (IntVector) ShortVector.fromMemorySegment(SHORTS, s, at, LE).convertShape(VectorOperators.S2I, INTS, 0);
        return wide.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    /** Σ over c < {@code FLOATS.loopBound(cols)} of W[c]·x[xOff + c], an F32 row at byte {@code at}. */
    static float f32(MemorySegment w, long at, float[] x, int xOff, int cols) {
        FloatVector a0 = FloatVector.zero(FLOATS), a1 = a0, a2 = a0, a3 = a0;
        int c = 0;
        for (int bound = cols - 4 * LANES; c <= bound; c += 4 * LANES) {
            a0 = f32(w, at, c).fma(FloatVector.fromArray(FLOATS, x, xOff + c), a0);
            a1 = f32(w, at, c + LANES).fma(FloatVector.fromArray(FLOATS, x, xOff + c + LANES), a1);
            a2 = f32(w, at, c + 2 * LANES).fma(FloatVector.fromArray(FLOATS, x, xOff + c + 2 * LANES), a2);
            a3 = f32(w, at, c + 3 * LANES).fma(FloatVector.fromArray(FLOATS, x, xOff + c + 3 * LANES), a3);
        }
        for (int bound = cols - LANES; c <= bound; c += LANES) a0 = f32(w, at, c).fma(FloatVector.fromArray(FLOATS, x, xOff + c), a0);
        return VectorMath.sumLanes(a0.add(a1).add(a2.add(a3)));
    }

    /** F32 weights c … c + LANES of the row at byte {@code at}. */
    private static FloatVector f32(MemorySegment w, long at, int c) {
        return FloatVector.fromMemorySegment(FLOATS, w, at + 4L * c, LE);
    }

    /** As {@link #f32} for a BF16 row at byte {@code at}. */
    static float bf16(MemorySegment w, long at, float[] x, int xOff, int cols) {
        FloatVector a0 = FloatVector.zero(FLOATS), a1 = a0, a2 = a0, a3 = a0;
        int c = 0;
        for (int bound = cols - 4 * LANES; c <= bound; c += 4 * LANES) {
            long o = at + 2L * c;
            a0 = bf16(w, o).fma(FloatVector.fromArray(FLOATS, x, xOff + c), a0);
            a1 = bf16(w, o + 2L * LANES).fma(FloatVector.fromArray(FLOATS, x, xOff + c + LANES), a1);
            a2 = bf16(w, o + 4L * LANES).fma(FloatVector.fromArray(FLOATS, x, xOff + c + 2 * LANES), a2);
            a3 = bf16(w, o + 6L * LANES).fma(FloatVector.fromArray(FLOATS, x, xOff + c + 3 * LANES), a3);
        }
        for (int bound = cols - LANES; c <= bound; c += LANES) a0 = bf16(w, at + 2L * c).fma(FloatVector.fromArray(FLOATS, x, xOff + c), a0);
        return VectorMath.sumLanes(a0.add(a1).add(a2.add(a3)));
    }
}
