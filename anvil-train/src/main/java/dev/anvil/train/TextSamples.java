package dev.anvil.train;

import dev.anvil.model.TextTokenizer;
import dev.anvil.model.Transformer;
import dev.anvil.model.inference.Generator;
import dev.anvil.model.inference.InferenceSession;
import dev.anvil.model.sampling.GenerationConfig;
import dev.anvil.model.sampling.SamplingParams;

import java.util.Arrays;

/**
 * Samples during training: {@code tokens} tokens continued from one prompt token by the KV-cache
 * {@link Generator}, with eval.temperature and eval.top_k, seeded by the run's seed and the step.
 * A sample longer than the model's context continues from the last half context of what it has
 * (one batched prefill), so it keeps going where a single pass would stop.
 */
public final class TextSamples implements SampleGenerator {

    private final Transformer net;
    private final TextTokenizer tokenizer;
    private final int prompt, tokens, topK;
    private final double temperature;
    private final long seed;

    public TextSamples(Transformer net, TextTokenizer tokenizer, int prompt, int tokens, double temperature, int topK, long seed) {
        this.net = net;
        this.tokenizer = tokenizer;
        this.prompt = prompt;
        this.tokens = tokens;
        this.temperature = temperature;
        this.topK = topK;
        this.seed = seed;
    }

    @Override
    public String sample(long step) {
        int ctx = net.config().contextLength();
        int vocab = Math.min(net.config().vocabSize(), tokenizer.vocabSize());
        // A new session each time: the weights changed since the last sample, so no cached keys may be reused.
        Generator generator = new Generator(new InferenceSession(net), tokenizer::decode, vocab);
        SamplingParams sampling = new SamplingParams(temperature, topK, 1, 0, 1, 0, 0, seed * 31 + step);
        int[] text = new int[tokens + 1];
        text[0] = prompt;
        int n = 1;
        while (n <= tokens) {
            int keep = n < ctx ? n : Math.max(1, ctx / 2);
            int[] window = Arrays.copyOfRange(text, n - keep, n);
            // Each continuation gets its own seed: a Generator's sampler restarts its generator on every call.
            GenerationConfig g = new GenerationConfig(sampling.withSeed(sampling.seed() + n), tokens + 1 - n);
            int[] produced = generator.generate(window, g, (token, piece) -> {}).tokens();
            if (produced.length == 0) break;
            System.arraycopy(produced, 0, text, n, produced.length);
            n += produced.length;
        }
        return tokenizer.decode(Arrays.copyOf(text, n));
    }
}
