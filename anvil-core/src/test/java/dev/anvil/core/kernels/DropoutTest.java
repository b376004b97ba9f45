package dev.anvil.core.kernels;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static dev.anvil.core.kernels.SampledGradient.accumulatedError;
import static dev.anvil.core.kernels.SampledGradient.indices;
import static dev.anvil.core.kernels.SampledGradient.numeric;
import static dev.anvil.core.kernels.SampledGradient.randomFloats;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class DropoutTest {

    /** float64 dropout with the kernel's own mask definition (the scalar {@link Dropout#keeps}). */
    static double[] reference(double[] x, float p, long seed) {
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) y[i] = Dropout.keeps(seed, p, i) ? x[i] / (1 - (double) p) : 0;
        return y;
    }

    @Test
    void keepRateAndScalingMatchP() {
        int n = 1 << 20;
        float[] ones = new float[n];
        java.util.Arrays.fill(ones, 1f);
        for (float p : new float[]{0.1f, 0.5f, 0.9f}) {
            float[] out = new float[n];
            Dropout.forward(out, 0, ones, 0, n, p, 42);
            int kept = 0;
            for (float v : out) {
                if (v != 0f) {
                    kept++;
                    if (v != 1f / (1f - p)) throw new AssertionError("kept value " + v + " is not 1/(1-p)");
                }
            }
            double rate = kept / (double) n, sigma = Math.sqrt(p * (1 - p) / n);
            assertThat(rate).as("keep rate at p=%s", p).isCloseTo(1 - p, within(5 * sigma));
        }
    }

    @Test
    void sameSeedSameMaskOtherSeedOtherMaskAndBackwardReusesIt() {
        SplittableRandom rng = new SplittableRandom(1);
        int n = 100_003;   // several threads and a vector tail
        float p = 0.3f;
        float[] x = randomFloats(rng, n, 0.5, 1.5);   // never 0, so out == 0 means dropped
        float[] a = new float[n], b = new float[n], c = new float[n];
        Dropout.forward(a, 0, x, 0, n, p, 7);
        Dropout.forward(b, 0, x, 0, n, p, 7);
        Dropout.forward(c, 0, x, 0, n, p, 8);
        assertThat(a).isEqualTo(b);
        int agree = 0;
        for (int i = 0; i < n; i++) {
            boolean kept = a[i] != 0f;
            if (kept != Dropout.keeps(7, p, i)) throw new AssertionError("vector mask differs from the scalar definition at " + i);
            if (kept == (c[i] != 0f)) agree++;
        }
        // Independent masks agree with probability p² + (1 − p)² = 0.58.
        assertThat(agree / (double) n).isCloseTo(0.58, within(0.01));

        float[] dOut = randomFloats(rng, n, -1, 1);
        float[] dIn = randomFloats(rng, n, -1, 1), dIn0 = dIn.clone();
        Dropout.backward(dIn, 0, dOut, 0, n, p, 7);
        float scale = 1f / (1f - p);
        for (int i = 0; i < n; i++) {
            float want = a[i] != 0f ? dIn0[i] + dOut[i] * scale : dIn0[i];
            if (dIn[i] != want) throw new AssertionError("backward at " + i + ": " + dIn[i] + " vs " + want);
        }
    }

    @Test
    void backwardMatchesFiniteDifferences() {
        SplittableRandom rng = new SplittableRandom(2);
        int n = 77;
        float p = 0.25f;
        long seed = -12345L;
        float[] x = randomFloats(rng, n, -1, 1);
        double[] xd = GradCheck.toDoubles(x);
        float[] out = new float[n];
        Dropout.forward(out, 0, x, 0, n, p, seed);
        double[] ref = reference(xd, p, seed);
        assertThat(SampledGradient.forwardError(out, 0, ref)).isLessThan(1e-7);

        double[] dOut = GradCheck.randomDoubles(rng, n, -1, 1);
        float[] dIn = randomFloats(rng, n, -1, 1), dIn0 = dIn.clone();
        Dropout.backward(dIn, 0, GradCheck.toFloats(dOut), 0, n, p, seed);
        int[] ix = indices(rng, n, n);
        double[] g = numeric(v -> GradCheck.weightedSum(reference(v, p, seed), dOut), xd, 1e-6, ix);
        assertThat(accumulatedError(dIn, dIn0, 0, ix, g)).isLessThan(1e-6);
    }

    @Test
    void zeroPIsIdentityAndInPlaceWorks() {
        float[] x = {1, -2, 3, 4, 5};
        float[] out = new float[5];
        Dropout.forward(out, 0, x, 0, 5, 0f, 1);
        assertThat(out).containsExactly(x);
        float[] d = {1, 1, 1, 1, 1};
        Dropout.backward(d, 0, x, 0, 5, 0f, 1);
        assertThat(d).containsExactly(2, -1, 4, 5, 6);

        float[] y = x.clone(), expected = new float[5];
        Dropout.forward(expected, 0, x, 0, 5, 0.5f, 3);
        Dropout.forward(y, 0, y, 0, 5, 0.5f, 3);
        assertThat(y).containsExactly(expected);
    }

    @Test
    void badArgumentsNameTheOp() {
        for (float p : new float[]{1f, -0.1f, Float.NaN, 2f}) {
            assertThatThrownBy(() -> Dropout.forward(new float[4], 0, new float[4], 0, 4, p, 1))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("Dropout.forward(n=4, p=" + p + ")").hasMessageContaining("p must be in [0, 1)");
        }
        assertThatThrownBy(() -> Dropout.backward(new float[4], 0, new float[3], 0, 4, 0.1f, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Dropout.backward").hasMessageContaining("dOut");
    }
}
