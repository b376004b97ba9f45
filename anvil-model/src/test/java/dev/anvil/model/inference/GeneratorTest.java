package dev.anvil.model.inference;

import dev.anvil.core.autograd.Tape;
import dev.anvil.core.random.Rng;
import dev.anvil.model.ModelConfig;
import dev.anvil.model.Transformer;
import dev.anvil.model.sampling.GenerationConfig;
import dev.anvil.model.sampling.SamplingParams;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class GeneratorTest {

    private static final ModelConfig CONFIG = ModelConfig.llama(26, 32, 2, 4, 2, 32);
    /** Token i is the letter 'a' + i. */
    private static final Function<int[], String> LETTERS = ids -> {
        StringBuilder b = new StringBuilder();
        for (int id : ids) b.append((char) ('a' + id));
        return b.toString();
    };

    private static Transformer model() {
        Transformer net = new Transformer(CONFIG);
        net.initialize(new Rng(5));
        float[] p = net.parameters().data();
        for (int i = 0; i < p.length; i++) p[i] *= 6; // far from uniform, so greedy continuations vary
        return net;
    }

    private record Run(Generator.Result result, String streamed, List<Integer> tokens) {}

    private static Run run(Transformer net, int[] prompt, GenerationConfig config) {
        return run(net, LETTERS, CONFIG.vocabSize(), prompt, config);
    }

    private static Run run(Transformer net, Function<int[], String> decoder, int vocab, int[] prompt, GenerationConfig config) {
        StringBuilder streamed = new StringBuilder();
        List<Integer> tokens = new ArrayList<>();
        Generator g = new Generator(new InferenceSession(net), decoder, vocab);
        Generator.Result r = g.generate(prompt, config, (token, text) -> {
            if (token >= 0) tokens.add(token);
            streamed.append(text);
        });
        return new Run(r, streamed.toString(), tokens);
    }

    private static final int[] PROMPT = {1, 7, 3, 20, 5};

    @Test
    void greedyGenerationEqualsArgmaxOfTheFullRecomputeEachStep() {
        Transformer net = model();
        Run r = run(net, PROMPT, new GenerationConfig(SamplingParams.greedy(), 12));
        int[] seq = Arrays.copyOf(PROMPT, PROMPT.length + 12);
        for (int n = PROMPT.length; n < seq.length; n++) {
            var logits = net.forward(new Tape(), seq, 0, 1, n, 0f, 0).value();
            int best = 0, V = CONFIG.vocabSize(), base = logits.offset() + (n - 1) * V;
            for (int v = 1; v < V; v++) if (logits.data()[base + v] > logits.data()[base + best]) best = v;
            seq[n] = best;
        }
        assertThat(r.result().tokens()).containsExactly(Arrays.copyOfRange(seq, PROMPT.length, seq.length));
        assertThat(r.result().stopReason()).isEqualTo(Generator.StopReason.MAX_TOKENS);
        assertThat(r.streamed()).isEqualTo(r.result().text()).hasSize(12);
        assertThat(r.tokens()).hasSize(12);
    }

    @Test
    void sameSeedSameCompletion() {
        Transformer net = model();
        GenerationConfig c = new GenerationConfig(SamplingParams.temperature(1.0, 99).withTopK(10), 20);
        Run a = run(net, PROMPT, c), b = run(net, PROMPT, c);
        assertThat(a.result().tokens()).containsExactly(b.result().tokens());
        Run other = run(net, PROMPT, new GenerationConfig(SamplingParams.temperature(1.0, 100).withTopK(10), 20));
        assertThat(Arrays.equals(a.result().tokens(), other.result().tokens())).isFalse();
    }

    @Test
    void stopTokenEndsTheCompletionAndIsNotPartOfIt() {
        Transformer net = model();
        GenerationConfig c = new GenerationConfig(SamplingParams.temperature(1.0, 4), 20);
        int[] free = run(net, PROMPT, c).result().tokens();
        int k = 3, stop = free[k];
        int first = 0;
        while (free[first] != stop) first++;
        Run r = run(net, PROMPT, c.withStopTokens(Set.of(stop)));
        assertThat(r.result().stopReason()).isEqualTo(Generator.StopReason.STOP_TOKEN);
        assertThat(r.result().tokens()).containsExactly(Arrays.copyOf(free, first));
        assertThat(r.streamed()).isEqualTo(LETTERS.apply(Arrays.copyOf(free, first)));
    }

    @Test
    void stopStringCutsTheTextAndNeverReachesTheStream() {
        Transformer net = model();
        GenerationConfig c = new GenerationConfig(SamplingParams.temperature(1.0, 8), 20);
        String free = run(net, PROMPT, c).result().text();
        String stop = free.substring(6, 9);
        int at = free.indexOf(stop);
        Run r = run(net, PROMPT, c.withStopStrings(List.of("never-appears", stop)));
        assertThat(r.result().stopReason()).isEqualTo(Generator.StopReason.STOP_STRING);
        assertThat(r.result().text()).isEqualTo(free.substring(0, at));
        assertThat(r.streamed()).isEqualTo(free.substring(0, at));
        assertThat(r.result().tokens()).hasSize(at + stop.length());
    }

    @Test
    void aCharacterSplitAcrossTokensIsStreamedOnlyWhenComplete() {
        // Every token is one byte of "é" (0xC3 0xA9) or 'x': decoding a prefix can end in half a character.
        byte[][] bytes = new byte[26][];
        for (int i = 0; i < 26; i++) bytes[i] = i % 3 == 0 ? new byte[] {(byte) 0xC3} : i % 3 == 1 ? new byte[] {(byte) 0xA9} : new byte[] {'x'};
        Function<int[], String> utf8 = ids -> {
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            for (int id : ids) out.writeBytes(bytes[id]);
            return out.toString(StandardCharsets.UTF_8);
        };
        Transformer net = model();
        List<String> pieces = new ArrayList<>();
        Generator g = new Generator(new InferenceSession(net), utf8, 26);
        Generator.Result r = g.generate(PROMPT, new GenerationConfig(SamplingParams.temperature(1.0, 3), 24), (t, text) -> pieces.add(text));
        // Had half of an "é" been streamed as U+FFFD, the stream would differ from the final text.
        assertThat(r.text()).contains("é").isEqualTo(utf8.apply(r.tokens()));
        assertThat(String.join("", pieces)).isEqualTo(r.text());
    }

    @Test
    void aFollowUpPromptReusesTheCachedPrefixAndGivesTheSameCompletionAsAFreshGenerator() {
        Transformer net = model();
        GenerationConfig c = new GenerationConfig(SamplingParams.greedy(), 6);
        Generator g = new Generator(new InferenceSession(net), LETTERS, CONFIG.vocabSize());
        Generator.Result first = g.generate(PROMPT, c, (t, x) -> { });
        assertThat(first.reusedTokens()).isZero();
        // The next turn: the previous prompt, the completion (the last token was sampled but never fed), a new message.
        int[] next = new int[PROMPT.length + 6 + 3];
        System.arraycopy(PROMPT, 0, next, 0, PROMPT.length);
        System.arraycopy(first.tokens(), 0, next, PROMPT.length, 6);
        next[next.length - 3] = 2;
        next[next.length - 2] = 9;
        next[next.length - 1] = 11;
        Generator.Result second = g.generate(next, c, (t, x) -> { });
        assertThat(second.reusedTokens()).isEqualTo(PROMPT.length + 5);
        Generator.Result fresh = new Generator(new InferenceSession(net), LETTERS, CONFIG.vocabSize()).generate(next, c, (t, x) -> { });
        assertThat(second.tokens()).containsExactly(fresh.tokens());
        // A prompt that diverges early reuses only the shared part; the same prompt again reuses all but its last token.
        int[] other = {1, 7, 25, 25};
        assertThat(g.generate(other, c, (t, x) -> { }).reusedTokens()).isEqualTo(2);
        Generator.Result again = g.generate(other, c, (t, x) -> { });
        assertThat(again.reusedTokens()).isEqualTo(3);
        assertThat(again.tokens()).containsExactly(new Generator(new InferenceSession(net), LETTERS, CONFIG.vocabSize()).generate(other, c, (t, x) -> { }).tokens());
    }

    @Test
    void theEndOfTheContextStopsGeneration() {
        Transformer net = model();
        int[] prompt = new int[CONFIG.contextLength() - 2];
        Arrays.fill(prompt, 4);
        Run r = run(net, prompt, new GenerationConfig(SamplingParams.greedy(), 10));
        assertThat(r.result().stopReason()).isEqualTo(Generator.StopReason.CONTEXT_FULL);
        assertThat(r.result().tokens()).hasSize(3);
    }

    @Test
    void aPromptLongerThanTheContextIsAClearError() {
        Transformer net = model();
        int[] prompt = new int[CONFIG.contextLength() + 1];
        assertThatThrownBy(() -> run(net, prompt, new GenerationConfig(SamplingParams.greedy(), 1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("33 tokens").hasMessageContaining("context of 32");
    }
}
