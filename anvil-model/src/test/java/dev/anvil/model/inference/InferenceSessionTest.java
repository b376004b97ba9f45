package dev.anvil.model.inference;

import dev.anvil.core.autograd.Tape;
import dev.anvil.core.random.Rng;
import dev.anvil.model.ModelConfig;
import dev.anvil.model.Transformer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class InferenceSessionTest {

    static Stream<ModelConfig> models() {
        return Stream.of(
                ModelConfig.gpt2(37, 24, 2, 2, 16, true),
                ModelConfig.gpt2(37, 24, 2, 4, 32, false),
                ModelConfig.gpt2(37, 24, 2, 4, 32, false).withActivation(ModelConfig.Activation.GELU),
                ModelConfig.llama(37, 24, 2, 4, 2, 32),
                ModelConfig.llama(37, 24, 2, 8, 1, 64), // 8 query heads per K/V head: the lane-layout attention path for prefill
                new ModelConfig(ModelConfig.Family.LLAMA, 37, 24, 1, 2, 1, 16, 32, 500000, 1e-6, true, false));
    }

    private static Transformer randomModel(ModelConfig c, long seed) {
        Transformer net = new Transformer(c);
        net.initialize(new Rng(seed));
        // Weights well above the 0.02 init so every path (attention over old positions especially) matters.
        float[] p = net.parameters().data();
        for (int i = 0; i < p.length; i++) p[i] *= 4;
        return net;
    }

    private static int[] tokens(int vocab, int n, long seed) {
        Rng r = new Rng(seed);
        int[] t = new int[n];
        for (int i = 0; i < n; i++) t[i] = r.nextInt(vocab);
        return t;
    }

    /** Logits [T, V] of the full (tape) forward over the whole sequence. */
    private static float[] fullRecompute(Transformer net, int[] tokens, int T) {
        Tape tape = new Tape();
        var out = net.forward(tape, tokens, 0, 1, T, 0f, 0).value();
        float[] logits = new float[T * net.config().vocabSize()];
        System.arraycopy(out.data(), out.offset(), logits, 0, logits.length);
        return logits;
    }

    private static void assertClose(float[] actual, int aOff, float[] expected, int eOff, int n, String where) {
        // Float32 sums in a different order (GEMM vs matrix-vector path, attention's two layouts):
        // differences of a few ulps of the logits' scale; a wrong position or cache row would be O(1).
        float scale = 0;
        for (int i = 0; i < n; i++) scale = Math.max(scale, Math.abs(expected[eOff + i]));
        for (int i = 0; i < n; i++) {
            float a = actual[aOff + i], e = expected[eOff + i];
            assertThat(Math.abs(a - e)).as("%s, logit %d: %s vs %s", where, i, a, e).isLessThanOrEqualTo(2e-5f + 2e-4f * scale);
        }
    }

    /** Prefill of a prompt, then one token at a time: every position's logits equal the full recompute. */
    @ParameterizedTest
    @MethodSource("models")
    void cachedDecodingMatchesFullRecomputeAtEveryPosition(ModelConfig c) {
        Transformer net = randomModel(c, 3);
        int T = c.contextLength(), V = c.vocabSize(), prompt = 7;
        int[] seq = tokens(V, T, 17);
        float[] full = fullRecompute(net, seq, T);

        InferenceSession s = new InferenceSession(net);
        float[] prefill = new float[prompt * V];
        s.appendAll(seq, 0, prompt, prefill, 0);
        assertClose(prefill, 0, full, 0, prompt * V, c.summary() + " prefill");
        for (int t = prompt; t < T; t++) {
            float[] logits = s.append(seq[t]);
            assertClose(logits, 0, full, t * V, V, c.summary() + " decode position " + t);
        }
        assertThat(s.position()).isEqualTo(T);
    }

    /** Prefill in several chunks (chunkRows < prompt) gives the same logits as the full recompute. */
    @ParameterizedTest
    @MethodSource("models")
    void chunkedPrefillMatchesFullRecompute(ModelConfig c) {
        Transformer net = randomModel(c, 5);
        int T = c.contextLength(), V = c.vocabSize();
        int[] seq = tokens(V, T, 23);
        float[] full = fullRecompute(net, seq, T);
        InferenceSession s = new InferenceSession(c, net.parameters(), T, 5);
        float[] all = new float[T * V];
        s.appendAll(seq, 0, 13, all, 0);
        float[] last = s.append(seq, 13, T - 13);
        assertClose(all, 0, full, 0, 13 * V, c.summary() + " chunked prefill");
        assertClose(last, 0, full, (T - 1) * V, V, c.summary() + " last position");
    }

    @Test
    void resetStartsOverAndOverflowIsAClearError() {
        ModelConfig c = ModelConfig.llama(37, 8, 1, 2, 2, 16);
        Transformer net = randomModel(c, 7);
        InferenceSession s = new InferenceSession(net);
        int[] seq = tokens(37, 8, 1);
        float[] first = s.append(seq, 0, 8).clone();
        assertThatThrownBy(() -> s.append(seq[0]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("exceed the context of 8");
        s.reset();
        assertThat(s.append(seq, 0, 8)).containsExactly(first);
    }

    @Test
    void q4_0DecodeComputesTheSameFunctionAsFloatWeightsHoldingQ4_0Values() {
        for (ModelConfig c : new ModelConfig[] {ModelConfig.llama(96, 32, 2, 2, 1, 64), ModelConfig.gpt2(96, 32, 2, 2, 64, true)}) {
            Transformer net = new Transformer(c);
            net.initialize(new Rng(4));
            // Every matrix holds Q4_0 values, as a Q4_0 GGUF reads back.
            float[] p = net.parameters().data();
            for (var e : net.parameters().layout().entries()) {
                if (e.shape().rank() != 2 || e.shape().dims()[1] % 32 != 0) continue;
                byte[] q = new byte[e.shape().size() / 32 * 18];
                dev.anvil.core.tensor.QuantizedBlocks.quantizeQ4_0(p, e.offset(), e.shape().size(), q, 0);
                dev.anvil.core.tensor.QuantizedBlocks.dequantizeQ4_0(q, 0, p, e.offset(), e.shape().size());
            }
            InferenceSession floats = new InferenceSession(c, net.parameters(), c.contextLength(), 8, false);
            InferenceSession quantized = new InferenceSession(c, net.parameters(), c.contextLength(), 8, true);
            int[] prompt = {3, 14, 15, 92, 65};
            // Prefill runs the GEMM either way, but its last row's output head is a matrix-vector product.
            float[] a = floats.append(prompt, 0, prompt.length).clone(), b = quantized.append(prompt, 0, prompt.length);
            for (int step = 0; step <= 6; step++) {
                if (step > 0) {
                    int next = (step * 37 + 11) % c.vocabSize();
                    a = floats.append(next).clone();
                    b = quantized.append(next);
                }
                for (int v = 0; v < a.length; v++) {
                    assertThat(b[v]).as("%s decode step %d logit %d", c.summary(), step, v).isCloseTo(a[v], org.assertj.core.api.Assertions.within(1e-4f + 1e-4f * Math.abs(a[v])));
                }
            }
        }
    }
}
