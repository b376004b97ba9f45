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

    /** GELU as defined, x·Φ(x), in double. */
    static double geluErf(double x) {
        return x * normalCdf(x);
    }

    /**
     * Φ(x) = ½·(1 + erf(x/√2)) in double, erf from its series of positive terms
     * erf(z) = 2/√π·e^(−z²)·Σ 2ⁿz^(2n+1)/(1·3·…·(2n+1)) (Abramowitz–Stegun 7.1.6), which converges for
     * every z without cancellation; past z = 6, 1 − erf(z) &lt; 10⁻¹⁶ is below double precision anyway.
     */
    static double normalCdf(double x) {
        double z = Math.abs(x) / Math.sqrt(2);
        double erf = 1;
        if (z < 6) {
            double term = z, sum = z;
            for (int n = 1; term > 1e-18 * sum; n++) {
                term *= 2 * z * z / (2 * n + 1);
                sum += term;
            }
            erf = 2 / Math.sqrt(Math.PI) * Math.exp(-z * z) * sum;
        }
        return x < 0 ? 0.5 * (1 - erf) : 0.5 * (1 + erf);
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
    void geluErfMatchesReferenceAndFiniteDifferences() {
        for (int n : new int[]{37, 100_003}) checkUnary(n, Activations::geluErfForward, Activations::geluErfBackward, ActivationsTest::geluErf);
    }

    @Test
    void geluErfKeepsItsRelativeAccuracyInTheNegativeTail() {
        // x·Φ(x) is tiny there; 1 + erf computed naively would cancel to a few correct digits.
        for (float x = -6f; x <= 6f; x += 1f / 64) {
            float[] out = new float[1];
            Activations.geluErfForward(out, 0, new float[]{x}, 0, 1);
            double expected = geluErf(x);
            assertThat(Math.abs(out[0] - expected)).as("gelu_erf(%s)", x).isLessThanOrEqualTo(2e-6 * Math.abs(expected) + 1e-30);
        }
    }

    @Test
    void geluErfAndGeluTanhAreDifferentFunctions() {
        // The tanh form differs from x·Φ(x) by up to ~5e-4 (around |x| ≈ 2); both kernels must keep that difference.
        float[] x = {-2.5f, -2f, -1.5f, 1.5f, 2f, 2.5f};
        float[] erf = new float[x.length], tanh = new float[x.length];
        Activations.geluErfForward(erf, 0, x, 0, x.length);
        Activations.geluForward(tanh, 0, x, 0, x.length);
        for (int i = 0; i < x.length; i++) {
            assertThat((double) erf[i] - tanh[i]).as("x = %s", x[i]).isCloseTo(geluErf(x[i]) - gelu(x[i]), org.assertj.core.data.Offset.offset(2e-6));
            assertThat(Math.abs(geluErf(x[i]) - gelu(x[i]))).isGreaterThan(1e-5);
        }
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
        float[] geluErf = new float[n], dGeluErf = new float[n];
        float[] ones = new float[n];
        java.util.Arrays.fill(ones, 1f);
        Activations.geluErfForward(geluErf, 0, x, 0, n);
        Activations.geluErfBackward(dGeluErf, 0, x, 0, ones, 0, n);
        Activations.geluForward(gelu, 0, x, 0, n);
        Activations.siluForward(silu, 0, x, 0, n);
        Activations.geluBackward(dGelu, 0, x, 0, ones, 0, n);
        Activations.siluBackward(dSilu, 0, x, 0, ones, 0, n);
        for (int i = 0; i < n; i++) {
            assertThat((double) gelu[i]).as("gelu(%s)", x[i]).isCloseTo(gelu(x[i]), org.assertj.core.data.Offset.offset(1e-6 * Math.max(1, Math.abs(x[i]))));
            assertThat((double) silu[i]).as("silu(%s)", x[i]).isCloseTo(silu(x[i]), org.assertj.core.data.Offset.offset(1e-6 * Math.max(1, Math.abs(x[i]))));
            assertThat((double) geluErf[i]).as("gelu_erf(%s)", x[i]).isCloseTo(geluErf(x[i]), org.assertj.core.data.Offset.offset(1e-6 * Math.max(1, Math.abs(x[i]))));
            assertThat(dGelu[i]).as("gelu'(%s)", x[i]).isBetween(-0.2f, 1.2f);
            assertThat(dGeluErf[i]).as("gelu_erf'(%s)", x[i]).isBetween(-0.2f, 1.2f);
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
        float[][] whole = new float[7][n];
        Activations.geluForward(whole[0], 0, x, 0, n);
        Activations.siluForward(whole[1], 0, x, 0, n);
        Activations.swigluForward(whole[2], 0, x, 0, up, 0, n);
        Activations.geluBackward(whole[3], 0, x, 0, dOut, 0, n);
        Activations.siluBackward(whole[4], 0, x, 0, dOut, 0, n);
        Activations.geluErfForward(whole[5], 0, x, 0, n);
        Activations.geluErfBackward(whole[6], 0, x, 0, dOut, 0, n);
        for (int i = 0; i < n; i++) {
            float[] one = new float[7];
            Activations.geluForward(one, 0, x, i, 1);
            Activations.siluForward(one, 1, x, i, 1);
            Activations.swigluForward(one, 2, x, i, up, i, 1);
            Activations.geluBackward(one, 3, x, i, dOut, i, 1);
            Activations.siluBackward(one, 4, x, i, dOut, i, 1);
            Activations.geluErfForward(one, 5, x, i, 1);
            Activations.geluErfBackward(one, 6, x, i, dOut, i, 1);
            for (int op = 0; op < 7; op++) {
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
        assertThatThrownBy(() -> Activations.geluErfBackward(new float[4], 0, new float[3], 0, new float[4], 0, 4))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Activations.geluErfBackward(n=4)").hasMessageContaining("in at offset 0 needs 4");
        assertThatThrownBy(() -> Activations.siluBackward(new float[4], 0, new float[4], 1, new float[4], 0, 4))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Activations.siluBackward(n=4)").hasMessageContaining("in at offset 1");
        assertThatThrownBy(() -> Activations.swigluBackward(new float[4], 0, null, 0, new float[4], 0, null, 0, new float[4], 0, 4))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Activations.swigluBackward(n=4)").hasMessageContaining("up is null");
    }
}
