package dev.anvil.model.sampling;

/**
 * How the next token is chosen from the logits, with the conventions of Hugging Face
 * {@code generate} and the OpenAI API:
 *
 * @param temperature       0 = greedy (argmax); otherwise logits are divided by it before the softmax
 * @param topK              keep the k most probable tokens (0 = off)
 * @param topP              nucleus: keep the smallest most-probable set whose probability reaches p (1 = off)
 * @param minP              keep tokens whose probability is at least minP × the top token's (0 = off)
 * @param repetitionPenalty CTRL's penalty on every token seen: positive logits ÷ r, negative × r (1 = off)
 * @param presencePenalty   subtracted once from the logit of every token seen (OpenAI; 0 = off)
 * @param frequencyPenalty  subtracted per occurrence of every token seen (OpenAI; 0 = off)
 * @param seed              the generator's seed: same seed, same logits → same tokens
 */
public record SamplingParams(double temperature, int topK, double topP, double minP,
                             double repetitionPenalty, double presencePenalty, double frequencyPenalty, long seed) {

    public SamplingParams {
        if (!(temperature >= 0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException("sampling: temperature must be 0 (greedy) or positive and finite, got " + temperature);
        }
        if (topK < 0) throw new IllegalArgumentException("sampling: top-k must be 0 (off) or positive, got " + topK);
        if (!(topP > 0 && topP <= 1)) throw new IllegalArgumentException("sampling: top-p must be in (0, 1], got " + topP);
        if (!(minP >= 0 && minP <= 1)) throw new IllegalArgumentException("sampling: min-p must be in [0, 1], got " + minP);
        if (!(repetitionPenalty > 0) || Double.isInfinite(repetitionPenalty)) {
            throw new IllegalArgumentException("sampling: repetition penalty must be positive and finite, got " + repetitionPenalty);
        }
        if (!Double.isFinite(presencePenalty)) throw new IllegalArgumentException("sampling: presence penalty must be finite, got " + presencePenalty);
        if (!Double.isFinite(frequencyPenalty)) throw new IllegalArgumentException("sampling: frequency penalty must be finite, got " + frequencyPenalty);
    }

    /** Argmax decoding, no penalties. */
    public static SamplingParams greedy() {
        return new SamplingParams(0, 0, 1, 0, 1, 0, 0, 0);
    }

    /** Plain sampling from softmax(logits / temperature). */
    public static SamplingParams temperature(double temperature, long seed) {
        return new SamplingParams(temperature, 0, 1, 0, 1, 0, 0, seed);
    }

    public SamplingParams withTopK(int k) {
        return new SamplingParams(temperature, k, topP, minP, repetitionPenalty, presencePenalty, frequencyPenalty, seed);
    }

    public SamplingParams withTopP(double p) {
        return new SamplingParams(temperature, topK, p, minP, repetitionPenalty, presencePenalty, frequencyPenalty, seed);
    }

    public SamplingParams withMinP(double p) {
        return new SamplingParams(temperature, topK, topP, p, repetitionPenalty, presencePenalty, frequencyPenalty, seed);
    }

    public SamplingParams withPenalties(double repetition, double presence, double frequency) {
        return new SamplingParams(temperature, topK, topP, minP, repetition, presence, frequency, seed);
    }

    public SamplingParams withSeed(long s) {
        return new SamplingParams(temperature, topK, topP, minP, repetitionPenalty, presencePenalty, frequencyPenalty, s);
    }

    public boolean greedyDecoding() {
        return temperature == 0;
    }
}
