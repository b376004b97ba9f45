package dev.anvil.core.kernels;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static dev.anvil.core.kernels.SampledGradient.accumulatedError;
import static dev.anvil.core.kernels.SampledGradient.forwardError;
import static dev.anvil.core.kernels.SampledGradient.indices;
import static dev.anvil.core.kernels.SampledGradient.numeric;
import static dev.anvil.core.kernels.SampledGradient.padded;
import static dev.anvil.core.kernels.SampledGradient.randomFloats;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LayerNormTest {

    private static final float EPS = 1e-5f;

    /** Plain float64 LayerNorm, the reference: two-pass mean and biased variance per row. */
    static double[] reference(double[] x, double[] w, double[] b, int N, int C, double eps) {
        double[] y = new double[N * C];
        for (int r = 0; r < N; r++) {
            double mean = 0, var = 0;
            for (int c = 0; c < C; c++) mean += x[r * C + c];
            mean /= C;
            for (int c = 0; c < C; c++) var += (x[r * C + c] - mean) * (x[r * C + c] - mean);
            var /= C;
            double rstd = 1 / Math.sqrt(var + eps);
            for (int c = 0; c < C; c++) y[r * C + c] = (x[r * C + c] - mean) * rstd * w[c] + (b == null ? 0 : b[c]);
        }
        return y;
    }

    @Test
    void smallRowsWithTailsMatchFloat64ReferenceAndFiniteDifferences() {
        check(5, 37, 0, 0, 1);
    }

    @Test
    void manyRowsRunOnSeveralThreadsAtOffsets() {
        // N·C = 78 720 elements: several row chunks, so the weight/bias partial sums are reduced.
        check(96, 820, 7, 5, 50);
    }

    @Test
    void meanFarFromZeroKeepsPrecision() {
        // |mean| ≫ std: E[x²] − E[x]² in float would lose every digit (E[x²] ≈ 1e6 has an ulp of
        // 0.06, the variance is 0.013); two-pass keeps the error at the mean's own rounding,
        // ulp(1000)/2 ÷ std ≈ 3e-4.
        SplittableRandom rng = new SplittableRandom(11);
        int N = 3, C = 131;
        double[] x = new double[N * C];
        for (int i = 0; i < x.length; i++) x[i] = 1000 + rng.nextDouble(-0.2, 0.2);
        float[] xf = GradCheck.toFloats(x);
        double[] w = new double[C];
        java.util.Arrays.fill(w, 1);
        float[] out = new float[N * C], mean = new float[N], rstd = new float[N];
        LayerNorm.forward(out, 0, mean, 0, rstd, 0, xf, 0, GradCheck.toFloats(w), 0, null, 0, N, C, EPS);
        double[] ref = reference(GradCheck.toDoubles(xf), w, null, N, C, EPS);
        assertThat(forwardError(out, 0, ref)).isLessThan(1e-3);
    }

    private static void check(int N, int C, int off, int tail, int samples) {
        SplittableRandom rng = new SplittableRandom(N * 31L + C);
        float[] x = randomFloats(rng, N * C, -2, 3);
        float[] w = randomFloats(rng, C, 0.5, 1.5);
        float[] b = randomFloats(rng, C, -0.5, 0.5);
        double[] wd = GradCheck.toDoubles(w), bd = GradCheck.toDoubles(b);
        double[] xd = GradCheck.toDoubles(x);

        float[] xp = padded(rng, x, off, tail), wp = padded(rng, w, off, tail), bp = padded(rng, b, off, tail);
        float[] out = new float[off + N * C + tail], mean = new float[off + N + tail], rstd = new float[off + N + tail];
        LayerNorm.forward(out, off, mean, off, rstd, off, xp, off, wp, off, bp, off, N, C, EPS);
        assertThat(forwardError(out, off, reference(xd, wd, bd, N, C, EPS))).isLessThan(1e-5);
        if (tail > 0) assertThat(out[off + N * C]).isZero();   // nothing written past the tensor

        double[] dOut = GradCheck.randomDoubles(rng, N * C, -1, 1);
        float[] dOutP = padded(rng, GradCheck.toFloats(dOut), off, tail);
        float[] dIn = padded(rng, randomFloats(rng, N * C, -0.5, 0.5), off, tail);
        float[] dW = padded(rng, randomFloats(rng, C, -0.5, 0.5), off, tail);
        float[] dB = padded(rng, randomFloats(rng, C, -0.5, 0.5), off, tail);
        float[] dIn0 = dIn.clone(), dW0 = dW.clone(), dB0 = dB.clone();
        LayerNorm.backward(dIn, off, dW, off, dB, off, dOutP, off, xp, off, wp, off, mean, off, rstd, off, N, C);

        double h = 1e-6;
        int[] ix = indices(rng, N * C, samples * 4);
        double[] gx = numeric(v -> GradCheck.weightedSum(reference(v, wd, bd, N, C, EPS), dOut), xd, h, ix);
        assertThat(accumulatedError(dIn, dIn0, off, ix, gx)).isLessThan(1e-4);
        int[] ic = indices(rng, C, samples);
        double[] gw = numeric(v -> GradCheck.weightedSum(reference(xd, v, bd, N, C, EPS), dOut), wd, h, ic);
        assertThat(accumulatedError(dW, dW0, off, ic, gw)).isLessThan(1e-4);
        double[] gb = numeric(v -> GradCheck.weightedSum(reference(xd, wd, v, N, C, EPS), dOut), bd, h, ic);
        assertThat(accumulatedError(dB, dB0, off, ic, gb)).isLessThan(1e-4);
    }

    @Test
    void nullGradientsAreSkippedAndOthersStillComputed() {
        SplittableRandom rng = new SplittableRandom(3);
        int N = 4, C = 50;
        float[] x = randomFloats(rng, N * C, -1, 1), w = randomFloats(rng, C, 0.5, 1.5);
        float[] out = new float[N * C], mean = new float[N], rstd = new float[N];
        LayerNorm.forward(out, 0, mean, 0, rstd, 0, x, 0, w, 0, null, 0, N, C, EPS);
        float[] dOut = randomFloats(rng, N * C, -1, 1);
        float[] dInAll = new float[N * C], dInOnly = new float[N * C], dW = new float[C], dB = new float[C];
        LayerNorm.backward(dInAll, 0, dW, 0, dB, 0, dOut, 0, x, 0, w, 0, mean, 0, rstd, 0, N, C);
        LayerNorm.backward(dInOnly, 0, null, 0, null, 0, dOut, 0, x, 0, w, 0, mean, 0, rstd, 0, N, C);
        assertThat(dInOnly).containsExactly(dInAll);
        float[] dBOnly = new float[C];
        LayerNorm.backward(null, 0, null, 0, dBOnly, 0, dOut, 0, x, 0, w, 0, mean, 0, rstd, 0, N, C);
        assertThat(dBOnly).containsExactly(dB);
    }

    @Test
    void badArgumentsNameTheOpAndShapes() {
        float[] x = new float[20], w = new float[5], out = new float[20], m = new float[4], r = new float[4];
        assertThatThrownBy(() -> LayerNorm.forward(out, 0, m, 0, r, 0, x, 1, w, 0, null, 0, 4, 5, EPS))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("LayerNorm.forward(N=4, C=5)").hasMessageContaining("in at offset 1");
        assertThatThrownBy(() -> LayerNorm.forward(out, 0, m, 0, r, 0, x, 0, w, 0, null, 0, 4, 5, 0f))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("eps");
        assertThatThrownBy(() -> LayerNorm.forward(out, 0, m, 0, r, 0, x, 0, w, 0, null, 0, 4, 5, Float.NaN))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("eps");
        assertThatThrownBy(() -> LayerNorm.forward(out, 0, m, 0, r, 0, x, 0, new float[4], 0, null, 0, 4, 5, EPS))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("weight");
        assertThatThrownBy(() -> LayerNorm.forward(out, 0, m, 0, r, 0, x, 0, w, 0, null, 0, -1, 5, EPS))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("negative size");
        assertThatThrownBy(() -> LayerNorm.backward(x, 0, w, 0, null, 0, out, 0, x, 0, w, 0, m, 0, new float[3], 0, 4, 5))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("LayerNorm.backward(N=4, C=5)").hasMessageContaining("rstd");
    }
}
