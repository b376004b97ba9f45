package dev.anvil.core.kernels;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class VectorMathTest {

    @Test
    void expIsWithinOneUlpOverTheWholeRangeAndLanesMatchScalar() {
        SplittableRandom rng = new SplittableRandom(1);
        int L = VectorMath.LANES;
        int n = L * 5_000;
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) rng.nextDouble(-110, 95);
        float[] special = {0f, -0f, 1f, -1f, 88.72283f, 88.7229f, -87.33654f, -103.9f, -104f, -200f,
                Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, Float.NaN, 1e-30f, -1e-30f, 0.34657359f};
        System.arraycopy(special, 0, x, 0, special.length);
        float[] y = new float[n];
        for (int i = 0; i < n; i += L) VectorMath.exp(FloatVector.fromArray(VectorMath.SPECIES, x, i)).intoArray(y, i);
        double worst = 0;
        int laneMismatches = 0, badSpecial = 0;
        for (int i = 0; i < n; i++) {
            if (Float.floatToRawIntBits(VectorMath.exp(x[i])) != Float.floatToRawIntBits(y[i])) laneMismatches++;
            double e = Math.exp(x[i]);
            float ef = (float) e;
            if (Double.isNaN(e)) {
                if (!Float.isNaN(y[i])) badSpecial++;
            } else if (Float.isInfinite(ef)) {
                if (y[i] != ef) badSpecial++;
            } else if (ef < Float.MIN_NORMAL) {
                // subnormal results: within one subnormal step
                if (Math.abs(y[i] - e) > 1.5 * Float.MIN_VALUE) badSpecial++;
            } else {
                worst = Math.max(worst, Math.abs(y[i] - e) / Math.ulp(ef));
            }
        }
        assertThat(laneMismatches).as("scalar exp differing from the vector lane").isZero();
        assertThat(badSpecial).as("wrong overflow, underflow or NaN results").isZero();
        assertThat(worst).isLessThanOrEqualTo(1.0);
        assertThat(VectorMath.exp(Float.NEGATIVE_INFINITY)).isZero();
        assertThat(VectorMath.exp(Float.POSITIVE_INFINITY)).isInfinite();
    }

    @Test
    void reductionsMatchDoubleSumsAtEveryTailLength() {
        SplittableRandom rng = new SplittableRandom(2);
        for (int n = 0; n <= 4 * VectorMath.LANES + 3; n++) {
            int off = 3;
            float[] a = SampledGradient.randomFloats(rng, n + off, -2, 2), b = SampledGradient.randomFloats(rng, n + off, -2, 2);
            double sum = 0, dot = 0, sq = 0, dev = 0, max = Double.NEGATIVE_INFINITY, sumExp = 0;
            for (int i = off; i < off + n; i++) {
                sum += a[i];
                dot += (double) a[i] * b[i];
                sq += (double) a[i] * a[i];
                dev += (a[i] - 0.25) * (a[i] - 0.25);
                max = Math.max(max, a[i]);
                sumExp += Math.exp(a[i] - 1.5);
            }
            double tol = 1e-5 * (n + 1);
            assertThat((double) VectorMath.sum(a, off, n)).as("sum n=%d", n).isCloseTo(sum, within(tol));
            assertThat((double) VectorMath.dot(a, off, b, off, n)).as("dot n=%d", n).isCloseTo(dot, within(tol));
            assertThat((double) VectorMath.sumOfSquares(a, off, n)).isCloseTo(sq, within(tol));
            assertThat((double) VectorMath.sumOfSquaredDeviations(a, off, n, 0.25f)).isCloseTo(dev, within(tol));
            assertThat((double) VectorMath.max(a, off, n)).isEqualTo(max);
            assertThat((double) VectorMath.sumExp(a, off, n, 1.5f)).isCloseTo(sumExp, within(tol));

            float[] y = b.clone();
            VectorMath.axpy(y, off, 0.5f, a, off, n);
            for (int i = off; i < off + n; i++) assertThat(y[i]).isCloseTo(b[i] + 0.5f * a[i], within(1e-6f));
            assertThat(y[0]).isEqualTo(b[0]);
        }
    }
}
