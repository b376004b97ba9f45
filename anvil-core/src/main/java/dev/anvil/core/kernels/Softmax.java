package dev.anvil.core.kernels;

import dev.anvil.core.compute.ComputePool;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import static dev.anvil.core.kernels.KernelChecks.first;
import static dev.anvil.core.kernels.KernelChecks.range;
import static dev.anvil.core.kernels.KernelChecks.sizes;

/** Row-wise softmax over the last axis, numerically stable (max subtracted). */
public final class Softmax {
    private Softmax() {}

    private static final VectorSpecies<Float> S = VectorMath.SPECIES;
    private static final int L = VectorMath.LANES;
    /** Elements per parallel task; exp makes softmax a few times dearer per element than a copy. */
    private static final int GRAIN_ELEMENTS = 1 << 14;

    /**
     * out[i, :] = exp(in[i, :] − max_i) / Σ exp(in[i, :] − max_i). out may alias in. A row whose
     * entries are all −∞ has no distribution and comes out NaN, as in PyTorch.
     */
    public static void forward(float[] out, int outOff, float[] in, int inOff, int N, int C) {
        long nc = (long) N * C;
        String problem = first(sizes("N, C", N, C), range("out", out, outOff, nc), range("in", in, inOff, nc));
        if (problem != null) throw fail("forward", N, C, problem);
        ComputePool.shared().parallelFor(N, VectorMath.rowGrain(C, GRAIN_ELEMENTS), (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int x = inOff + r * C, y = outOff + r * C;
                float max = VectorMath.max(in, x, C);
                float sum = VectorMath.expShiftedInto(out, y, in, x, C, max);
                VectorMath.scale(out, y, out, y, 1f / sum, C);
            }
        });
    }

    /** dIn += out ⊙ (dOut − Σ dOut⊙out). */
    public static void backward(float[] dIn, int dInOff, float[] out, int outOff, float[] dOut, int dOutOff, int N, int C) {
        long nc = (long) N * C;
        String problem = first(sizes("N, C", N, C), range("dIn", dIn, dInOff, nc), range("out", out, outOff, nc),
                range("dOut", dOut, dOutOff, nc));
        if (problem != null) throw fail("backward", N, C, problem);
        ComputePool.shared().parallelFor(N, VectorMath.rowGrain(C, GRAIN_ELEMENTS), (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int d = dInOff + r * C, y = outOff + r * C, g = dOutOff + r * C;
                float s = VectorMath.dot(dOut, g, out, y, C);
                int i = 0;
                for (int bound = C - L; i <= bound; i += L) {
                    FloatVector o = FloatVector.fromArray(S, out, y + i);
                    o.fma(FloatVector.fromArray(S, dOut, g + i).sub(s), FloatVector.fromArray(S, dIn, d + i)).intoArray(dIn, d + i);
                }
                for (; i < C; i++) dIn[d + i] = Math.fma(out[y + i], dOut[g + i] - s, dIn[d + i]);
            }
        });
    }

    private static IllegalArgumentException fail(String op, int N, int C, String problem) {
        return new IllegalArgumentException("Softmax." + op + "(N=" + N + ", C=" + C + "): " + problem);
    }
}
