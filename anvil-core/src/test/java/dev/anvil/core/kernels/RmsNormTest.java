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

class RmsNormTest {

    private static final float EPS = 1e-6f;

    /** Plain float64 RMSNorm. */
    static double[] reference(double[] x, double[] w, int N, int C, double eps) {
        double[] y = new double[N * C];
        for (int r = 0; r < N; r++) {
            double ms = 0;
            for (int c = 0; c < C; c++) ms += x[r * C + c] * x[r * C + c];
            double rstd = 1 / Math.sqrt(ms / C + eps);
            for (int c = 0; c < C; c++) y[r * C + c] = x[r * C + c] * rstd * w[c];
        }
        return y;
    }

    @Test
    void smallRowsWithTailsMatchFloat64ReferenceAndFiniteDifferences() {
        check(6, 45, 0, 0, 1);
    }

    @Test
    void manyRowsRunOnSeveralThreadsAtOffsets() {
        check(100, 777, 3, 9, 50);
    }

    private static void check(int N, int C, int off, int tail, int samples) {
        SplittableRandom rng = new SplittableRandom(N * 17L + C);
        float[] x = randomFloats(rng, N * C, -2, 2.5);
        float[] w = randomFloats(rng, C, 0.5, 1.5);
        double[] xd = GradCheck.toDoubles(x), wd = GradCheck.toDoubles(w);
        float[] xp = padded(rng, x, off, tail), wp = padded(rng, w, off, tail);
        float[] out = new float[off + N * C + tail], rstd = new float[off + N + tail];
        RmsNorm.forward(out, off, rstd, off, xp, off, wp, off, N, C, EPS);
        assertThat(forwardError(out, off, reference(xd, wd, N, C, EPS))).isLessThan(1e-5);

        double[] dOut = GradCheck.randomDoubles(rng, N * C, -1, 1);
        float[] dOutP = padded(rng, GradCheck.toFloats(dOut), off, tail);
        float[] dIn = padded(rng, randomFloats(rng, N * C, -0.5, 0.5), off, tail);
        float[] dW = padded(rng, randomFloats(rng, C, -0.5, 0.5), off, tail);
        float[] dIn0 = dIn.clone(), dW0 = dW.clone();
        RmsNorm.backward(dIn, off, dW, off, dOutP, off, xp, off, wp, off, rstd, off, N, C);

        double h = 1e-6;
        int[] ix = indices(rng, N * C, samples * 4);
        double[] gx = numeric(v -> GradCheck.weightedSum(reference(v, wd, N, C, EPS), dOut), xd, h, ix);
        assertThat(accumulatedError(dIn, dIn0, off, ix, gx)).isLessThan(1e-4);
        int[] ic = indices(rng, C, samples);
        double[] gw = numeric(v -> GradCheck.weightedSum(reference(xd, v, N, C, EPS), dOut), wd, h, ic);
        assertThat(accumulatedError(dW, dW0, off, ic, gw)).isLessThan(1e-4);
    }

    @Test
    void weightGradientIsIndependentOfWhetherInputGradientIsWanted() {
        SplittableRandom rng = new SplittableRandom(5);
        int N = 70, C = 600;   // several row chunks
        float[] x = randomFloats(rng, N * C, -1, 1), w = randomFloats(rng, C, 0.5, 1.5);
        float[] out = new float[N * C], rstd = new float[N];
        RmsNorm.forward(out, 0, rstd, 0, x, 0, w, 0, N, C, EPS);
        float[] dOut = randomFloats(rng, N * C, -1, 1);
        float[] dW1 = new float[C], dW2 = new float[C], dIn = new float[N * C];
        RmsNorm.backward(dIn, 0, dW1, 0, dOut, 0, x, 0, w, 0, rstd, 0, N, C);
        RmsNorm.backward(null, 0, dW2, 0, dOut, 0, x, 0, w, 0, rstd, 0, N, C);
        assertThat(dW2).containsExactly(dW1);
    }

    @Test
    void badArgumentsNameTheOpAndShapes() {
        float[] x = new float[12], w = new float[4], out = new float[12], r = new float[3];
        assertThatThrownBy(() -> RmsNorm.forward(out, 0, r, 0, x, 0, w, 0, 3, 4, -1e-6f))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("RmsNorm.forward(N=3, C=4)").hasMessageContaining("eps");
        assertThatThrownBy(() -> RmsNorm.forward(new float[11], 0, r, 0, x, 0, w, 0, 3, 4, 1e-6f))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("out at offset 0 needs 12");
        assertThatThrownBy(() -> RmsNorm.backward(x, 0, w, 0, out, 0, null, 0, w, 0, r, 0, 3, 4))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("RmsNorm.backward(N=3, C=4)").hasMessageContaining("in is null");
    }
}
