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
 * The fused row kernel of F32 and BF16 weights: Σ W[row, c]·x[c] over the whole vectors of a row,
 * with four accumulators (four loads and FMA chains in flight) and the lanes summed in a fixed
 * order. One loop serves both: {@code bf16} is loop-invariant, so C2 unswitches the loop (or the
 * branch predicts perfectly) and each dtype runs a loop with only its own load.
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

    /** Weights c … c + LANES of the row at byte {@code at}. */
    private static FloatVector load(MemorySegment w, long at, int c, boolean bf16) {
        return bf16 ? bf16(w, at + 2L * c) : FloatVector.fromMemorySegment(FLOATS, w, at + 4L * c, LE);
    }

    /** Σ over c < {@code FLOATS.loopBound(cols)} of W[c]·x[xOff + c], W's row at byte {@code at}. */
    static float dot(MemorySegment w, long at, boolean bf16, float[] x, int xOff, int cols) {
        FloatVector a0 = FloatVector.zero(FLOATS), a1 = a0, a2 = a0, a3 = a0;
        int c = 0;
        for (int bound = cols - 4 * LANES; c <= bound; c += 4 * LANES) {
            a0 = load(w, at, c, bf16).fma(FloatVector.fromArray(FLOATS, x, xOff + c), a0);
            a1 = load(w, at, c + LANES, bf16).fma(FloatVector.fromArray(FLOATS, x, xOff + c + LANES), a1);
            a2 = load(w, at, c + 2 * LANES, bf16).fma(FloatVector.fromArray(FLOATS, x, xOff + c + 2 * LANES), a2);
            a3 = load(w, at, c + 3 * LANES, bf16).fma(FloatVector.fromArray(FLOATS, x, xOff + c + 3 * LANES), a3);
        }
        for (int bound = cols - LANES; c <= bound; c += LANES) a0 = load(w, at, c, bf16).fma(FloatVector.fromArray(FLOATS, x, xOff + c), a0);
        return VectorMath.sumLanes(a0.add(a1).add(a2.add(a3)));
    }
}
