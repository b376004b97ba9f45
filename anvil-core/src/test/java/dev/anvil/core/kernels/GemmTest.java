package dev.anvil.core.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.anvil.core.compute.ComputePool;
import java.util.SplittableRandom;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import org.junit.jupiter.api.Test;

class GemmTest {

    private static final ComputePool POOL2 = ComputePool.create(2);
    private static final ComputePool POOL3 = ComputePool.create(3);
    private static final ComputePool POOL1 = ComputePool.create(1);

    @AfterContainer
    static void closePools() {
        POOL1.close();
        POOL2.close();
        POOL3.close();
    }

    /** One sgemm call: shapes, layout, scalars, and how the operands sit in their arrays. */
    record Case(boolean transA, boolean transB, int m, int n, int k, float alpha, float beta,
                int aOff, int aPad, int bOff, int bPad, int cOff, int cPad, long seed) {
        @Override
        public String toString() {
            return (transA ? "T" : "N") + (transB ? "T" : "N") + " m=" + m + " n=" + n + " k=" + k
                    + " alpha=" + alpha + " beta=" + beta + " offs=" + aOff + "/" + bOff + "/" + cOff
                    + " pads=" + aPad + "/" + bPad + "/" + cPad;
        }
    }

    /** Sizes biased to small and odd values and to the blocking boundaries (MR 12/6, NR 32/16, KC 256). */
    private static Arbitrary<Integer> dim(int... around) {
        Arbitrary<Integer> small = Arbitraries.integers().between(1, 40);
        Arbitrary<Integer> edges = Arbitraries.of(java.util.Arrays.stream(around).boxed().toList()).flatMap(x -> Arbitraries.integers().between(Math.max(1, x - 2), x + 2));
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(3, small),
                net.jqwik.api.Tuple.of(2, edges));
    }

    @Provide
    Arbitrary<Case> cases() {
        Arbitrary<Integer> m = dim(1, 4, 6, 12, 24, 97, 128);
        Arbitrary<Integer> n = dim(1, 15, 16, 17, 31, 32, 33, 64, 97);
        Arbitrary<Integer> k = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(1, Arbitraries.just(0)),
                net.jqwik.api.Tuple.of(4, dim(1, 2, 3, 255, 256, 257, 300, 513)));
        Arbitrary<Float> alpha = Arbitraries.of(1f, -0.5f, 2.5f, 0f);
        Arbitrary<Float> beta = Arbitraries.of(0f, 0f, 1f, -1.5f);
        Arbitrary<Integer> off = Arbitraries.integers().between(0, 5);
        Arbitrary<Integer> pad = Arbitraries.of(0, 0, 1, 3, 17);
        Arbitrary<boolean[]> layout = Arbitraries.of(new boolean[] {false, false}, new boolean[] {false, true},
                new boolean[] {true, false}, new boolean[] {true, true});
        return Combinators.combine(layout, m, n, k, alpha, beta, Combinators.combine(off, off, off).as((x, y, z) -> new int[] {x, y, z}),
                Combinators.combine(pad, pad, pad, Arbitraries.longs()).as((x, y, z, s) -> new long[] {x, y, z, s}))
                .as((l, mm, nn, kk, al, be, offs, rest) -> new Case(l[0], l[1], mm, nn, kk, al, be,
                        offs[0], (int) rest[0], offs[1], (int) rest[1], offs[2], (int) rest[2], rest[3]));
    }

    /**
     * Every blocking a CPU may select, whichever this machine selects: this machine's, A always in
     * place and always packed (the per-CPU, per-stride choice), and a shallow, narrow blocking that puts K-slice and column-chunk
     * boundaries inside the small shapes.
     */
    @Provide
    Arbitrary<GemmTuning> tunings() {
        GemmTuning selected = GemmTuning.SELECTED;
        return Arbitraries.of(selected,
                selected.withBlocking(selected.kc(), selected.nc(), GemmBlocked.MR),
                selected.withBlocking(selected.kc(), selected.nc(), 0),
                selected.withBlocking(5, 2 * GemmBlocked.NR, 0),
                selected.withBlocking(7, 3 * GemmBlocked.NR, GemmBlocked.MR));
    }

    @Property(tries = 600)
    void matchesFloat64Reference(@ForAll("cases") Case cs, @ForAll("tunings") GemmTuning tuning) {
        check(cs, POOL2, tuning);
    }

    @Property(tries = 80)
    void matchesReferenceOnOneAndThreeThreads(@ForAll("cases") Case cs, @ForAll("tunings") GemmTuning tuning) {
        check(cs, POOL1, tuning);
        check(cs, POOL3, tuning);
    }

    @Test
    void packingADoesNotChangeTheBits() {
        // Where A sits does not change the order in which each element's products are summed.
        for (boolean transA : new boolean[] {false, true}) {
            Case cs = new Case(transA, false, 100, 70, 600, 1f, 0.5f, 1, 3, 2, 1, 0, 5, 11);
            GemmTuning selected = GemmTuning.SELECTED;
            assertThat(run(cs, POOL2, selected.withBlocking(selected.kc(), selected.nc(), 0)))
                    .isEqualTo(run(cs, POOL2, selected.withBlocking(selected.kc(), selected.nc(), GemmBlocked.MR)));
        }
    }

    @Test
    void packsAWhenMoreRowsShareAnL1SetThanItHasWays() {
        // Zen 4's L1d: 32 KB, 8 ways of 4 KB. lda 1024 puts all 12 rows in one set, lda 768 three
        // (rows 4 apart), lda 1000 one; Sapphire Rapids' 12 ways hold all 12.
        GemmTuning zen4 = new GemmTuning(256, 1024, 8, 4096, 2, "test");
        assertThat(zen4.packsA(1024)).isEqualTo(GemmBlocked.MR > 8);
        assertThat(zen4.packsA(2048)).isEqualTo(GemmBlocked.MR > 8);
        assertThat(zen4.packsA(768)).isFalse();
        assertThat(zen4.packsA(1000)).isFalse();
        assertThat(new GemmTuning(256, 1024, 12, 4096, 2, "test").packsA(1024)).isFalse();
        assertThat(new GemmTuning(256, 1024, 0, 0, 2, "test").packsA(768)).isTrue();
    }

    @Test
    void selectionIsDescribed() {
        assertThat(Gemm.kernelDescription()).contains("tile of").contains("KC " + GemmTuning.SELECTED.kc());
    }

    @Test
    void transformerShapesOnBothParallelSplits() {
        // Wide N (column chunks) and narrow N with many rows (row chunks duplicate the B packing).
        check(new Case(false, false, 64, 2304, 96, 1f, 0f, 0, 0, 0, 0, 0, 0, 1), POOL2);
        check(new Case(false, true, 600, 40, 130, 1f, 1f, 3, 5, 1, 2, 7, 1, 2), POOL2);
        check(new Case(true, false, 300, 100, 520, -1f, 0.5f, 0, 0, 0, 0, 0, 0, 3), POOL3);
        check(new Case(true, true, 260, 260, 260, 0.75f, 0f, 2, 9, 4, 1, 0, 33, 4), POOL2);
    }

    @Test
    void matrixVectorAndVectorMatrix() {
        for (boolean ta : new boolean[] {false, true}) {
            for (boolean tb : new boolean[] {false, true}) {
                check(new Case(ta, tb, 1, 3000, 700, 1f, 0f, 1, 0, 2, 3, 0, 0, 5), POOL2);
                check(new Case(ta, tb, 3000, 1, 700, 1f, 2f, 0, 4, 0, 0, 1, 2, 6), POOL2);
                check(new Case(ta, tb, 1, 1, 1, 3f, 0f, 0, 0, 0, 0, 0, 0, 7), POOL2);
            }
        }
    }

    @Test
    void betaZeroOverwritesNaNAndAlphaZeroDoesNotReadInputs() {
        int m = 20, n = 40, k = 30;
        float[] a = new float[m * k], b = new float[k * n], c = new float[m * n];
        java.util.Arrays.fill(a, 1f);
        java.util.Arrays.fill(b, 2f);
        java.util.Arrays.fill(c, Float.NaN);
        Gemm.sgemm(POOL2, false, false, m, n, k, 1f, a, 0, k, b, 0, n, 0f, c, 0, n);
        for (float x : c) assertThat(x).isEqualTo(60f);
        // alpha 0: C = beta·C and NaN in A never reaches C.
        java.util.Arrays.fill(a, Float.NaN);
        Gemm.sgemm(POOL2, false, false, m, n, k, 0f, a, 0, k, b, 0, n, 0.5f, c, 0, n);
        for (float x : c) assertThat(x).isEqualTo(30f);
        // k 0 with beta 0 clears C, NaN included.
        java.util.Arrays.fill(c, Float.NaN);
        Gemm.sgemm(POOL2, false, false, m, n, 0, 1f, a, 0, 1, b, 0, n, 0f, c, 0, n);
        for (float x : c) assertThat(x).isZero();
    }

    @Test
    void elementsOutsideTheAddressedSubmatrixStayUntouched() {
        // C is a 50×70 window in a 60×90 array; everything around it must keep its sentinel.
        int m = 50, n = 70, k = 33, ldc = 90, cOff = 5 * ldc + 7;
        SplittableRandom r = new SplittableRandom(9);
        float[] a = random(r, m * k), b = random(r, k * n), c = new float[60 * ldc];
        java.util.Arrays.fill(c, -7f);
        Gemm.sgemm(POOL2, false, false, m, n, k, 1f, a, 0, k, b, 0, n, 0f, c, cOff, ldc);
        for (int idx = 0; idx < c.length; idx++) {
            int row = (idx - cOff) / ldc, col = (idx - cOff) % ldc;
            boolean inside = idx >= cOff && row < m && col >= 0 && col < n;
            if (!inside) assertThat(c[idx]).as("element %d", idx).isEqualTo(-7f);
        }
    }

    @Test
    void badArgumentsThrowNamingTheShapes() {
        float[] a = new float[6], b = new float[6], c = new float[4];
        assertThatThrownBy(() -> Gemm.sgemm(POOL2, false, false, -1, 2, 3, 1f, a, 0, 3, b, 0, 2, 0f, c, 0, 2))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("m=-1");
        assertThatThrownBy(() -> Gemm.sgemm(POOL2, false, false, 2, 2, 3, 1f, a, 0, 2, b, 0, 2, 0f, c, 0, 2))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("m=2, n=2, k=3").hasMessageContaining("leading dimension of A is 2");
        assertThatThrownBy(() -> Gemm.sgemm(POOL2, false, true, 2, 2, 3, 1f, a, 0, 3, b, 1, 3, 0f, c, 0, 2))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("Bᵀ stored as 2×3").hasMessageContaining("array has 6");
        assertThatThrownBy(() -> Gemm.sgemm(POOL2, true, false, 2, 2, 3, 1f, a, 0, 2, b, 0, 2, 0f, c, 0, 3))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("C stored as 2×2 (ld 3)");
        assertThatThrownBy(() -> Gemm.sgemm(POOL2, false, false, 2, 2, 3, 1f, a, -1, 3, b, 0, 2, 0f, c, 0, 2))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at offset -1");
    }

    private static float[] random(SplittableRandom r, int len) {
        float[] x = new float[len];
        for (int i = 0; i < len; i++) x[i] = (float) r.nextDouble(-1, 1);
        return x;
    }

    /**
     * Runs the case and compares with a float64 reference. Any summation order of k products in
     * float32 is within γ(k) = k·u/(1 − k·u) of the exact value relative to Σ|a||b| (Higham, ch. 3);
     * with the alpha and beta roundings, (k + 3)·u·2 bounds every element.
     */
    private static void check(Case cs, ComputePool pool) {
        check(cs, pool, GemmTuning.SELECTED);
    }

    /** The C array after running the case with the given blocking. */
    private static float[] run(Case cs, ComputePool pool, GemmTuning tuning) {
        return run(cs, pool, tuning, operands(cs));
    }

    private static float[] run(Case cs, ComputePool pool, GemmTuning tuning, Operands o) {
        Gemm.sgemm(pool, tuning, cs.transA(), cs.transB(), cs.m(), cs.n(), cs.k(), cs.alpha(), o.a, cs.aOff(), o.lda,
                o.b, cs.bOff(), o.ldb, cs.beta(), o.c, cs.cOff(), o.ldc);
        return o.c;
    }

    /** A case's arrays, filled from its seed, with C's m×n window NaN when beta is 0. */
    private record Operands(float[] a, int lda, float[] b, int ldb, float[] c, int ldc) {}

    private static Operands operands(Case cs) {
        SplittableRandom r = new SplittableRandom(cs.seed());
        int m = cs.m(), n = cs.n(), k = cs.k();
        int aRows = cs.transA() ? k : m, aCols = cs.transA() ? m : k;
        int bRows = cs.transB() ? n : k, bCols = cs.transB() ? k : n;
        int lda = aCols + cs.aPad(), ldb = bCols + cs.bPad(), ldc = n + cs.cPad();
        float[] a = random(r, cs.aOff() + aRows * lda + 3);
        float[] b = random(r, cs.bOff() + bRows * ldb + 3);
        float[] c = random(r, cs.cOff() + m * ldc + 3);
        if (cs.beta() == 0f) {
            for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) c[cs.cOff() + i * ldc + j] = Float.NaN;
        }
        return new Operands(a, lda, b, ldb, c, ldc);
    }

    private static void check(Case cs, ComputePool pool, GemmTuning tuning) {
        int m = cs.m(), n = cs.n(), k = cs.k();
        Operands o = operands(cs);
        float[] a = o.a, b = o.b, c0 = o.c.clone();
        int lda = o.lda, ldb = o.ldb, ldc = o.ldc;
        float[] c = run(cs, pool, tuning, o);
        double u = Math.ulp(1f) / 2;
        double gamma = 2 * (k + 3) * u;
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0, abs = 0;
                for (int p = 0; p < k; p++) {
                    double av = cs.transA() ? a[cs.aOff() + p * lda + i] : a[cs.aOff() + i * lda + p];
                    double bv = cs.transB() ? b[cs.bOff() + j * ldb + p] : b[cs.bOff() + p * ldb + j];
                    s += av * bv;
                    abs += Math.abs(av * bv);
                }
                int ci = cs.cOff() + i * ldc + j;
                double old = cs.beta() == 0f ? 0 : c0[ci];
                double want = cs.alpha() * s + cs.beta() * old;
                double scale = Math.abs(cs.alpha()) * abs + Math.abs(cs.beta() * old);
                assertThat((double) c[ci]).as("%s at (%d,%d)", cs, i, j)
                        .isCloseTo(want, org.assertj.core.data.Offset.offset(gamma * scale + Float.MIN_NORMAL));
            }
        }
        // Everything outside the m×n window of C is untouched.
        for (int idx = 0; idx < c.length; idx++) {
            int rel = idx - cs.cOff();
            boolean inside = rel >= 0 && rel / ldc < m && rel % ldc < n;
            if (!inside) assertThat(c[idx]).as("%s: C[%d] outside the window", cs, idx).isEqualTo(c0[idx]);
        }
    }
}
