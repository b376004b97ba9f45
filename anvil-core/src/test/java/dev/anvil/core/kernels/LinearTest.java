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

class LinearTest {

    /** out[N, OC] = in[N, C]·W[OC, C]ᵀ + bias, in float64. */
    static double[] reference(double[] in, double[] w, double[] bias, int N, int C, int OC) {
        double[] out = new double[N * OC];
        for (int i = 0; i < N; i++) {
            for (int o = 0; o < OC; o++) {
                double s = bias == null ? 0 : bias[o];
                for (int c = 0; c < C; c++) s += in[i * C + c] * w[o * C + c];
                out[i * OC + o] = s;
            }
        }
        return out;
    }

    @Test
    void smallLayerMatchesReferenceAndFiniteDifferences() {
        check(5, 19, 7, 0, 0, 1000, true);
    }

    @Test
    void largerLayerOnSeveralThreadsAtOffsetsWithoutBias() {
        check(64, 37, 200, 3, 5, 100, false);
    }

    @Test
    void largerLayerWithBias() {
        check(64, 37, 200, 0, 2, 100, true);
    }

    @Test
    void biasGradientOfManyRowsIsTheColumnSum() {
        // N·OC = 240 000: the column-slice split of the bias gradient runs on several threads.
        SplittableRandom rng = new SplittableRandom(4);
        int N = 400, OC = 600;
        float[] dOut = randomFloats(rng, N * OC, -1, 1), dB = randomFloats(rng, OC, -1, 1), dB0 = dB.clone();
        Linear.backward(null, 0, null, 0, dB, 0, dOut, 0, null, 0, null, 0, N, 5, OC);
        double[] want = new double[OC];
        for (int o = 0; o < OC; o++) {
            want[o] = dB0[o];
            for (int i = 0; i < N; i++) want[o] += dOut[i * OC + o];
        }
        assertThat(GradCheck.relativeError(dB, want)).isLessThan(1e-6);
    }

    private static void check(int N, int C, int OC, int off, int tail, int samples, boolean withBias) {
        SplittableRandom rng = new SplittableRandom(N * 3L + C * 5L + OC);
        float[] in = randomFloats(rng, N * C, -1, 1), w = randomFloats(rng, OC * C, -0.5, 0.5);
        float[] bias = withBias ? randomFloats(rng, OC, -1, 1) : null;
        double[] ind = GradCheck.toDoubles(in), wd = GradCheck.toDoubles(w), bd = withBias ? GradCheck.toDoubles(bias) : null;
        float[] inP = padded(rng, in, off, tail), wP = padded(rng, w, off, tail), bP = withBias ? padded(rng, bias, off, tail) : null;
        float[] out = new float[off + N * OC + tail];
        Linear.forward(out, off, inP, off, wP, off, bP, off, N, C, OC);
        assertThat(forwardError(out, off, reference(ind, wd, bd, N, C, OC))).isLessThan(1e-6);

        double[] dOut = GradCheck.randomDoubles(rng, N * OC, -1, 1);
        float[] dOutP = padded(rng, GradCheck.toFloats(dOut), off, tail);
        float[] dIn = padded(rng, randomFloats(rng, N * C, -1, 1), off, tail), dIn0 = dIn.clone();
        float[] dW = padded(rng, randomFloats(rng, OC * C, -1, 1), off, tail), dW0 = dW.clone();
        float[] dB = padded(rng, randomFloats(rng, OC, -1, 1), off, tail), dB0 = dB.clone();
        Linear.backward(dIn, off, dW, off, withBias ? dB : null, off, dOutP, off, inP, off, wP, off, N, C, OC);

        double h = 1e-4;   // linear in each argument: any step is exact up to rounding
        int[] ii = indices(rng, N * C, samples);
        double[] gi = numeric(v -> GradCheck.weightedSum(reference(v, wd, bd, N, C, OC), dOut), ind, h, ii);
        assertThat(accumulatedError(dIn, dIn0, off, ii, gi)).isLessThan(1e-5);
        int[] iw = indices(rng, OC * C, samples);
        double[] gw = numeric(v -> GradCheck.weightedSum(reference(ind, v, bd, N, C, OC), dOut), wd, h, iw);
        assertThat(accumulatedError(dW, dW0, off, iw, gw)).isLessThan(1e-5);
        if (withBias) {
            int[] ib = indices(rng, OC, samples);
            double[] gb = numeric(v -> GradCheck.weightedSum(reference(ind, wd, v, N, C, OC), dOut), bd, h, ib);
            assertThat(accumulatedError(dB, dB0, off, ib, gb)).isLessThan(1e-5);
        } else {
            assertThat(dB).isEqualTo(dB0);
        }

        // Each gradient alone equals the same gradient computed together with the others.
        float[] dWOnly = dW0.clone();
        Linear.backward(null, 0, dWOnly, off, null, 0, dOutP, off, inP, off, null, 0, N, C, OC);
        assertThat(dWOnly).isEqualTo(dW);
        float[] dInOnly = dIn0.clone();
        Linear.backward(dInOnly, off, null, 0, null, 0, dOutP, off, null, 0, wP, off, N, C, OC);
        assertThat(dInOnly).isEqualTo(dIn);
    }

    @Test
    void badArgumentsNameTheOpAndShapes() {
        assertThatThrownBy(() -> Linear.forward(new float[6], 0, new float[8], 0, new float[11], 0, null, 0, 2, 4, 3))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("Linear.forward(N=2, C=4, OC=3)").hasMessageContaining("w at offset 0 needs 12");
        assertThatThrownBy(() -> Linear.forward(new float[6], 0, new float[8], 0, new float[12], 0, new float[2], 0, 2, 4, 3))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("bias at offset 0 needs 3");
        assertThatThrownBy(() -> Linear.backward(new float[8], 0, null, 0, null, 0, new float[6], 0, null, 0, null, 0, 2, 4, 3))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("Linear.backward(N=2, C=4, OC=3)").hasMessageContaining("w is null");
    }
}
