package dev.anvil.core.kernels;

import dev.anvil.core.compute.ComputePool;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;

import static dev.anvil.core.kernels.KernelChecks.first;
import static dev.anvil.core.kernels.KernelChecks.range;
import static dev.anvil.core.kernels.KernelChecks.sizes;

/**
 * Fused softmax + cross-entropy over the last axis with an ignore index: for each row i with
 * target t ≠ ignoreIndex, loss_i = logsumexp(logits_i) − logits_i[t]. Fusing avoids materialising
 * the [N, V] probabilities (V is the vocabulary, the largest activation in a language model).
 *
 * <p>logsumexp is computed as m + log Σ exp(x − m) with m the row max, so no exp overflows and the
 * largest term is exactly 1. Forward reads each row twice (max, then Σ exp); a row of a 50k vocab
 * is 200 KB and stays in L2 between the passes. Backward reads each row once more and writes it.
 */
public final class SoftmaxCrossEntropy {
    private SoftmaxCrossEntropy() {}

    private static final VectorSpecies<Float> S = VectorMath.SPECIES;
    private static final int L = VectorMath.LANES;
    private static final int GRAIN_ELEMENTS = 1 << 14;

    /**
     * Writes losses[N] (0 for ignored rows) and lse[N] (row logsumexp, kept for backward; written
     * for ignored rows too, so callers may also use it for log-probabilities).
     * Returns the number of rows that count (targets ≠ ignoreIndex). Targets outside [0, V) other
     * than ignoreIndex throw.
     */
    public static int forward(float[] losses, int lossesOff, float[] lse, int lseOff, float[] logits, int logitsOff,
                              int[] targets, int targetsOff, int N, int V, int ignoreIndex) {
        String problem = first(sizes("N, V", N, V),
                range("losses", losses, lossesOff, N),
                range("lse", lse, lseOff, N),
                range("logits", logits, logitsOff, (long) N * V),
                range("targets", targets, targetsOff, N),
                V > 0 || N == 0 ? null : "V must be positive");
        if (problem != null) throw fail("forward", N, V, ignoreIndex, problem);
        int counted = checkTargets("forward", targets, targetsOff, N, V, ignoreIndex);
        ComputePool.shared().parallelFor(N, VectorMath.rowGrain(V, GRAIN_ELEMENTS), (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int x = logitsOff + r * V;
                float max = VectorMath.max(logits, x, V);
                double logSum = Math.log(VectorMath.sumExp(logits, x, V, max));
                lse[lseOff + r] = (float) (max + logSum);
                int t = targets[targetsOff + r];
                // (max − x_t) + log Σ: both terms ≥ 0, so no cancellation in the loss itself.
                losses[lossesOff + r] = t == ignoreIndex ? 0f : (float) ((max - (double) logits[x + t]) + logSum);
            }
        });
        return counted;
    }

    /**
     * dLogits[i, :] += scale·(softmax(logits_i) − onehot(t_i)) for counted rows, where scale is
     * dLoss/count for a mean loss. dLogits may be the logits array itself (in place, saving V·N floats).
     *
     * <p>In place (dLogits == logits at the same offset) the logits' contents are not a gradient to
     * add to, so they are overwritten: counted rows become scale·(softmax − onehot) and ignored rows
     * become zero. Any other overlap of dLogits and logits throws.
     */
    public static void backward(float[] dLogits, int dLogitsOff, float[] logits, int logitsOff, float[] lse, int lseOff,
                                int[] targets, int targetsOff, int N, int V, int ignoreIndex, float scale) {
        long nv = (long) N * V;
        boolean inPlace = dLogits == logits && dLogitsOff == logitsOff;
        String problem = first(sizes("N, V", N, V),
                range("dLogits", dLogits, dLogitsOff, nv),
                range("logits", logits, logitsOff, nv),
                range("lse", lse, lseOff, N),
                range("targets", targets, targetsOff, N),
                Float.isFinite(scale) ? null : "scale must be finite, got " + scale,
                !inPlace && dLogits == logits && dLogitsOff < logitsOff + nv && logitsOff < dLogitsOff + nv
                        ? "dLogits (offset " + dLogitsOff + ") partly overlaps logits (offset " + logitsOff + ")" : null);
        if (problem != null) throw fail("backward", N, V, ignoreIndex, problem);
        checkTargets("backward", targets, targetsOff, N, V, ignoreIndex);
        ComputePool.shared().parallelFor(N, VectorMath.rowGrain(V, GRAIN_ELEMENTS), (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int t = targets[targetsOff + r];
                int x = logitsOff + r * V, d = dLogitsOff + r * V;
                if (t == ignoreIndex) {
                    if (inPlace) Arrays.fill(dLogits, d, d + V, 0f);
                    continue;
                }
                float rowLse = lse[lseOff + r];
                int i = 0;
                if (inPlace) {
                    for (int bound = V - L; i <= bound; i += L) {
                        VectorMath.exp(FloatVector.fromArray(S, logits, x + i).sub(rowLse)).mul(scale)
                                .intoArray(dLogits, d + i);
                    }
                    for (; i < V; i++) dLogits[d + i] = scale * VectorMath.exp(logits[x + i] - rowLse);
                } else {
                    for (int bound = V - L; i <= bound; i += L) {
                        VectorMath.exp(FloatVector.fromArray(S, logits, x + i).sub(rowLse))
                                .fma(FloatVector.broadcast(S, scale), FloatVector.fromArray(S, dLogits, d + i)).intoArray(dLogits, d + i);
                    }
                    for (; i < V; i++) dLogits[d + i] = Math.fma(scale, VectorMath.exp(logits[x + i] - rowLse), dLogits[d + i]);
                }
                dLogits[d + t] -= scale;
            }
        });
    }

    /** Throws on a target outside [0, V) that is not ignoreIndex; returns the number of counted rows. */
    private static int checkTargets(String op, int[] targets, int off, int N, int V, int ignoreIndex) {
        int counted = 0;
        for (int r = 0; r < N; r++) {
            int t = targets[off + r];
            if (t == ignoreIndex) continue;
            if (t < 0 || t >= V) {
                throw fail(op, N, V, ignoreIndex, "targets[" + r + "] = " + t + " is outside [0, " + V + ") and is not the ignore index");
            }
            counted++;
        }
        return counted;
    }

    private static IllegalArgumentException fail(String op, int N, int V, int ignoreIndex, String problem) {
        return new IllegalArgumentException("SoftmaxCrossEntropy." + op + "(N=" + N + ", V=" + V + ", ignoreIndex=" + ignoreIndex + "): " + problem);
    }
}
