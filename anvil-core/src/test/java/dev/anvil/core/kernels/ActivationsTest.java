package dev.anvil.core.kernels;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;
import java.util.function.DoubleUnaryOperator;

import static dev.anvil.core.kernels.SampledGradient.accumulatedError;
import static dev.anvil.core.kernels.SampledGradient.forwardError;
import static dev.anvil.core.kernels.SampledGradient.indices;
import static dev.anvil.core.kernels.SampledGradient.numeric;
import static dev.anvil.core.kernels.SampledGradient.padded;
import static dev.anvil.core.kernels.SampledGradient.randomFloats;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ActivationsTest {

    static double gelu(double x) {
        return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
    }

    static double silu(double x) {
        return x / (1 + Math.exp(-x));
    }

    private static double[] map(double[] x, DoubleUnaryOperator f) {
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) y[i] = f.applyAsDouble(x[i]);
        return y;
    }

    private static double[] swiglu(double[] g, double[] u) {
        double[] y = new double[g.length];
        for (int i = 0; i < g.length; i++) y[i] = silu(g[i]) * u[i];
        return y;
    }

    private static double sampledSwiglu(double[] g, double[] u, double[] w, int[] ix) {
        double s = 0;
        for (int i : ix) s += silu(g[i]) * u[i] * w[i];
        return s;
    }

    interface Unary { void run(float[] out, int outOff, float[] in, int inOff, int n); }

    interface UnaryBackward { void run(float[] dIn, int dInOff, float[] in, int inOff, float[] dOut, int dOutOff, int n); }

    @Test
    void geluMatchesReferenceAndFiniteDifferences() {
        for (int n : new int[]{37, 100_003}) checkUnary(n, Activations::geluForward, Activations::geluBackward, ActivationsTest::gelu);
    }

    @Test
    void siluMatchesReferenceAndFiniteDifferences() {
        for (int n : new int[]{37, 100_003}) checkUnary(n, Activations::siluForward, Activations::siluBackward, ActivationsTest::silu);
    }

    private static void checkUnary(int n, Unary forward, UnaryBackward backward, DoubleUnaryOperator f) {
        SplittableRandom rng = new SplittableRandom(n);
        int off = 5, tail = 3;
        float[] x = randomFloats(rng, n, -6, 6);
        double[] xd = GradCheck.toDoubles(x);
        float[] xp = padded(rng, x, off, tail), out = new float[off + n + tail];
        forward.run(out, off, xp, off, n);
        assertThat(forwardError(out, off, map(xd, f))).isLessThan(1e-6);
        assertThat(out[off + n]).isZero();

        double[] dOut = GradCheck.randomDoubles(rng, n, -1, 1);
        float[] dIn = padded(rng, randomFloats(rng, n, -0.5, 0.5), off, tail), dIn0 = dIn.clone();
        backward.run(dIn, off, xp, off, padded(rng, GradCheck.toFloats(dOut), off, tail), off, n);
        int[] ix = indices(rng, n, 400);
        // Elementwise: L depends on x_i only through out_i, so difference one element at a time.
        double[] g = numeric(v -> {
            double s = 0;
            for (int k = 0; k < ix.length; k++) s += f.applyAsDouble(v[ix[k]]) * dOut[ix[k]];
            return s;
        }, xd, 1e-6, ix);
        assertThat(accumulatedError(dIn, dIn0, off, ix, g)).isLessThan(1e-5);
    }

    @Test
    void swigluMatchesReferenceAndFiniteDifferences() {
        for (int n : new int[]{37, 100_003}) {
            SplittableRandom rng = new SplittableRandom(n + 1);
            float[] gate = randomFloats(rng, n, -6, 6), up = randomFloats(rng, n, -2, 2);
            double[] gd = GradCheck.toDoubles(gate), ud = GradCheck.toDoubles(up);
            float[] out = new float[n];
            Activations.swigluForward(out, 0, gate, 0, up, 0, n);
            assertThat(forwardError(out, 0, swiglu(gd, ud))).isLessThan(1e-6);

            double[] dOut = GradCheck.randomDoubles(rng, n, -1, 1);
            float[] dG = randomFloats(rng, n, -0.5, 0.5), dU = randomFloats(rng, n, -0.5, 0.5);
            float[] dG0 = dG.clone(), dU0 = dU.clone();
            Activations.swigluBackward(dG, 0, dU, 0, gate, 0, up, 0, GradCheck.toFloats(dOut), 0, n);
            int[] ix = indices(rng, n, 400);
            // out_i depends on gate_i and up_i only: L restricted to the sampled elements has the
            // same partial derivatives there and is cheap to evaluate.
            double[] gg = numeric(v -> sampledSwiglu(v, ud, dOut, ix), gd, 1e-6, ix);
            double[] gu = numeric(v -> sampledSwiglu(gd, v, dOut, ix), ud, 1e-6, ix);
            assertThat(accumulatedError(dG, dG0, 0, ix, gg)).isLessThan(1e-5);
            assertThat(accumulatedError(dU, dU0, 0, ix, gu)).isLessThan(1e-5);

            float[] dUOnly = dU0.clone();
            Activations.swigluBackward(null, 0, dUOnly, 0, gate, 0, null, 0, GradCheck.toFloats(dOut), 0, n);
            for (int i = 0; i < n; i++) {
                if (dUOnly[i] != dU[i]) throw new AssertionError("dUp alone differs at " + i + ": " + dUOnly[i] + " vs " + dU[i] + " gate " + gate[i]);
            }
        }
    }

    @Test
    void extremeInputsSaturateWithoutNaN() {
        float[] x = {-1e4f, -200f, -90f, -20f, 0f, 20f, 90f, 200f, 1e4f, -0f, 1e-30f, -1e-30f, 3f, -3f, 7f, -7f, 50f};
        int n = x.length;
        float[] gelu = new float[n], silu = new float[n], dGelu = new float[n], dSilu = new float[n];
        float[] ones = new float[n];
        java.util.Arrays.fill(ones, 1f);
        Activations.geluForward(gelu, 0, x, 0, n);
        Activations.siluForward(silu, 0, x, 0, n);
        Activations.geluBackward(dGelu, 0, x, 0, ones, 0, n);
        Activations.siluBackward(dSilu, 0, x, 0, ones, 0, n);
        for (int i = 0; i < n; i++) {
            assertThat((double) gelu[i]).as("gelu(%s)", x[i]).isCloseTo(gelu(x[i]), org.assertj.core.data.Offset.offset(1e-6 * Math.max(1, Math.abs(x[i]))));
            assertThat((double) silu[i]).as("silu(%s)", x[i]).isCloseTo(silu(x[i]), org.assertj.core.data.Offset.offset(1e-6 * Math.max(1, Math.abs(x[i]))));
            assertThat(dGelu[i]).as("gelu'(%s)", x[i]).isBetween(-0.2f, 1.2f);
            assertThat(dSilu[i]).as("silu'(%s)", x[i]).isBetween(-0.2f, 1.2f);
        }
    }

    @Test
    void vectorLanesAndScalarTailGiveIdenticalBits() {
        // A length-1 call runs entirely in the scalar tail; a long call puts the same values in
        // vector lanes. Equal bits mean results do not depend on where chunk boundaries fall.
        SplittableRandom rng = new SplittableRandom(9);
        int n = 64;
        float[] x = randomFloats(rng, n, -8, 8), up = randomFloats(rng, n, -2, 2), dOut = randomFloats(rng, n, -1, 1);
        float[][] whole = new float[5][n];
        Activations.geluForward(whole[0], 0, x, 0, n);
        Activations.siluForward(whole[1], 0, x, 0, n);
        Activations.swigluForward(whole[2], 0, x, 0, up, 0, n);
        Activations.geluBackward(whole[3], 0, x, 0, dOut, 0, n);
        Activations.siluBackward(whole[4], 0, x, 0, dOut, 0, n);
        for (int i = 0; i < n; i++) {
            float[] one = new float[5];
            Activations.geluForward(one, 0, x, i, 1);
            Activations.siluForward(one, 1, x, i, 1);
            Activations.swigluForward(one, 2, x, i, up, i, 1);
            Activations.geluBackward(one, 3, x, i, dOut, i, 1);
            Activations.siluBackward(one, 4, x, i, dOut, i, 1);
            for (int op = 0; op < 5; op++) {
                assertThat(Float.floatToRawIntBits(one[op])).as("op %d element %d", op, i).isEqualTo(Float.floatToRawIntBits(whole[op][i]));
            }
        }
    }

    @Test
    void inPlaceForwardIsAllowed() {
        float[] x = {-1f, 0f, 0.5f, 2f};
        float[] expected = new float[4];
        Activations.geluForward(expected, 0, x, 0, 4);
        Activations.geluForward(x, 0, x, 0, 4);
        assertThat(x).containsExactly(expected);
    }

    @Test
    void badArgumentsNameTheOp() {
        assertThatThrownBy(() -> Activations.geluForward(new float[3], 0, new float[4], 0, 4))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Activations.geluForward(n=4)").hasMessageContaining("out at offset 0 needs 4");
        assertThatThrownBy(() -> Activations.siluBackward(new float[4], 0, new float[4], 1, new float[4], 0, 4))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Activations.siluBackward(n=4)").hasMessageContaining("in at offset 1");
        assertThatThrownBy(() -> Activations.swigluBackward(new float[4], 0, null, 0, new float[4], 0, null, 0, new float[4], 0, 4))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Activations.swigluBackward(n=4)").hasMessageContaining("up is null");
    }
}
