package dev.anvil.eval;

import dev.anvil.core.autograd.Tape;
import dev.anvil.core.random.Rng;
import dev.anvil.model.ModelConfig;
import dev.anvil.model.TextTokenizer;
import dev.anvil.model.Transformer;
import dev.anvil.tokenizer.Encodings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class PerplexityEvaluatorTest {

    private static Transformer randomModel(ModelConfig c, long seed) {
        Transformer net = new Transformer(c);
        net.initialize(new Rng(seed));
        // Larger weights than the initialization's so the predictions are far from uniform.
        for (int i = 0; i < net.parameters().data().length; i++) net.parameters().data()[i] *= 10;
        return net;
    }

    private static int[] randomTokens(int n, int vocab, long seed) {
        Rng rng = new Rng(seed);
        int[] t = new int[n];
        for (int i = 0; i < n; i++) t[i] = rng.nextInt(vocab);
        return t;
    }

    private static int[] ones(int n) {
        int[] b = new int[n];
        java.util.Arrays.fill(b, 1);
        return b;
    }

    /**
     * Σ −log p(x_i | context) in float64 from the model's logits, with each target's context
     * chosen by the closed form of the window rule: target i (1-based, i ≤ n − 1) is scored in the
     * first window if i ≤ T, else in window w = ⌈(i − T)/S⌉ starting at w·S. Causality lets the
     * logits of position i − 1 come from a forward pass over exactly x[start, i).
     */
    private static double referenceNats(Transformer net, int[] tokens, int T, int S) {
        double nats = 0;
        int V = net.config().vocabSize();
        for (int i = 1; i < tokens.length; i++) {
            int start = i <= T ? 0 : Math.ceilDiv(i - T, S) * S;
            int len = i - start;
            Tape tape = new Tape();
            tape.setGradEnabled(false);
            float[] logits = net.forward(tape, tokens, start, 1, len, 0f, 0).value().data();
            int row = (len - 1) * V;
            double max = Double.NEGATIVE_INFINITY;
            for (int v = 0; v < V; v++) max = Math.max(max, logits[row + v]);
            double sum = 0;
            for (int v = 0; v < V; v++) sum += Math.exp(logits[row + v] - max);
            nats += max + Math.log(sum) - logits[row + tokens[i]];
        }
        return nats;
    }

    @Test
    void lossEqualsAFloat64LogSoftmaxOfTheModelsLogitsForEveryStrideAndBatchSize() {
        for (ModelConfig c : List.of(ModelConfig.gpt2(13, 8, 2, 2, 16, true), ModelConfig.llama(13, 8, 2, 2, 1, 16))) {
            Transformer net = randomModel(c, 5);
            int[] tokens = randomTokens(37, c.vocabSize(), 9);
            TokenSequence seq = TokenSequence.of("random", tokens);
            for (int stride : new int[] {8, 3, 1}) {
                double expected = referenceNats(net, tokens, 8, stride);
                for (int batch : new int[] {1, 4, 0}) {
                    var report = new PerplexityEvaluator(net, ones(c.vocabSize()), new PerplexityEvaluator.Settings(8, stride, batch, 0))
                            .evaluate(List.of(seq), PerplexityEvaluator.Progress.NONE);
                    Perplexity p = report.total();
                    assertThat(p.tokens()).as("every target once").isEqualTo(36);
                    assertThat(p.bytes()).isEqualTo(36);
                    assertThat(p.nats()).as("%s stride %d batch %d", c.family(), stride, batch).isCloseTo(expected, within(1e-4 * expected));
                    assertThat(p.loss()).isCloseTo(expected / 36, within(1e-4 * expected / 36));
                }
            }
            // More context never hurts on average here: the full-context sliding window scores differently from the cheap one.
            double cheap = referenceNats(net, tokens, 8, 8), full = referenceNats(net, tokens, 8, 1);
            assertThat(cheap).isNotCloseTo(full, within(1e-6));
        }
    }

    @Test
    void nonOverlappingWindowsAgreeWithTheTrainingLoss() {
        ModelConfig c = ModelConfig.gpt2(17, 16, 2, 2, 16, true);
        Transformer net = randomModel(c, 2);
        int B = 3, T = 16;
        int[] tokens = randomTokens(B * T + 1, c.vocabSize(), 4);
        // The training path: B windows of T inputs / T targets stepping T tokens, mean cross-entropy.
        int[] inputs = new int[B * T], targets = new int[B * T];
        for (int b = 0; b < B; b++) {
            System.arraycopy(tokens, b * T, inputs, b * T, T);
            System.arraycopy(tokens, b * T + 1, targets, b * T, T);
        }
        Tape tape = new Tape();
        double trainingLoss = net.loss(tape, inputs, targets, 0, B, T, 0f, 0).value().get(0);
        Perplexity p = new PerplexityEvaluator(net, ones(c.vocabSize()), new PerplexityEvaluator.Settings(T, T, 2, 0))
                .evaluate(List.of(TokenSequence.of("x", tokens)), PerplexityEvaluator.Progress.NONE).total();
        assertThat(p.tokens()).isEqualTo(B * T);
        assertThat(p.loss()).isCloseTo(trainingLoss, within(1e-5 * trainingLoss));
    }

    @Test
    void aModelWithUniformLogitsHasPerplexityEqualToItsVocabulary() {
        ModelConfig c = ModelConfig.gpt2(50, 8, 1, 2, 8, true);
        Transformer zero = new Transformer(c); // all weights 0: every logit is exactly 0
        var report = new PerplexityEvaluator(zero, ones(50), PerplexityEvaluator.Settings.of(c))
                .evaluate(List.of(TokenSequence.of("a", randomTokens(30, 50, 1)), TokenSequence.of("b", randomTokens(5, 50, 2))),
                        PerplexityEvaluator.Progress.NONE);
        assertThat(report.total().tokens()).isEqualTo(29 + 4);
        assertThat(report.total().perplexity()).isCloseTo(50.0, within(1e-4));
        assertThat(report.total().loss()).isCloseTo(Math.log(50), within(1e-6));
        assertThat(report.sequences()).extracting(Perplexity::tokens).containsExactly(29L, 4L);
    }

    @Test
    void bitsPerByteOfATextCountTheUtf8BytesOfTheScoredCharacters(@TempDir Path dir) throws Exception {
        String text = "naïve café — ümlaut € and π\n".repeat(3);
        TextTokenizer chars = TextTokenizer.fitCharacters(text, dir.resolve("tok"));
        ModelConfig c = ModelConfig.llama(chars.vocabSize(), 16, 1, 2, 2, 16);
        Transformer net = randomModel(c, 3);
        TokenSequence seq = TokenSequence.ofText("t.txt", text, chars);
        var evaluator = new PerplexityEvaluator(net, PerplexityEvaluator.tokenBytes(chars, c.vocabSize()), PerplexityEvaluator.Settings.of(c));
        Perplexity p = evaluator.evaluate(List.of(seq), PerplexityEvaluator.Progress.NONE).total();
        // A character tokenizer has no document-start token: the first character ('n', 1 byte) is context only.
        assertThat(p.tokens()).isEqualTo(text.length() - 1);
        assertThat(p.bytes()).isEqualTo(text.getBytes(StandardCharsets.UTF_8).length - 1);
        // By hand for one repetition: n a ï(2) v e ␠ c a f é(2) ␠ —(3) ␠ ü(2) m l a u t ␠ €(3) ␠ a n d ␠ π(2) \n = 36 bytes, 28 characters.
        assertThat("naïve café — ümlaut € and π\n".getBytes(StandardCharsets.UTF_8)).hasSize(36);
        assertThat(p.bytes()).isEqualTo(3 * 36 - 1);
        assertThat(p.bitsPerByte()).isCloseTo(p.loss() * p.tokens() / (Math.log(2) * p.bytes()), within(1e-12));
        assertThat(p.perplexity()).isCloseTo(Math.exp(p.loss()), within(1e-9));
    }

    @Test
    void aBpeTextIsScoredAfterTheDocumentSeparatorSoEveryByteCounts() {
        var gpt2 = Encodings.get("r50k_base");
        TextTokenizer tok = TextTokenizer.of(gpt2, Path.of("r50k_base"));
        ModelConfig c = ModelConfig.gpt2(tok.vocabSize(), 32, 1, 1, 8, false);
        String text = "Bits per byte compare models with different tokenizers: naïve, café, 東京.";
        TokenSequence seq = TokenSequence.ofText("doc", text, tok);
        int[] first = new int[1];
        seq.read(0, first, 0, 1);
        assertThat(first[0]).isEqualTo(tok.documentSeparator().getAsInt());
        Perplexity p = new PerplexityEvaluator(new Transformer(c), PerplexityEvaluator.tokenBytes(tok, c.vocabSize()), PerplexityEvaluator.Settings.of(c))
                .evaluate(List.of(seq), PerplexityEvaluator.Progress.NONE).total();
        assertThat(p.tokens()).isEqualTo(tok.encode(text).length);
        assertThat(p.bytes()).isEqualTo(text.getBytes(StandardCharsets.UTF_8).length);
        assertThat(p.perplexity()).isCloseTo(c.vocabSize(), within(1e-6 * c.vocabSize())); // zero weights: uniform (loss ln V rounded to float per token)
    }

    @Test
    void maxTokensTakesTheFirstTargetsInOrderAndProgressReachesTheTotal() {
        ModelConfig c = ModelConfig.gpt2(11, 8, 1, 1, 8, true);
        Transformer net = randomModel(c, 1);
        TokenSequence a = TokenSequence.of("a", randomTokens(20, 11, 1)), b = TokenSequence.of("b", randomTokens(20, 11, 2));
        long[] last = {0, 0};
        var report = new PerplexityEvaluator(net, ones(11), new PerplexityEvaluator.Settings(8, 8, 2, 25))
                .evaluate(List.of(a, b), (done, total) -> {
                    assertThat(done).isGreaterThanOrEqualTo(last[0]);
                    last[0] = done;
                    last[1] = total;
                });
        assertThat(report.sequences()).extracting(Perplexity::tokens).containsExactly(19L, 6L);
        assertThat(last).containsExactly(25, 25);
        // The first sequence's score does not depend on what follows it.
        Perplexity alone = new PerplexityEvaluator(net, ones(11), new PerplexityEvaluator.Settings(8, 8, 2, 0))
                .evaluate(List.of(a), PerplexityEvaluator.Progress.NONE).total();
        assertThat(report.sequences().getFirst().nats()).isCloseTo(alone.nats(), within(1e-9));
    }

    @Test
    void badInputIsNamed() {
        ModelConfig c = ModelConfig.gpt2(11, 8, 1, 1, 8, true);
        Transformer net = new Transformer(c);
        var evaluator = new PerplexityEvaluator(net, ones(11), PerplexityEvaluator.Settings.of(c));
        assertThatThrownBy(() -> evaluator.evaluate(List.of(TokenSequence.of("shard.bin", new int[] {1, 2, 11, 3})), PerplexityEvaluator.Progress.NONE))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("shard.bin").hasMessageContaining("token 11 at position 2");
        assertThatThrownBy(() -> new PerplexityEvaluator(net, ones(11), new PerplexityEvaluator.Settings(16, 16, 0, 0)))
                .hasMessageContaining("longer than the model's context of 8");
        assertThatThrownBy(() -> new PerplexityEvaluator.Settings(8, 9, 0, 0)).hasMessageContaining("stride must be between 1 and");
    }

    @Test
    void aFrozenTransformerOverLoadedWeightsGivesTheSameScores() {
        ModelConfig c = ModelConfig.llama(13, 8, 2, 2, 1, 16);
        Transformer trained = randomModel(c, 6);
        Transformer frozen = new Transformer(c, trained.parameters());
        assertThat(frozen.gradients()).isNull();
        TokenSequence seq = TokenSequence.of("s", randomTokens(20, 13, 3));
        var settings = PerplexityEvaluator.Settings.of(c);
        double a = new PerplexityEvaluator(trained, ones(13), settings).evaluate(List.of(seq), PerplexityEvaluator.Progress.NONE).total().nats();
        double b = new PerplexityEvaluator(frozen, ones(13), settings).evaluate(List.of(seq), PerplexityEvaluator.Progress.NONE).total().nats();
        assertThat(b).isEqualTo(a);
    }
}
