package dev.anvil.core.kernels;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static dev.anvil.core.kernels.SampledGradient.accumulatedError;
import static dev.anvil.core.kernels.SampledGradient.indices;
import static dev.anvil.core.kernels.SampledGradient.numeric;
import static dev.anvil.core.kernels.SampledGradient.padded;
import static dev.anvil.core.kernels.SampledGradient.randomFloats;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class SoftmaxCrossEntropyTest {

    private static final int IGNORE = -100;

    /** Mean cross-entropy over counted rows, in float64. */
    static double meanLoss(double[] logits, int[] targets, int N, int V) {
        double total = 0;
        int counted = 0;
        for (int r = 0; r < N; r++) {
            if (targets[r] == IGNORE) continue;
            total += rowLoss(logits, r, targets[r], V);
            counted++;
        }
        return total / counted;
    }

    static double rowLoss(double[] logits, int r, int t, int V) {
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (int c = 0; c < V; c++) max = Math.max(max, logits[r * V + c]);
        for (int c = 0; c < V; c++) sum += Math.exp(logits[r * V + c] - max);
        return max + Math.log(sum) - logits[r * V + t];
    }

    private static int[] targetsWithIgnored(SplittableRandom rng, int N, int V) {
        int[] t = new int[N];
        for (int r = 0; r < N; r++) t[r] = r % 3 == 1 ? IGNORE : rng.nextInt(V);
        return t;
    }

    @Test
    void smallVocabularyMatchesReferenceAndFiniteDifferences() {
        check(7, 37, 0, 0, 1000);
    }

    @Test
    void largeVocabularyOnSeveralThreadsAtOffsets() {
        check(24, 3001, 3, 2, 120);
    }

    private static void check(int N, int V, int off, int tail, int samples) {
        SplittableRandom rng = new SplittableRandom(N * 7L + V);
        float[] logits = randomFloats(rng, N * V, -6, 6);
        double[] ld = GradCheck.toDoubles(logits);
        int[] targets = targetsWithIgnored(rng, N, V);
        float[] lp = padded(rng, logits, off, tail);
        int[] tp = new int[off + N + tail];
        System.arraycopy(targets, 0, tp, off, N);
        float[] losses = new float[off + N + tail], lse = new float[off + N + tail];

        int counted = SoftmaxCrossEntropy.forward(losses, off, lse, off, lp, off, tp, off, N, V, IGNORE);
        int expectedCount = 0;
        for (int r = 0; r < N; r++) {
            if (targets[r] == IGNORE) {
                assertThat(losses[off + r]).isZero();
                continue;
            }
            expectedCount++;
            assertThat((double) losses[off + r]).isCloseTo(rowLoss(ld, r, targets[r], V), within(2e-6 * Math.log(V) + 1e-6));
            assertThat((double) lse[off + r]).isCloseTo(rowLoss(ld, r, targets[r], V) + ld[r * V + targets[r]], within(1e-5));
        }
        assertThat(counted).isEqualTo(expectedCount);

        // Backward of the mean loss (scale = 1/count) accumulates onto existing contents.
        float scale = 1f / counted;
        float[] dLogits = padded(rng, randomFloats(rng, N * V, -1e-3, 1e-3), off, tail), d0 = dLogits.clone();
        SoftmaxCrossEntropy.backward(dLogits, off, lp, off, lse, off, tp, off, N, V, IGNORE, scale);
        int[] ix = indices(rng, N * V, samples);
        // Also sample every target position, where the one-hot term sits.
        int[] withTargets = java.util.stream.IntStream.concat(java.util.Arrays.stream(ix),
                java.util.stream.IntStream.range(0, N).filter(r -> targets[r] != IGNORE).map(r -> r * V + targets[r]))
                .distinct().toArray();
        double[] g = numeric(v -> meanLoss(v, targets, N, V), ld, 1e-6, withTargets);
        assertThat(accumulatedError(dLogits, d0, off, withTargets, g)).isLessThan(1e-4);
        // Ignored rows are untouched.
        for (int r = 0; r < N; r++) {
            if (targets[r] != IGNORE) continue;
            for (int c = 0; c < V; c++) if (dLogits[off + r * V + c] != d0[off + r * V + c]) throw new AssertionError("ignored row " + r + " changed at " + c);
        }

        // In place: the logits buffer becomes the gradient (overwritten, ignored rows zeroed).
        float[] inPlace = lp.clone();
        SoftmaxCrossEntropy.backward(inPlace, off, inPlace, off, lse, off, tp, off, N, V, IGNORE, scale);
        float[] fresh = new float[lp.length];
        SoftmaxCrossEntropy.backward(fresh, off, lp, off, lse, off, tp, off, N, V, IGNORE, scale);
        for (int i = 0; i < N * V; i++) {
            if (inPlace[off + i] != fresh[off + i]) throw new AssertionError("in-place gradient differs at " + i);
        }
        if (off > 0) assertThat(inPlace[0]).isEqualTo(lp[0]);   // outside the tensor untouched
    }

    @Test
    void extremeLogitsGiveFiniteLossAndGradient() {
        int V = 20;
        float[] logits = new float[2 * V];
        java.util.Arrays.fill(logits, -1e30f);
        logits[3] = 80f;
        logits[V + 5] = 1e4f;
        logits[V + 6] = -1e4f;
        int[] targets = {3, V + 6 - V};
        float[] losses = new float[2], lse = new float[2];
        SoftmaxCrossEntropy.forward(losses, 0, lse, 0, logits, 0, targets, 0, 2, V, IGNORE);
        assertThat(losses[0]).isZero();
        assertThat(losses[1]).isEqualTo(2e4f);
        float[] d = new float[2 * V];
        SoftmaxCrossEntropy.backward(d, 0, logits, 0, lse, 0, targets, 0, 2, V, IGNORE, 1f);
        for (float v : d) assertThat(v).isFinite();
        assertThat(d[V + 5]).isEqualTo(1f);
        assertThat(d[V + 6]).isEqualTo(-1f);
    }

    @Test
    void maskedLogitsAndAMaxLateInTheRowAreHandled() {
        // Row 0: the first 2500 logits are −∞ (masked), spanning whole blocks of the running-max sweep.
        // Row 1: increasing logits, so the running max rises in every block and the sum is rescaled.
        int V = 3000;
        float[] logits = new float[2 * V];
        for (int c = 0; c < V; c++) {
            logits[c] = c < 2500 ? Float.NEGATIVE_INFINITY : (float) Math.sin(c);
            logits[V + c] = c * 0.01f;
        }
        int[] targets = {2700, 17};
        float[] losses = new float[2], lse = new float[2];
        SoftmaxCrossEntropy.forward(losses, 0, lse, 0, logits, 0, targets, 0, 2, V, IGNORE);
        double[] ld = GradCheck.toDoubles(logits);
        assertThat((double) losses[0]).isCloseTo(rowLoss(ld, 0, 2700, V), within(1e-5));
        assertThat((double) losses[1]).isCloseTo(rowLoss(ld, 1, 17, V), within(1e-5));
        float[] d = new float[2 * V];
        SoftmaxCrossEntropy.backward(d, 0, logits, 0, lse, 0, targets, 0, 2, V, IGNORE, 1f);
        for (int c = 0; c < 2500; c++) assertThat(d[c]).isZero();
        double rowSum = 0;
        for (int c = 0; c < V; c++) rowSum += d[c];
        assertThat(rowSum).isCloseTo(0, within(1e-5));   // Σ softmax − 1
    }

    @Test
    void allRowsIgnoredCountsZero() {
        float[] logits = new float[6], losses = new float[2], lse = new float[2];
        assertThat(SoftmaxCrossEntropy.forward(losses, 0, lse, 0, logits, 0, new int[]{IGNORE, IGNORE}, 0, 2, 3, IGNORE)).isZero();
        assertThat(losses).containsOnly(0f);
    }

    @Test
    void badArgumentsNameTheOpAndShapes() {
        float[] logits = new float[6], losses = new float[2], lse = new float[2];
        assertThatThrownBy(() -> SoftmaxCrossEntropy.forward(losses, 0, lse, 0, logits, 0, new int[]{0, 3}, 0, 2, 3, IGNORE))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("SoftmaxCrossEntropy.forward(N=2, V=3, ignoreIndex=-100)")
                .hasMessageContaining("targets[1] = 3 is outside [0, 3)");
        assertThatThrownBy(() -> SoftmaxCrossEntropy.forward(losses, 0, lse, 0, logits, 0, new int[]{-1, 0}, 0, 2, 3, IGNORE))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("targets[0] = -1");
        assertThatThrownBy(() -> SoftmaxCrossEntropy.forward(losses, 0, new float[1], 0, logits, 0, new int[2], 0, 2, 3, IGNORE))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("lse at offset 0 needs 2");
        assertThatThrownBy(() -> SoftmaxCrossEntropy.backward(logits, 1, logits, 0, lse, 0, new int[2], 0, 1, 3, IGNORE, 1f))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("partly overlaps");
        assertThatThrownBy(() -> SoftmaxCrossEntropy.backward(new float[6], 0, logits, 0, lse, 0, new int[2], 0, 2, 3, IGNORE, Float.NaN))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("scale must be finite");
    }
}
