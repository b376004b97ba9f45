package dev.anvil.core.random;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class RngTest {

    @Test
    void xoshiroMatchesTheReferenceAlgorithmFromAKnownState() {
        // Outputs of the published xoshiro256** C code started from state {1, 2, 3, 4}.
        Rng r = Rng.ofRawState(1, 2, 3, 4);
        assertThat(r.nextLong()).isEqualTo(0x2d00L);
        assertThat(r.nextLong()).isEqualTo(0L);
        assertThat(r.nextLong()).isEqualTo(0x5a007080L);
        assertThat(r.nextLong()).isEqualTo(0x10e0000000009d80L);
        assertThat(r.nextLong()).isEqualTo(0x10e0b61ce1009d80L);
        assertThat(r.nextLong()).isEqualTo(0x870021ce143ad00L);
    }

    @Test
    void splitMixOutputMatchesTheReference() {
        // SplitMix64 from seed 0: the first output is 0xe220a8397b1dcdaf.
        assertThat(Rng.mix64(0x9E3779B97F4A7C15L)).isEqualTo(0xe220a8397b1dcdafL);
    }

    @Test
    void sameSeedSameSequenceDifferentSeedDifferentSequence() {
        Rng a = new Rng(42), b = new Rng(42), c = new Rng(43);
        boolean anyDifferent = false;
        for (int i = 0; i < 1000; i++) {
            long x = a.nextLong();
            assertThat(b.nextLong()).isEqualTo(x);
            anyDifferent |= c.nextLong() != x;
        }
        assertThat(anyDifferent).isTrue();
    }

    @Test
    void saveAndRestoreContinuesTheExactStream() {
        Rng r = new Rng(7);
        for (int i = 0; i < 17; i++) r.nextGaussian();
        long[] saved = r.state();
        byte[] savedBytes = r.stateBytes();
        double[] expected = new double[100];
        for (int i = 0; i < expected.length; i++) expected[i] = i % 2 == 0 ? r.nextGaussian() : r.nextFloat();
        Rng fromLongs = Rng.fromState(saved), fromBytes = Rng.fromStateBytes(savedBytes);
        for (int i = 0; i < expected.length; i++) {
            assertThat(i % 2 == 0 ? fromLongs.nextGaussian() : fromLongs.nextFloat()).isEqualTo(expected[i]);
            assertThat(i % 2 == 0 ? fromBytes.nextGaussian() : fromBytes.nextFloat()).isEqualTo(expected[i]);
        }
        assertThatThrownBy(() -> Rng.fromState(new long[4])).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Rng.fromState(new long[3])).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void forkIsAPureFunctionOfStateAndStreamAndDoesNotAdvanceTheParent() {
        Rng parent = new Rng(1);
        long[] before = parent.state();
        Rng f1 = parent.fork(5), f1again = parent.fork(5), f2 = parent.fork(6);
        assertThat(parent.state()).isEqualTo(before);
        for (int i = 0; i < 100; i++) assertThat(f1again.nextLong()).isEqualTo(f1.nextLong());
        assertThat(correlation(parent.fork(5), f2, 20_000)).isLessThan(0.03);
        assertThat(correlation(parent.fork(5), new Rng(1), 20_000)).isLessThan(0.03);
    }

    @Test
    void splitStreamsAreUncorrelatedAndDistinct() {
        Rng parent = new Rng(99);
        Rng a = parent.split(), b = parent.split();
        assertThat(a.state()).isNotEqualTo(b.state());
        assertThat(correlation(a, b, 20_000)).isLessThan(0.03);
        // The parent keeps going on its own stream.
        assertThat(correlation(parent, parent.split(), 20_000)).isLessThan(0.03);
    }

    private static double correlation(Rng a, Rng b, int n) {
        double sa = 0, sb = 0, sab = 0, saa = 0, sbb = 0;
        for (int i = 0; i < n; i++) {
            double x = a.nextDouble(), y = b.nextDouble();
            sa += x; sb += y; sab += x * y; saa += x * x; sbb += y * y;
        }
        double cov = sab / n - (sa / n) * (sb / n);
        return Math.abs(cov / Math.sqrt((saa / n - sa * sa / n / n) * (sbb / n - sb * sb / n / n)));
    }

    @Test
    void uniformAndNormalHaveTheRightMoments() {
        Rng r = new Rng(2024);
        int n = 200_000;
        float[] u = new float[n], g = new float[n];
        r.fillUniform(u, 0, n, -1, 3);
        r.fillNormal(g, 0, n, 0.5, 0.02);
        double mu = 0, mg = 0;
        for (int i = 0; i < n; i++) {
            assertThat(u[i]).isBetween(-1f, 3f);
            mu += u[i];
            mg += g[i];
        }
        mu /= n;
        mg /= n;
        double vu = 0, vg = 0;
        for (int i = 0; i < n; i++) {
            vu += (u[i] - mu) * (u[i] - mu);
            vg += (g[i] - mg) * (g[i] - mg);
        }
        assertThat(mu).isCloseTo(1.0, within(0.02));
        assertThat(vu / n).isCloseTo(16.0 / 12, within(0.02));
        assertThat(mg).isCloseTo(0.5, within(0.0005));
        assertThat(Math.sqrt(vg / n)).isCloseTo(0.02, within(0.0005));
        for (int i = 0; i < 10_000; i++) {
            float f = r.nextFloat();
            assertThat(f).isGreaterThanOrEqualTo(0f).isLessThan(1f);
        }
    }

    @Test
    void boundedIntsAreUnbiasedAndInRange() {
        Rng r = new Rng(3);
        int[] counts = new int[7];
        for (int i = 0; i < 70_000; i++) counts[r.nextInt(7)]++;
        for (int c : counts) assertThat(c).isBetween(9_500, 10_500);
        assertThatThrownBy(() -> r.nextInt(0)).isInstanceOf(IllegalArgumentException.class);
    }
}
