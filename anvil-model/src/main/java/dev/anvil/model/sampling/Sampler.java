package dev.anvil.model.sampling;

import dev.anvil.core.random.Rng;

import java.util.Arrays;

/**
 * Picks next tokens from logits under {@link SamplingParams}, in Hugging Face's order: penalties
 * (on the tokens {@link #accept accepted} so far), then greedy argmax when the temperature is 0,
 * else temperature, top-k, top-p (on the top-k set, renormalised), min-p, and a draw from the
 * renormalised survivors with the sampler's own seeded generator.
 *
 * <p>Top-k, top-p and min-p each keep a prefix of the tokens sorted by probability, so the survivors
 * are the shortest of the three prefixes. The sort is over (probability bits, id) packed in a long —
 * positive floats order like their bit patterns — so it is a primitive sort with no boxing, and ties
 * go to the lower id. Scratch arrays are sized once for the vocabulary; sampling allocates nothing.
 */
public final class Sampler {

    private final SamplingParams params;
    private final int vocab;
    private final Rng rng;
    private final int[] counts;
    private final float[] adjusted;
    private final double[] probs;
    private final long[] order;
    private final boolean penalised;

    public Sampler(SamplingParams params, int vocab) {
        if (vocab < 1) throw new IllegalArgumentException("sampler: vocabulary size must be positive, got " + vocab);
        this.params = params;
        this.vocab = vocab;
        this.rng = new Rng(params.seed());
        this.counts = new int[vocab];
        this.adjusted = new float[vocab];
        this.probs = new double[vocab];
        this.order = new long[vocab];
        this.penalised = params.repetitionPenalty() != 1 || params.presencePenalty() != 0 || params.frequencyPenalty() != 0;
    }

    public SamplingParams params() {
        return params;
    }

    /** Records a token of the context (prompt or generated) for the penalties. */
    public void accept(int token) {
        if (token < 0 || token >= vocab) throw new IllegalArgumentException("sampler: token " + token + " outside the vocabulary of " + vocab);
        counts[token]++;
    }

    public void accept(int[] tokens, int off, int n) {
        for (int i = 0; i < n; i++) accept(tokens[off + i]);
    }

    /** Forgets the accepted tokens (the random stream continues). */
    public void clearHistory() {
        Arrays.fill(counts, 0);
    }

    /**
     * The next token from {@code logits[0, vocab)} (only the first {@code vocab} entries are read, so
     * a model whose vocabulary is padded past the tokenizer's never produces a padding id).
     */
    public int sample(float[] logits) {
        if (logits.length < vocab) throw new IllegalArgumentException("sampler: " + logits.length + " logits for a vocabulary of " + vocab);
        float[] z = logits;
        if (penalised) {
            z = adjusted;
            float r = (float) params.repetitionPenalty(), presence = (float) params.presencePenalty(), frequency = (float) params.frequencyPenalty();
            for (int i = 0; i < vocab; i++) {
                float l = logits[i];
                int c = counts[i];
                if (c > 0) {
                    l = l > 0 ? l / r : l * r;
                    l -= presence + frequency * c;
                }
                z[i] = l;
            }
        }
        if (params.greedyDecoding()) return argmax(z);

        // softmax(z / T) in double, shifted by the max for range.
        double invT = 1 / params.temperature();
        float max = z[argmax(z)];
        if (max == Float.NEGATIVE_INFINITY) throw new IllegalArgumentException("sampler: every logit is -infinity");
        double total = 0;
        for (int i = 0; i < vocab; i++) {
            double p = Math.exp((z[i] - max) * invT);
            probs[i] = p;
            total += p;
        }
        if (!(total >= 1) || Double.isInfinite(total)) throw new IllegalArgumentException("sampler: the logits contain NaN or infinity");
        boolean truncating = params.topK() > 0 || params.topP() < 1 || params.minP() > 0;
        if (!truncating) return draw(total);

        // Sort ids by probability, descending (ascending longs read from the end).
        for (int i = 0; i < vocab; i++) {
            order[i] = ((long) Float.floatToIntBits((float) probs[i]) << 32) | (vocab - 1 - i);
        }
        Arrays.sort(order);
        int keep = vocab;
        if (params.topK() > 0) keep = Math.min(keep, params.topK());
        if (params.topP() < 1) {
            double kept = 0;
            for (int j = 0; j < keep; j++) kept += probs[id(j)];
            double target = params.topP() * kept, cumulative = 0;
            int n = 0;
            while (n < keep) {
                cumulative += probs[id(n++)];
                if (cumulative >= target) break;
            }
            keep = n;
        }
        if (params.minP() > 0) {
            double threshold = params.minP() * probs[id(0)];
            int n = 1;
            while (n < keep && probs[id(n)] >= threshold) n++;
            keep = n;
        }
        double kept = 0;
        for (int j = 0; j < keep; j++) kept += probs[id(j)];
        double u = rng.nextDouble() * kept;
        for (int j = 0; j < keep; j++) {
            u -= probs[id(j)];
            if (u < 0) return id(j);
        }
        return id(keep - 1);
    }

    /** The j-th most probable id after the sort. */
    private int id(int j) {
        return vocab - 1 - (int) (order[vocab - 1 - j] & 0xFFFFFFFFL);
    }

    private int draw(double total) {
        double u = rng.nextDouble() * total;
        int last = 0;
        for (int i = 0; i < vocab; i++) {
            if (probs[i] > 0) last = i;
            u -= probs[i];
            if (u < 0) return i;
        }
        return last; // rounding left u ≥ 0 after the last term
    }

    /** Index of the largest value; ties to the lowest index. */
    static int argmax(float[] z, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) if (z[i] > z[best]) best = i;
        return best;
    }

    private int argmax(float[] z) {
        return argmax(z, vocab);
    }
}
