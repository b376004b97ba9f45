package dev.anvil.core.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.anvil.core.compute.ComputePool;
import java.util.Arrays;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AttentionTest {

    /** A problem instance: float32 inputs and their exact float64 widenings for the reference. */
    private record Problem(int B, int Tq, int Tk, int nHead, int nKvHead, int D, float scale,
                           float[] q, float[] k, float[] v) {
        static Problem random(long seed, int B, int Tq, int Tk, int nHead, int nKvHead, int D) {
            SplittableRandom rng = new SplittableRandom(seed);
            // Scores of order a few units: the softmax is neither uniform nor one-hot.
            float[] q = GradCheck.toFloats(GradCheck.randomDoubles(rng, B * Tq * nHead * D, -1.5, 1.5));
            float[] k = GradCheck.toFloats(GradCheck.randomDoubles(rng, B * Tk * nKvHead * D, -1.5, 1.5));
            float[] v = GradCheck.toFloats(GradCheck.randomDoubles(rng, B * Tk * nKvHead * D, -1, 1));
            return new Problem(B, Tq, Tk, nHead, nKvHead, D, (float) (1 / Math.sqrt(D)), q, k, v);
        }

        int queryElements() {
            return B * Tq * nHead * D;
        }

        Result forward() {
            float[] out = new float[queryElements()];
            float[] lse = new float[B * nHead * Tq];
            Arrays.fill(out, Float.NaN);  // forward must overwrite every element
            Attention.forward(out, 0, lse, 0, q, 0, k, 0, v, 0, B, Tq, Tk, nHead, nKvHead, D, scale);
            return new Result(out, lse);
        }
    }

    private record Result(float[] out, float[] lse) {}

    /**
     * Naive float64 causal attention with the full Tq×Tk score matrix: returns {out, lse}.
     * Query i of Tq sits at position Tk − Tq + i.
     */
    static double[][] reference(double[] q, double[] k, double[] v, int B, int Tq, int Tk, int nHead, int nKvHead,
                                int D, double scale) {
        double[] out = new double[B * Tq * nHead * D];
        double[] lse = new double[B * nHead * Tq];
        int group = nHead / nKvHead;
        double[] s = new double[Tk];
        for (int b = 0; b < B; b++) {
            for (int h = 0; h < nHead; h++) {
                int kvh = h / group;
                for (int i = 0; i < Tq; i++) {
                    int last = Tk - Tq + i;
                    int qo = ((b * Tq + i) * nHead + h) * D;
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j <= last; j++) {
                        int ko = ((b * Tk + j) * nKvHead + kvh) * D;
                        double dot = 0;
                        for (int d = 0; d < D; d++) dot += q[qo + d] * k[ko + d];
                        s[j] = dot * scale;
                        max = Math.max(max, s[j]);
                    }
                    double sum = 0;
                    for (int j = 0; j <= last; j++) sum += Math.exp(s[j] - max);
                    for (int j = 0; j <= last; j++) {
                        double p = Math.exp(s[j] - max) / sum;
                        int vo = ((b * Tk + j) * nKvHead + kvh) * D;
                        for (int d = 0; d < D; d++) out[qo + d] += p * v[vo + d];
                    }
                    lse[(b * nHead + h) * Tq + i] = max + Math.log(sum);
                }
            }
        }
        return new double[][] {out, lse};
    }

    /** Analytic float64 backward of {@link #reference} (full P matrix): returns {dq, dk, dv}. */
    static double[][] referenceBackward(double[] dOut, double[] q, double[] k, double[] v, int B, int Tq, int Tk,
                                        int nHead, int nKvHead, int D, double scale) {
        double[] dq = new double[q.length], dk = new double[k.length], dv = new double[v.length];
        double[] out = reference(q, k, v, B, Tq, Tk, nHead, nKvHead, D, scale)[0];
        double[] lse = reference(q, k, v, B, Tq, Tk, nHead, nKvHead, D, scale)[1];
        int group = nHead / nKvHead;
        for (int b = 0; b < B; b++) {
            for (int h = 0; h < nHead; h++) {
                int kvh = h / group;
                for (int i = 0; i < Tq; i++) {
                    int qo = ((b * Tq + i) * nHead + h) * D;
                    double delta = 0;
                    for (int d = 0; d < D; d++) delta += dOut[qo + d] * out[qo + d];
                    for (int j = 0; j <= Tk - Tq + i; j++) {
                        int ko = ((b * Tk + j) * nKvHead + kvh) * D;
                        double dot = 0, dp = 0;
                        for (int d = 0; d < D; d++) {
                            dot += q[qo + d] * k[ko + d];
                            dp += dOut[qo + d] * v[ko + d];
                        }
                        double p = Math.exp(dot * scale - lse[(b * nHead + h) * Tq + i]);
                        double ds = p * (dp - delta);
                        for (int d = 0; d < D; d++) {
                            dv[ko + d] += p * dOut[qo + d];
                            dq[qo + d] += scale * ds * k[ko + d];
                            dk[ko + d] += scale * ds * q[qo + d];
                        }
                    }
                }
            }
        }
        return new double[][] {dq, dk, dv};
    }

    private static double[][] reference(Problem p) {
        return reference(GradCheck.toDoubles(p.q), GradCheck.toDoubles(p.k), GradCheck.toDoubles(p.v),
                p.B, p.Tq, p.Tk, p.nHead, p.nKvHead, p.D, p.scale);
    }

    @ParameterizedTest(name = "B={0} Tq={1} Tk={2} nHead={3} nKvHead={4} D={5}")
    @CsvSource({
            // one row at a time (fewer query rows per K/V head than vector lanes)
            "1, 1, 1, 2, 2, 8",      // T = 1
            "2, 7, 7, 4, 4, 16",     // MHA, odd T
            "2, 5, 70, 4, 2, 32",    // Tq < Tk, keys span two blocks
            "1, 1, 130, 6, 2, 24",   // decode with GQA
            "1, 1, 77, 3, 3, 64",    // decode, full vector chunks
            // rows as lanes (row blocks)
            "2, 37, 37, 4, 2, 20",   // GQA 2:1, D not a multiple of 16
            "1, 33, 33, 6, 1, 24",   // GQA 6:1
            "1, 150, 150, 2, 1, 64", // several row and key blocks
            "1, 40, 100, 2, 2, 64",  // Tq < Tk in row blocks
            "1, 20, 20, 1, 1, 128",  // D = 128
            "1, 45, 45, 1, 1, 5",    // odd D
            "1, 17, 17, 1, 1, 72",   // 17 rows: one full vector plus one padded lane block
    })
    void forwardMatchesFloat64Reference(int B, int Tq, int Tk, int nHead, int nKvHead, int D) {
        Problem p = Problem.random(42 + B * 31L + Tq * 7L + D, B, Tq, Tk, nHead, nKvHead, D);
        Result r = p.forward();
        double[][] ref = reference(p);
        assertThat(GradCheck.relativeError(r.out, ref[0])).isLessThan(2e-6);
        assertThat(GradCheck.relativeError(r.lse, ref[1])).isLessThan(2e-6);
    }

    @Test
    void longSequenceForwardMatchesReference() {
        // Many key blocks on the streaming softmax: 1100 keys, row blocks far from the diagonal.
        Problem p = Problem.random(7, 1, 1100, 1100, 1, 1, 32);
        Result r = p.forward();
        double[][] ref = reference(p);
        assertThat(GradCheck.relativeError(r.out, ref[0])).isLessThan(5e-6);
        assertThat(GradCheck.relativeError(r.lse, ref[1])).isLessThan(2e-6);
    }

    @Test
    void lseIsTheLogsumexpOfScaledScores() {
        // With v ≡ 1 every output is 1, and lse must equal log Σ_j exp(scale · q·k_j) computed directly.
        Problem p = Problem.random(3, 1, 3, 3, 1, 1, 4);
        Arrays.fill(p.v, 1f);
        Result r = p.forward();
        for (float o : r.out) assertThat(o).isCloseTo(1f, within(1e-6f));
        for (int i = 0; i < 3; i++) {
            double sum = 0;
            for (int j = 0; j <= i; j++) {
                double dot = 0;
                for (int d = 0; d < 4; d++) dot += (double) p.q[i * 4 + d] * p.k[j * 4 + d];
                sum += Math.exp(p.scale * dot);
            }
            assertThat((double) r.lse[i]).isCloseTo(Math.log(sum), within(1e-6));
        }
        // The first query sees only key 0: its lse is exactly that one scaled score.
        double dot0 = 0;
        for (int d = 0; d < 4; d++) dot0 += (double) p.q[d] * p.k[d];
        assertThat((double) r.lse[0]).isCloseTo(p.scale * dot0, within(1e-6));
    }

    @Test
    void decodingOneTokenMatchesTheLastRowOfTheFullForward() {
        // The KV-cache step (Tq = 1, one-row path) must agree with the training forward (row blocks).
        int T = 90, nHead = 4, nKvHead = 2, D = 32;
        Problem full = Problem.random(11, 1, T, T, nHead, nKvHead, D);
        Result all = full.forward();
        float[] lastQ = Arrays.copyOfRange(full.q, (T - 1) * nHead * D, T * nHead * D);
        float[] out = new float[nHead * D];
        float[] lse = new float[nHead];
        Attention.forward(out, 0, lse, 0, lastQ, 0, full.k, 0, full.v, 0, 1, 1, T, nHead, nKvHead, D, full.scale);
        for (int i = 0; i < nHead * D; i++) {
            assertThat(out[i]).isCloseTo(all.out[(T - 1) * nHead * D + i], within(1e-5f));
        }
        for (int h = 0; h < nHead; h++) {
            assertThat(lse[h]).isCloseTo(all.lse[h * T + T - 1], within(1e-5f));
        }
    }

    @Test
    void honoursOffsets() {
        Problem p = Problem.random(5, 1, 20, 20, 2, 1, 16);
        int pad = 13;
        float[] q = shifted(p.q, pad), k = shifted(p.k, pad + 1), v = shifted(p.v, pad + 2);
        float[] out = new float[p.queryElements() + pad + 3];
        float[] lse = new float[2 * 20 + pad + 4];
        Attention.forward(out, pad + 3, lse, pad + 4, q, pad, k, pad + 1, v, pad + 2, 1, 20, 20, 2, 1, 16, p.scale);
        Result r = p.forward();
        assertThat(Arrays.copyOfRange(out, pad + 3, out.length)).containsExactly(r.out);
        assertThat(Arrays.copyOfRange(lse, pad + 4, lse.length)).containsExactly(r.lse);
    }

    private static float[] shifted(float[] x, int pad) {
        float[] y = new float[x.length + pad];
        System.arraycopy(x, 0, y, pad, x.length);
        return y;
    }

    // ---------------------------------------------------------------------------------------------
    // Backward

    /**
     * Backward against float64 central differences of L = Σ out ⊙ w, for q, k and v, with
     * gradients pre-filled to check that the kernel accumulates.
     */
    @ParameterizedTest(name = "B={0} Tq={1} Tk={2} nHead={3} nKvHead={4} D={5}")
    @CsvSource({
            "2, 5, 5, 2, 2, 8",     // MHA
            "1, 9, 9, 4, 2, 20",    // GQA 2:1, D not a multiple of 16
            "1, 7, 7, 6, 1, 12",    // GQA 6:1: six heads sum into one K/V head
            "1, 3, 8, 2, 1, 6",     // Tq < Tk
            "1, 1, 1, 1, 1, 4",     // T = 1
            "1, 70, 70, 1, 1, 3",   // several row blocks and two key blocks
    })
    void backwardMatchesFiniteDifferences(int B, int Tq, int Tk, int nHead, int nKvHead, int D) {
        Problem p = Problem.random(100 + Tq * 13L + D, B, Tq, Tk, nHead, nKvHead, D);
        SplittableRandom rng = new SplittableRandom(9);
        double[] w = GradCheck.randomDoubles(rng, p.queryElements(), -1, 1);
        double[] q = GradCheck.toDoubles(p.q), k = GradCheck.toDoubles(p.k), v = GradCheck.toDoubles(p.v);
        java.util.function.ToDoubleFunction<double[]> loss = ignored ->
                GradCheck.weightedSum(reference(q, k, v, B, Tq, Tk, nHead, nKvHead, D, p.scale)[0], w);
        double[] gq = GradCheck.numericGradient(loss, q, 1e-5);
        double[] gk = GradCheck.numericGradient(loss, k, 1e-5);
        double[] gv = GradCheck.numericGradient(loss, v, 1e-5);

        Gradients g = backward(p, GradCheck.toFloats(w), 0.5f);
        assertThat(GradCheck.relativeError(minus(g.dq, 0.5f), gq)).isLessThan(1e-4);
        assertThat(GradCheck.relativeError(minus(g.dk, 0.5f), gk)).isLessThan(1e-4);
        assertThat(GradCheck.relativeError(minus(g.dv, 0.5f), gv)).isLessThan(1e-4);
    }

    /** Larger shapes (full vector chunks of D, many blocks) against the analytic float64 backward. */
    @ParameterizedTest(name = "B={0} Tq={1} Tk={2} nHead={3} nKvHead={4} D={5}")
    @CsvSource({
            "1, 100, 100, 4, 2, 64",
            "1, 80, 80, 3, 1, 80",
            "1, 50, 130, 2, 2, 128",
            "1, 1, 40, 2, 1, 24",
    })
    void backwardMatchesAnalyticReference(int B, int Tq, int Tk, int nHead, int nKvHead, int D) {
        Problem p = Problem.random(5 + Tq + D, B, Tq, Tk, nHead, nKvHead, D);
        SplittableRandom rng = new SplittableRandom(17);
        double[] w = GradCheck.randomDoubles(rng, p.queryElements(), -1, 1);
        double[][] ref = referenceBackward(w, GradCheck.toDoubles(p.q), GradCheck.toDoubles(p.k),
                GradCheck.toDoubles(p.v), B, Tq, Tk, nHead, nKvHead, D, p.scale);
        Gradients g = backward(p, GradCheck.toFloats(w), 0f);
        assertThat(GradCheck.relativeError(g.dq, ref[0])).isLessThan(2e-5);
        assertThat(GradCheck.relativeError(g.dk, ref[1])).isLessThan(2e-5);
        assertThat(GradCheck.relativeError(g.dv, ref[2])).isLessThan(2e-5);
    }

    @Test
    void sameBitsOnOneThreadAsOnAll() {
        // Each output row and each dK/dV row is produced by exactly one task in a fixed order, so the
        // thread count must not change a single bit (reproducible training).
        Problem p = Problem.random(33, 2, 70, 70, 4, 2, 24);
        float[] w = GradCheck.toFloats(GradCheck.randomDoubles(new SplittableRandom(4), p.queryElements(), -1, 1));
        int cores = Runtime.getRuntime().availableProcessors();
        try {
            ComputePool.setDefaultThreads(1);
            Result one = p.forward();
            Gradients gOne = backward(p, w, 0f);
            ComputePool.setDefaultThreads(Math.max(2, cores));
            Result many = p.forward();
            Gradients gMany = backward(p, w, 0f);
            assertThat(many.out).containsExactly(one.out);
            assertThat(many.lse).containsExactly(one.lse);
            assertThat(gMany.dq).containsExactly(gOne.dq);
            assertThat(gMany.dk).containsExactly(gOne.dk);
            assertThat(gMany.dv).containsExactly(gOne.dv);
        } finally {
            ComputePool.setDefaultThreads(cores);
        }
    }

    @Test
    void nullGradientsAreSkippedAndTheOthersUnchanged() {
        Problem p = Problem.random(21, 1, 40, 40, 4, 2, 16);
        float[] w = GradCheck.toFloats(GradCheck.randomDoubles(new SplittableRandom(2), p.queryElements(), -1, 1));
        Gradients all = backward(p, w, 0f);
        Result r = p.forward();
        float[] dk = new float[p.k.length];
        Attention.backward(null, 0, dk, 0, null, 0, w, 0, r.out, 0, r.lse, 0, p.q, 0, p.k, 0, p.v, 0,
                p.B, p.Tq, p.Tk, p.nHead, p.nKvHead, p.D, p.scale);
        assertThat(dk).containsExactly(all.dk);
        Attention.backward(null, 0, null, 0, null, 0, w, 0, r.out, 0, r.lse, 0, p.q, 0, p.k, 0, p.v, 0,
                p.B, p.Tq, p.Tk, p.nHead, p.nKvHead, p.D, p.scale);
    }

    private record Gradients(float[] dq, float[] dk, float[] dv) {}

    private static Gradients backward(Problem p, float[] dOut, float prefill) {
        Result r = p.forward();
        float[] dq = new float[p.q.length], dk = new float[p.k.length], dv = new float[p.v.length];
        Arrays.fill(dq, prefill);
        Arrays.fill(dk, prefill);
        Arrays.fill(dv, prefill);
        Attention.backward(dq, 0, dk, 0, dv, 0, dOut, 0, r.out, 0, r.lse, 0, p.q, 0, p.k, 0, p.v, 0,
                p.B, p.Tq, p.Tk, p.nHead, p.nKvHead, p.D, p.scale);
        return new Gradients(dq, dk, dv);
    }

    private static float[] minus(float[] x, float c) {
        float[] y = new float[x.length];
        for (int i = 0; i < x.length; i++) y[i] = x[i] - c;
        return y;
    }

    /** Random shapes, both paths, both passes, against the float64 references. */
    @Property(tries = 40)
    void randomShapesMatchTheReferences(@ForAll @IntRange(min = 1, max = 2) int B,
                                        @ForAll @IntRange(min = 1, max = 90) int Tk,
                                        @ForAll @IntRange(min = 1, max = 90) int tqSeed,
                                        @ForAll @IntRange(min = 1, max = 3) int nKvHead,
                                        @ForAll @IntRange(min = 1, max = 4) int group,
                                        @ForAll @IntRange(min = 1, max = 70) int D) {
        int Tq = 1 + (tqSeed - 1) % Tk;
        int nHead = nKvHead * group;
        Problem p = Problem.random(Tk * 1000L + Tq * 10L + D, B, Tq, Tk, nHead, nKvHead, D);
        Result r = p.forward();
        double[][] ref = reference(p);
        assertThat(GradCheck.relativeError(r.out, ref[0])).isLessThan(5e-6);
        assertThat(GradCheck.relativeError(r.lse, ref[1])).isLessThan(5e-6);

        double[] w = GradCheck.randomDoubles(new SplittableRandom(D), p.queryElements(), -1, 1);
        double[][] grads = referenceBackward(w, GradCheck.toDoubles(p.q), GradCheck.toDoubles(p.k),
                GradCheck.toDoubles(p.v), B, Tq, Tk, nHead, nKvHead, D, p.scale);
        Gradients g = backward(p, GradCheck.toFloats(w), 0f);
        // With a single visible key dq and dk are exactly zero (softmax over one score is constant);
        // the kernel's float rounding leaves ~1e-7 there, so the error is relative to at least 1.
        assertThat(errorRelativeToAtLeast(g.dq, grads[0], 1)).isLessThan(5e-5);
        assertThat(errorRelativeToAtLeast(g.dk, grads[1], 1)).isLessThan(5e-5);
        assertThat(errorRelativeToAtLeast(g.dv, grads[2], 1)).isLessThan(5e-5);
    }

    /** ‖a − b‖ / max(‖b‖, floor). */
    private static double errorRelativeToAtLeast(float[] a, double[] b, double floor) {
        double num = 0, den = 0;
        for (int i = 0; i < a.length; i++) {
            num += (a[i] - b[i]) * (a[i] - b[i]);
            den += b[i] * b[i];
        }
        return Math.sqrt(num) / Math.max(Math.sqrt(den), floor);
    }

    @Test
    void laneSumsAddEveryLane() {
        var species = jdk.incubator.vector.FloatVector.SPECIES_PREFERRED;
        float[] x = new float[species.length()];
        for (int i = 0; i < x.length; i++) x[i] = 1 << i;
        assertThat(VectorMath.sumLanes(jdk.incubator.vector.FloatVector.fromArray(species, x, 0)))
                .isEqualTo((float) ((1L << x.length) - 1));
    }

    // ---------------------------------------------------------------------------------------------
    // Arguments

    @Test
    void rejectsBadArguments() {
        float[] a = new float[1024], lse = new float[64];
        assertThatThrownBy(() -> Attention.forward(a, 0, lse, 0, a, 0, a, 0, a, 0, 1, 4, 4, 3, 2, 8, 1f))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("attention.forward(B=1, Tq=4, Tk=4, nHead=3, nKvHead=2, D=8)")
                .hasMessageContaining("nHead must be a multiple of nKvHead");
        assertThatThrownBy(() -> Attention.forward(a, 0, lse, 0, a, 0, a, 0, a, 0, 1, 5, 4, 2, 2, 8, 1f))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("more queries than keys");
        assertThatThrownBy(() -> Attention.forward(a, 0, lse, 0, a, 0, a, 0, a, 0, 1, 4, 4, 2, 2, 0, 1f))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least 1");
        assertThatThrownBy(() -> Attention.forward(a, 0, lse, 0, a, 1000, a, 0, a, 0, 1, 4, 4, 2, 2, 8, 1f))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("q [B, Tq, nHead, D] needs 64 elements at offset 1000, array has 1024");
        assertThatThrownBy(() -> Attention.forward(a, 0, new float[7], 0, a, 0, a, 0, a, 0, 1, 4, 4, 2, 2, 8, 1f))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("lse [B, nHead, Tq] needs 8");
        assertThatThrownBy(() -> Attention.forward(a, 0, lse, 0, a, 0, a, -1, a, 0, 1, 4, 4, 2, 2, 8, 1f))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("k [B, Tk, nKvHead, D]");
        assertThatThrownBy(() -> Attention.forward(a, 0, lse, 0, a, 0, a, 0, a, 0, 1, 4, 4, 2, 2, 8, Float.NaN))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("scale must be finite");
        assertThatThrownBy(() -> Attention.backward(new float[3], 0, null, 0, null, 0, a, 0, a, 0, lse, 0, a, 0, a, 0, a, 0,
                1, 4, 4, 2, 2, 8, 1f))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("attention.backward(").hasMessageContaining("dq [B, Tq, nHead, D] needs 64");
    }
}
