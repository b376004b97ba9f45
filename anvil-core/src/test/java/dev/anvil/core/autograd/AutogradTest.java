package dev.anvil.core.autograd;

import dev.anvil.core.kernels.GradCheck;
import dev.anvil.core.tensor.ParameterBuffer;
import dev.anvil.core.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.ToDoubleFunction;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * Gradients through the tape against central differences of a float64 re-implementation of the
 * same graph. All trainable values live in one ParameterBuffer so the reference can perturb them
 * as one flat vector.
 */
class AutogradTest {

    private static final int IGNORE = -100;
    private final SplittableRandom rng = new SplittableRandom(1234);

    /** Gradient check: tape gradients (in grads) vs numeric gradient of the float64 reference. */
    private void assertGradientsMatch(ParameterBuffer params, ParameterBuffer grads, ToDoubleFunction<double[]> reference, double tolerance) {
        double[] x = GradCheck.toDoubles(params.data());
        double[] numeric = GradCheck.numericGradient(reference, x, 1e-6);
        for (ParameterBuffer.Layout.Entry e : params.layout().entries()) {
            int off = e.offset(), n = e.shape().size();
            float[] got = java.util.Arrays.copyOfRange(grads.data(), off, off + n);
            double[] want = java.util.Arrays.copyOfRange(numeric, off, off + n);
            assertThat(GradCheck.relativeError(got, want)).as("gradient of %s", e.name()).isLessThan(tolerance);
        }
    }

    private void randomize(ParameterBuffer b, double lo, double hi) {
        for (int i = 0; i < b.data().length; i++) b.data()[i] = (float) rng.nextDouble(lo, hi);
    }

    // ------------------------------------------------------------------ kernel-free generic ops

    @Test
    void genericOpsMatchFiniteDifferences() {
        int M = 4, K = 6, N = 5;
        ParameterBuffer.Layout layout = new ParameterBuffer.Layout()
                .add("a", M, K).add("b", K, N).add("bt", N, K).add("w", 6, 3);
        ParameterBuffer params = layout.allocate(), grads = layout.allocate();
        randomize(params, -1, 1);
        Map<String, Var> p = Var.parameters(params, grads);
        Tape tape = new Tape();

        Var c = tape.matmul(p.get("a"), p.get("b"), false);          // [M, N]
        Var ct = tape.matmul(p.get("a"), p.get("bt"), true);         // [M, N]
        Var[] parts = tape.split(c, 2, 3);                           // [M, 2], [M, 3]
        Var prod = tape.mul(parts[0], tape.columns(ct, 3, 2));       // [M, 2]
        Var diff = tape.sub(tape.scale(prod, 1.5f), parts[0]);       // fan-out of parts[0]
        Var rowsView = diff.rows(1, 2).reshape(4);                   // a view into rows 1..2
        Var mixed = tape.matmul(parts[1].reshape(2, 6), p.get("w"), false); // [M, 3] seen as [2, 6], times w[6, 3]
        assertThat(mixed.shape().dims()).containsExactly(2, 3);
        Var picked = tape.selectRows(ct, 3, 0, 3);                   // [3, N], row 3 twice
        Var rowSums = tape.sumLastAxis(picked);                      // [3]
        // a + b written as a − (−b) keeps this test free of the elementwise kernels.
        Var loss = tape.sub(
                tape.sub(tape.sum(tape.logSigmoid(rowsView)), tape.scale(tape.mean(mixed), -1f)),
                tape.scale(tape.mean(tape.logSigmoid(rowSums)), -1f));
        tape.backward(loss);

        ToDoubleFunction<double[]> reference = x -> {
            double[] a = slice(x, layout, "a"), b = slice(x, layout, "b"), bt = slice(x, layout, "bt"), w = slice(x, layout, "w");
            double[] cc = new double[M * N], cct = new double[M * N];
            for (int i = 0; i < M; i++)
                for (int j = 0; j < N; j++)
                    for (int k = 0; k < K; k++) {
                        cc[i * N + j] += a[i * K + k] * b[k * N + j];
                        cct[i * N + j] += a[i * K + k] * bt[j * K + k];
                    }
            double total = 0;
            for (int i = 1; i <= 2; i++)
                for (int j = 0; j < 2; j++) {
                    double pr = cc[i * N + j] * cct[i * N + 3 + j];
                    total += logSigmoid(1.5 * pr - cc[i * N + j]);
                }
            double[] p1 = new double[M * 3];
            for (int i = 0; i < M; i++) for (int j = 0; j < 3; j++) p1[i * 3 + j] = cc[i * N + 2 + j];
            double mixedSum = 0;
            for (int r = 0; r < 2; r++)
                for (int j = 0; j < 3; j++)
                    for (int k = 0; k < 6; k++) mixedSum += p1[r * 6 + k] * w[k * 3 + j];
            total += mixedSum / 6;
            double ls = 0;
            for (int row : new int[] {3, 0, 3}) {
                double s = 0;
                for (int j = 0; j < N; j++) s += cct[row * N + j];
                ls += logSigmoid(s);
            }
            return total + ls / 3;
        };
        assertThat((double) loss.value().get(0)).isCloseTo(reference.applyAsDouble(GradCheck.toDoubles(params.data())), within(1e-5));
        assertGradientsMatch(params, grads, reference, 1e-4);
    }

    @Test
    void inputsThatNeedNoGradientGetNoneAndDisabledGradientsRecordNothing() {
        Tape tape = new Tape();
        Var a = tape.input(Tensor.of(new float[] {1, 2, 3, 4}, 2, 2), false);
        Var b = tape.input(Tensor.of(new float[] {1, 0, 0, 1}, 2, 2), true);
        Var y = tape.sum(tape.matmul(a, b, false));
        assertThat(tape.recordedOps()).isEqualTo(2);
        tape.backward(y);
        assertThat(a.grad()).isNull();
        assertThat(b.grad().toArray()).containsExactly(4, 4, 6, 6);

        tape.reset();
        tape.setGradEnabled(false);
        Var z = tape.sum(tape.matmul(a, b, false));
        assertThat(tape.recordedOps()).isZero();
        assertThat(z.requiresGrad()).isFalse();
        assertThat(z.value().get(0)).isEqualTo(10f);
        assertThatThrownBy(() -> tape.backward(z)).isInstanceOf(IllegalArgumentException.class);
        tape.setGradEnabled(true);
        assertThatThrownBy(() -> tape.backward(tape.matmul(a, b, false))).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("one element");
        assertThatThrownBy(() -> tape.matmul(a, tape.input(Tensor.zeros(3, 2), true), false)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("matmul");
    }

    @Test
    void fanOutAccumulatesEveryUse() {
        // y = Σ (x·x + x) through three separate uses of x: dy/dx = 2x + 1.
        Tape tape = new Tape();
        Var x = tape.input(Tensor.of(new float[] {0.5f, -2f, 3f}, 3), true);
        Var y = tape.sum(tape.add(tape.mul(x, x), x));
        tape.backward(y);
        assertThat(x.grad().toArray()).containsExactly(2f, -3f, 7f);
        assertThat(y.value().get(0)).isEqualTo(14.75f); // (0.25 + 0.5) + (4 − 2) + (9 + 3)
    }

    @Test
    void aFixedShapeStepReusesItsBuffersAndGivesTheSameGradients() {
        ParameterBuffer.Layout layout = new ParameterBuffer.Layout().add("w", 8, 16).add("v", 16, 4);
        ParameterBuffer params = layout.allocate(), grads = layout.allocate();
        randomize(params, -1, 1);
        Map<String, Var> p = Var.parameters(params, grads);
        Tape tape = new Tape();
        float[] input = new float[3 * 8];
        for (int i = 0; i < input.length; i++) input[i] = (float) rng.nextDouble(-1, 1);
        float[][] gradsPerStep = new float[3][];
        long[] arraysAfterStep = new long[3];
        for (int step = 0; step < 3; step++) {
            tape.reset();
            java.util.Arrays.fill(grads.data(), 0f);
            Tensor batch = tape.allocate(3, 8);
            System.arraycopy(input, 0, batch.data(), batch.offset(), input.length);
            Var x = tape.input(batch, true);
            Var h = tape.matmul(x, p.get("w"), false);
            Var out = tape.matmul(tape.mul(h, h), p.get("v"), false);
            tape.backward(tape.mean(tape.logSigmoid(out)));
            gradsPerStep[step] = grads.data().clone();
            arraysAfterStep[step] = tape.arena().arraysCreated();
        }
        assertThat(arraysAfterStep[1]).isEqualTo(arraysAfterStep[0]);
        assertThat(arraysAfterStep[2]).isEqualTo(arraysAfterStep[0]);
        assertThat(gradsPerStep[1]).containsExactly(gradsPerStep[0]);
        assertThat(gradsPerStep[2]).containsExactly(gradsPerStep[0]);
    }

    // ------------------------------------------------------------------ kernel-backed ops

    @Test
    void linearGeluLayerNormCrossEntropyMatchesFiniteDifferences() {
        int N = 6, C = 5, V = 7;
        ParameterBuffer.Layout layout = new ParameterBuffer.Layout()
                .add("x", N, C).add("fc.weight", V, C).add("fc.bias", V).add("ln.weight", V).add("ln.bias", V);
        ParameterBuffer params = layout.allocate(), grads = layout.allocate();
        randomize(params, -1, 1);
        int[] targets = {3, IGNORE, 0, 6, 2, IGNORE};
        Map<String, Var> p = Var.parameters(params, grads);
        Tape tape = new Tape();
        Var h = tape.gelu(tape.linear(p.get("x"), p.get("fc.weight"), p.get("fc.bias")));
        Var logits = tape.layerNorm(h, p.get("ln.weight"), p.get("ln.bias"), 1e-5f);
        Var loss = tape.crossEntropy(logits, targets, 0, IGNORE);
        tape.backward(loss);

        ToDoubleFunction<double[]> reference = all -> {
            double[] x = slice(all, layout, "x"), w = slice(all, layout, "fc.weight"), b = slice(all, layout, "fc.bias");
            double[] g = slice(all, layout, "ln.weight"), beta = slice(all, layout, "ln.bias");
            double total = 0;
            int count = 0;
            for (int i = 0; i < N; i++) {
                double[] row = new double[V];
                for (int o = 0; o < V; o++) {
                    double s = b[o];
                    for (int c = 0; c < C; c++) s += x[i * C + c] * w[o * C + c];
                    row[o] = gelu(s);
                }
                row = layerNorm(row, g, beta, 1e-5);
                if (targets[i] == IGNORE) continue;
                total += logSumExp(row) - row[targets[i]];
                count++;
            }
            return total / count;
        };
        assertThat((double) loss.value().get(0)).isCloseTo(reference.applyAsDouble(GradCheck.toDoubles(params.data())), within(1e-5));
        assertGradientsMatch(params, grads, reference, 1e-3);
    }

    @Test
    void tiedEmbeddingReceivesBothContributions() {
        // Embedding lookup and the output projection share one table (GPT-2's tied lm_head).
        int B = 2, T = 3, V = 6, C = 4;
        ParameterBuffer.Layout layout = new ParameterBuffer.Layout().add("wte", V, C).add("norm", C);
        ParameterBuffer params = layout.allocate(), grads = layout.allocate();
        randomize(params, -1, 1);
        int[] ids = {0, 5, 2, 2, 1, 4}, targets = {5, 2, 2, 1, 4, 3};
        Map<String, Var> p = Var.parameters(params, grads);
        Tape tape = new Tape();
        Var e = tape.embedding(p.get("wte"), ids, 0, B, T);
        Var n = tape.rmsNorm(e, p.get("norm"), 1e-6f);
        Var loss = tape.crossEntropy(tape.linear(n, p.get("wte"), null), targets, 0, IGNORE);
        tape.backward(loss);

        ToDoubleFunction<double[]> reference = all -> {
            double[] wte = slice(all, layout, "wte"), g = slice(all, layout, "norm");
            double total = 0;
            for (int i = 0; i < B * T; i++) {
                double[] row = new double[C];
                double ms = 0;
                for (int c = 0; c < C; c++) { row[c] = wte[ids[i] * C + c]; ms += row[c] * row[c]; }
                double r = 1 / Math.sqrt(ms / C + 1e-6);
                for (int c = 0; c < C; c++) row[c] = row[c] * r * g[c];
                double[] logits = new double[V];
                for (int v = 0; v < V; v++) for (int c = 0; c < C; c++) logits[v] += row[c] * wte[v * C + c];
                total += logSumExp(logits) - logits[targets[i]];
            }
            return total / (B * T);
        };
        assertGradientsMatch(params, grads, reference, 1e-3);
    }

    @Test
    void sequenceLogProbsSumTargetLogProbabilitiesPerSequence() {
        int B = 2, T = 4, V = 5;
        ParameterBuffer.Layout layout = new ParameterBuffer.Layout().add("logits", B, T, V);
        ParameterBuffer params = layout.allocate(), grads = layout.allocate();
        randomize(params, -2, 2);
        int[] targets = {IGNORE, IGNORE, 1, 4, IGNORE, 0, 3, 3}; // a prompt masked out of each sequence
        Map<String, Var> p = Var.parameters(params, grads);
        Tape tape = new Tape();
        Var lp = tape.sequenceLogProbs(p.get("logits"), targets, 0, IGNORE);
        assertThat(lp.shape().dims()).containsExactly(B);
        // A DPO-shaped objective: −log σ(β·(logp₀ − logp₁)).
        Var loss = tape.scale(tape.logSigmoid(tape.scale(tape.sub(lp.rows(0, 1), lp.rows(1, 1)), 0.7f)), -1f);
        tape.backward(tape.sum(loss));

        ToDoubleFunction<double[]> sequenceLogProbs0 = all -> seqLogProb(all, 0, T, V, targets);
        assertThat((double) lp.value().get(0)).isCloseTo(sequenceLogProbs0.applyAsDouble(GradCheck.toDoubles(params.data())), within(1e-5));
        assertGradientsMatch(params, grads, all -> -logSigmoid(0.7 * (seqLogProb(all, 0, T, V, targets) - seqLogProb(all, 1, T, V, targets))), 1e-4);
    }

    @Test
    void siluSoftmaxAndSwigluMatchFiniteDifferences() {
        int N = 3, C = 6;
        ParameterBuffer.Layout layout = new ParameterBuffer.Layout().add("x", N, C).add("gate", N, C).add("w", N, C);
        ParameterBuffer params = layout.allocate(), grads = layout.allocate();
        randomize(params, -2, 2);
        Map<String, Var> p = Var.parameters(params, grads);
        Tape tape = new Tape();
        Var probs = tape.softmax(tape.silu(p.get("x")));
        Var gated = tape.swiglu(p.get("gate"), probs);
        Var loss = tape.sum(tape.mul(gated, p.get("w")));
        tape.backward(loss);
        ToDoubleFunction<double[]> reference = all -> {
            double[] x = slice(all, layout, "x"), g = slice(all, layout, "gate"), w = slice(all, layout, "w");
            double total = 0;
            for (int r = 0; r < N; r++) {
                double[] row = new double[C];
                for (int c = 0; c < C; c++) row[c] = silu(x[r * C + c]);
                double lse = logSumExp(row);
                for (int c = 0; c < C; c++) total += silu(g[r * C + c]) * Math.exp(row[c] - lse) * w[r * C + c];
            }
            return total;
        };
        assertGradientsMatch(params, grads, reference, 1e-4);
    }

    @Test
    void dropoutBackwardReusesTheForwardMask() {
        Tape tape = new Tape();
        float[] values = new float[1000];
        for (int i = 0; i < values.length; i++) values[i] = 1f + (float) rng.nextDouble();
        Var x = tape.input(Tensor.of(values, 1000), true);
        assertThat(tape.dropout(x, 0f, 1)).isSameAs(x);
        Var y = tape.dropout(x, 0.25f, 99);
        tape.backward(tape.sum(y));
        int kept = 0;
        for (int i = 0; i < values.length; i++) {
            float out = y.value().get(i), g = x.grad().get(i);
            if (out == 0f) {
                assertThat(g).isZero();
            } else {
                kept++;
                assertThat(g).isCloseTo(1f / 0.75f, within(1e-6f));
                assertThat(out).isCloseTo(values[i] / 0.75f, within(1e-5f));
            }
        }
        assertThat(kept).isBetween(700, 800);
    }

    @Test
    void loraAdapterOnAFrozenLinearGetsGradientsOnlyForTheAdapter() {
        // y = x·Wᵀ + (α/r)·(x·Aᵀ)·Bᵀ with W frozen: LoRA written with the generic ops.
        int N = 4, C = 6, OC = 5, r = 2;
        float alphaOverR = 8f / r;
        ParameterBuffer.Layout layout = new ParameterBuffer.Layout().add("lora_A", r, C).add("lora_B", OC, r);
        ParameterBuffer params = layout.allocate(), grads = layout.allocate();
        randomize(params, -0.5, 0.5);
        Tensor w = Tensor.zeros(OC, C), x = Tensor.zeros(N, C);
        for (int i = 0; i < w.size(); i++) w.set(i, (float) rng.nextDouble(-1, 1));
        for (int i = 0; i < x.size(); i++) x.set(i, (float) rng.nextDouble(-1, 1));
        int[] targets = {0, 4, 2, 2};
        Map<String, Var> p = Var.parameters(params, grads);
        Tape tape = new Tape();
        Var in = Var.constant(x), frozen = Var.constant(w);
        Var base = tape.linear(in, frozen, null);
        Var delta = tape.scale(tape.linear(tape.linear(in, p.get("lora_A"), null), p.get("lora_B"), null), alphaOverR);
        Var loss = tape.crossEntropy(tape.add(base, delta), targets, 0, IGNORE);
        tape.backward(loss);
        assertThat(frozen.grad()).isNull();
        assertThat(in.grad()).isNull();
        double[] xd = GradCheck.toDoubles(x.toArray()), wd = GradCheck.toDoubles(w.toArray());
        assertGradientsMatch(params, grads, all -> {
            double[] a = slice(all, layout, "lora_A"), b = slice(all, layout, "lora_B");
            double total = 0;
            for (int i = 0; i < N; i++) {
                double[] xa = new double[r], logits = new double[OC];
                for (int k = 0; k < r; k++) for (int c = 0; c < C; c++) xa[k] += xd[i * C + c] * a[k * C + c];
                for (int o = 0; o < OC; o++) {
                    for (int c = 0; c < C; c++) logits[o] += xd[i * C + c] * wd[o * C + c];
                    for (int k = 0; k < r; k++) logits[o] += alphaOverR * xa[k] * b[o * r + k];
                }
                total += logSumExp(logits) - logits[targets[i]];
            }
            return total / N;
        }, 1e-4);
    }

    @Test
    void rewardHeadOnTheLastTokenOfEachSequence() {
        // A Bradley–Terry reward loss: −log σ(r(chosen) − r(rejected)), r read at each sequence's last token.
        int B = 2, T = 3, C = 4;
        ParameterBuffer.Layout layout = new ParameterBuffer.Layout().add("h", B * T, C).add("score", 1, C);
        ParameterBuffer params = layout.allocate(), grads = layout.allocate();
        randomize(params, -1, 1);
        Map<String, Var> p = Var.parameters(params, grads);
        Tape tape = new Tape();
        Var rewards = tape.linear(tape.selectRows(p.get("h"), T - 1, 2 * T - 1), p.get("score"), null).reshape(B);
        Var loss = tape.scale(tape.logSigmoid(tape.sub(rewards.rows(0, 1), rewards.rows(1, 1))), -1f);
        tape.backward(tape.sum(loss));
        assertGradientsMatch(params, grads, all -> {
            double[] h = slice(all, layout, "h"), s = slice(all, layout, "score");
            double r0 = 0, r1 = 0;
            for (int c = 0; c < C; c++) {
                r0 += h[(T - 1) * C + c] * s[c];
                r1 += h[(2 * T - 1) * C + c] * s[c];
            }
            return -logSigmoid(r0 - r1);
        }, 1e-4);
    }

    static double silu(double x) {
        return x / (1 + Math.exp(-x));
    }

    // ------------------------------------------------------------------ float64 references

    private static double seqLogProb(double[] logits, int b, int T, int V, int[] targets) {
        double s = 0;
        for (int t = 0; t < T; t++) {
            int tgt = targets[b * T + t];
            if (tgt == IGNORE) continue;
            double[] row = java.util.Arrays.copyOfRange(logits, (b * T + t) * V, (b * T + t + 1) * V);
            s += row[tgt] - logSumExp(row);
        }
        return s;
    }

    static double[] slice(double[] all, ParameterBuffer.Layout layout, String name) {
        var e = layout.entry(name);
        return java.util.Arrays.copyOfRange(all, e.offset(), e.offset() + e.shape().size());
    }

    static double logSigmoid(double v) {
        return Math.min(v, 0) - Math.log1p(Math.exp(-Math.abs(v)));
    }

    static double gelu(double x) {
        return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
    }

    static double logSumExp(double[] row) {
        double max = Double.NEGATIVE_INFINITY;
        for (double v : row) max = Math.max(max, v);
        double s = 0;
        for (double v : row) s += Math.exp(v - max);
        return max + Math.log(s);
    }

    static double[] layerNorm(double[] x, double[] w, double[] b, double eps) {
        double mean = 0, var = 0;
        for (double v : x) mean += v;
        mean /= x.length;
        for (double v : x) var += (v - mean) * (v - mean);
        var /= x.length;
        double r = 1 / Math.sqrt(var + eps);
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) y[i] = (x[i] - mean) * r * w[i] + b[i];
        return y;
    }
}
