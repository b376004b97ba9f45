package dev.anvil.core.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.anvil.core.kernels.Rope.Style;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

class RopeTest {

    /** Float64 rotary embedding straight from the definition, angles pos·θ^(−2i/D). */
    static double[] reference(double[] x, int B, int T, int H, int D, int pos0, double theta, Style style) {
        double[] y = new double[x.length];
        int half = D / 2;
        for (int b = 0; b < B; b++) {
            for (int t = 0; t < T; t++) {
                for (int h = 0; h < H; h++) {
                    int o = ((b * T + t) * H + h) * D;
                    for (int i = 0; i < half; i++) {
                        double angle = (pos0 + t) * Math.pow(theta, -2.0 * i / D);
                        int i1 = style == Style.HALF ? i : 2 * i;
                        int i2 = style == Style.HALF ? i + half : 2 * i + 1;
                        y[o + i1] = x[o + i1] * Math.cos(angle) - x[o + i2] * Math.sin(angle);
                        y[o + i2] = x[o + i2] * Math.cos(angle) + x[o + i1] * Math.sin(angle);
                    }
                }
            }
        }
        return y;
    }

    @ParameterizedTest(name = "{6} B={0} T={1} H={2} D={3} pos0={4}")
    @CsvSource({
            "2, 5, 3, 6, 0, 10000, HALF",
            "2, 5, 3, 6, 0, 10000, INTERLEAVED",
            "1, 9, 2, 64, 100, 10000, HALF",
            "1, 9, 2, 64, 100, 500000, INTERLEAVED",
            "3, 4, 4, 40, 7, 10000, HALF",       // D/2 = 20: masked tail of the vector loop
            "1, 3, 1, 2, 1000, 10000, HALF",
            "1, 3, 1, 2, 1000, 10000, INTERLEAVED",
    })
    void forwardMatchesFloat64Reference(int B, int T, int H, int D, int pos0, double theta, Style style) {
        SplittableRandom rng = new SplittableRandom(B * 1000L + D);
        float[] x = GradCheck.toFloats(GradCheck.randomDoubles(rng, B * T * H * D, -2, 2));
        Rope.Table table = new Rope.Table(pos0 + T + 3, D, theta);
        float[] y = new float[x.length];
        Rope.forward(y, 0, x, 0, B, T, H, D, pos0, table, style);
        double[] ref = reference(GradCheck.toDoubles(x), B, T, H, D, pos0, theta, style);
        // Positions up to ~1000 rad: cos/sin rounded to float carry ~1e-7 relative error each.
        assertThat(GradCheck.relativeError(y, ref)).isLessThan(5e-7);
    }

    @ParameterizedTest
    @EnumSource(Style.class)
    void inPlaceEqualsOutOfPlace(Style style) {
        int B = 2, T = 6, H = 3, D = 34;
        float[] x = GradCheck.toFloats(GradCheck.randomDoubles(new SplittableRandom(4), B * T * H * D, -1, 1));
        Rope.Table table = new Rope.Table(64, D, 10000);
        float[] y = new float[x.length];
        Rope.forward(y, 0, x, 0, B, T, H, D, 5, table, style);
        Rope.forward(x, 0, x, 0, B, T, H, D, 5, table, style);
        assertThat(x).containsExactly(y);
    }

    @ParameterizedTest
    @EnumSource(Style.class)
    void positionZeroIsTheIdentityAndOffsetsAreHonoured(Style style) {
        int D = 8, pad = 5;
        float[] x = GradCheck.toFloats(GradCheck.randomDoubles(new SplittableRandom(6), D + pad, -1, 1));
        float[] y = new float[D + pad + 2];
        Rope.forward(y, pad + 2, x, pad, 1, 1, 1, D, 0, new Rope.Table(4, D, 10000), style);
        assertThat(Arrays.copyOfRange(y, pad + 2, y.length)).containsExactly(Arrays.copyOfRange(x, pad, x.length));
        assertThat(Arrays.copyOfRange(y, 0, pad + 2)).containsOnly(0f);
    }

    /** Backward against float64 central differences of L = Σ rope(x) ⊙ w; dIn pre-filled to check += . */
    @ParameterizedTest(name = "{4} D={3} pos0={5}")
    @CsvSource({
            "2, 3, 2, 6, HALF, 4",
            "2, 3, 2, 6, INTERLEAVED, 4",
            "1, 4, 1, 36, HALF, 30",
            "1, 4, 1, 36, INTERLEAVED, 30",
    })
    void backwardMatchesFiniteDifferences(int B, int T, int H, int D, Style style, int pos0) {
        SplittableRandom rng = new SplittableRandom(D * 17L + pos0);
        int n = B * T * H * D;
        double[] x = GradCheck.toDoubles(GradCheck.toFloats(GradCheck.randomDoubles(rng, n, -1, 1)));
        double[] w = GradCheck.randomDoubles(rng, n, -1, 1);
        double theta = 10000;
        double[] numeric = GradCheck.numericGradient(
                xs -> GradCheck.weightedSum(reference(xs, B, T, H, D, pos0, theta, style), w), x, 1e-4);
        float[] dIn = new float[n];
        Arrays.fill(dIn, 0.25f);
        Rope.backward(dIn, 0, GradCheck.toFloats(w), 0, B, T, H, D, pos0, new Rope.Table(pos0 + T, D, theta), style);
        for (int i = 0; i < n; i++) dIn[i] -= 0.25f;
        assertThat(GradCheck.relativeError(dIn, numeric)).isLessThan(1e-6);
    }

    @ParameterizedTest
    @EnumSource(Style.class)
    void rotationPreservesTheNormOfEveryHead(Style style) {
        int T = 50, H = 2, D = 64;
        float[] x = GradCheck.toFloats(GradCheck.randomDoubles(new SplittableRandom(8), T * H * D, -1, 1));
        float[] y = new float[x.length];
        Rope.forward(y, 0, x, 0, 1, T, H, D, 0, new Rope.Table(T, D, 10000), style);
        for (int row = 0; row < T * H; row++) {
            double nx = 0, ny = 0;
            for (int d = 0; d < D; d++) {
                nx += (double) x[row * D + d] * x[row * D + d];
                ny += (double) y[row * D + d] * y[row * D + d];
            }
            assertThat(ny).isCloseTo(nx, within(1e-5 * nx));
        }
    }

    @Test
    void backwardUndoesForward() {
        // R(−φ)·R(φ) = I: rotating back recovers the input (to float rounding).
        int T = 20, D = 16;
        float[] x = GradCheck.toFloats(GradCheck.randomDoubles(new SplittableRandom(12), T * D, -1, 1));
        Rope.Table table = new Rope.Table(T, D, 10000);
        float[] y = new float[x.length], back = new float[x.length];
        Rope.forward(y, 0, x, 0, 1, T, 1, D, 0, table, Style.INTERLEAVED);
        Rope.backward(back, 0, y, 0, 1, T, 1, D, 0, table, Style.INTERLEAVED);
        assertThat(GradCheck.relativeError(back, GradCheck.toDoubles(x))).isLessThan(1e-6);
    }

    @Test
    void halfAndInterleavedDifferByAChannelPermutation() {
        // Interleaved channel 2i holds half-style channel i, and 2i+1 holds i + D/2.
        int T = 7, H = 3, D = 24, half = D / 2;
        float[] xHalf = GradCheck.toFloats(GradCheck.randomDoubles(new SplittableRandom(10), T * H * D, -1, 1));
        float[] xInter = new float[xHalf.length];
        for (int row = 0; row < T * H; row++) {
            for (int i = 0; i < half; i++) {
                xInter[row * D + 2 * i] = xHalf[row * D + i];
                xInter[row * D + 2 * i + 1] = xHalf[row * D + half + i];
            }
        }
        Rope.Table table = new Rope.Table(T + 10, D, 10000);
        float[] yHalf = new float[xHalf.length], yInter = new float[xHalf.length];
        Rope.forward(yHalf, 0, xHalf, 0, 1, T, H, D, 3, table, Style.HALF);
        Rope.forward(yInter, 0, xInter, 0, 1, T, H, D, 3, table, Style.INTERLEAVED);
        for (int row = 0; row < T * H; row++) {
            for (int i = 0; i < half; i++) {
                assertThat(yInter[row * D + 2 * i]).isEqualTo(yHalf[row * D + i]);
                assertThat(yInter[row * D + 2 * i + 1]).isEqualTo(yHalf[row * D + half + i]);
            }
        }
    }

    @Test
    void rejectsBadArguments() {
        Rope.Table table = new Rope.Table(16, 8, 10000);
        float[] a = new float[256];
        assertThatThrownBy(() -> Rope.forward(a, 0, a, 0, 1, 10, 1, 8, 7, table, Style.HALF))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("rope.forward(B=1, T=10, H=1, D=8, pos0=7)")
                .hasMessageContaining("positions 7 … 16 fall outside the table's [0, 16)");
        assertThatThrownBy(() -> Rope.forward(a, 0, a, 0, 1, 4, 1, 6, 0, table, Style.HALF))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("table's headDim 8");
        assertThatThrownBy(() -> Rope.forward(a, 0, a, 0, 1, 4, 1, 7, 0, table, Style.HALF))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("D must be even");
        assertThatThrownBy(() -> Rope.backward(a, 0, a, 250, 1, 4, 1, 8, 0, table, Style.HALF))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("rope.backward(").hasMessageContaining("dOut [B, T, H, D] needs 32 elements at offset 250");
        assertThatThrownBy(() -> Rope.forward(a, 0, a, 0, 1, 4, 1, 8, -1, table, Style.HALF))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("fall outside");
        assertThatThrownBy(() -> new Rope.Table(16, 5, 10000))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("headDim must be even");
        assertThatThrownBy(() -> new Rope.Table(16, 8, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("theta must be positive");
    }
}
