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

class SoftmaxTest {

    static double[] reference(double[] x, int N, int C) {
        double[] y = new double[N * C];
        for (int r = 0; r < N; r++) {
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int c = 0; c < C; c++) max = Math.max(max, x[r * C + c]);
            for (int c = 0; c < C; c++) sum += Math.exp(x[r * C + c] - max);
            for (int c = 0; c < C; c++) y[r * C + c] = Math.exp(x[r * C + c] - max) / sum;
        }
        return y;
    }

    @Test
    void smallRowsMatchReferenceAndFiniteDifferences() {
        check(4, 29, 0, 0, 1000);
    }

    @Test
    void manyRowsRunOnSeveralThreadsAtOffsets() {
        check(64, 1027, 5, 3, 100);
    }

    private static void check(int N, int C, int off, int tail, int samples) {
        SplittableRandom rng = new SplittableRandom(N + C);
        float[] x = randomFloats(rng, N * C, -4, 4);
        double[] xd = GradCheck.toDoubles(x);
        float[] xp = padded(rng, x, off, tail), out = new float[off + N * C + tail];
        Softmax.forward(out, off, xp, off, N, C);
        assertThat(forwardError(out, off, reference(xd, N, C))).isLessThan(1e-6);

        double[] dOut = GradCheck.randomDoubles(rng, N * C, -1, 1);
        float[] dIn = padded(rng, randomFloats(rng, N * C, -0.01, 0.01), off, tail), dIn0 = dIn.clone();
        Softmax.backward(dIn, off, out, off, padded(rng, GradCheck.toFloats(dOut), off, tail), off, N, C);
        int[] ix = indices(rng, N * C, samples);
        double[] g = numeric(v -> GradCheck.weightedSum(reference(v, N, C), dOut), xd, 1e-6, ix);
        assertThat(accumulatedError(dIn, dIn0, off, ix, g)).isLessThan(1e-4);
    }

    @Test
    void hugeLogitsDoNotOverflow() {
        float[] x = {1000f, 999f, -1000f, 3e38f, 3e38f};
        float[] out = new float[5];
        Softmax.forward(out, 0, x, 0, 1, 3);
        assertThat(out[0]).isCloseTo((float) (1 / (1 + Math.exp(-1))), org.assertj.core.data.Offset.offset(1e-6f));
        assertThat(out[2]).isZero();
        Softmax.forward(out, 3, x, 3, 1, 2);
        assertThat(out[3]).isEqualTo(0.5f);
    }

    @Test
    void badArgumentsNameTheOp() {
        assertThatThrownBy(() -> Softmax.forward(new float[6], 0, new float[5], 0, 2, 3))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Softmax.forward(N=2, C=3)").hasMessageContaining("in at offset 0 needs 6");
        assertThatThrownBy(() -> Softmax.backward(new float[6], 0, new float[6], 0, new float[6], 1, 2, 3))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Softmax.backward(N=2, C=3)").hasMessageContaining("dOut");
    }
}
