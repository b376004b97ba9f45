package dev.anvil.eval;

/**
 * The held-out score of one sequence (or of all of them): the total negative log-likelihood in
 * nats of the {@code tokens} predicted, and the UTF-8 {@code bytes} those tokens stand for.
 *
 * <ul>
 *   <li>loss = nats / tokens (mean cross-entropy per token, the training loss's unit);</li>
 *   <li>perplexity = e^loss (a model that spreads its bets evenly over V tokens scores V);</li>
 *   <li>bits per byte = nats / (ln 2 · bytes) = loss · tokens / (ln 2 · bytes): the same
 *       likelihood per byte of text, so models with different tokenizers compare.</li>
 * </ul>
 */
public record Perplexity(String name, long tokens, long bytes, double nats) {

    public double loss() {
        return tokens == 0 ? Double.NaN : nats / tokens;
    }

    public double perplexity() {
        return Math.exp(loss());
    }

    public double bitsPerByte() {
        return bytes == 0 ? Double.NaN : nats / (Math.log(2) * bytes);
    }

    /** The two scores pooled (the sum of nats, tokens and bytes; not an average of losses). */
    public Perplexity plus(Perplexity other, String pooledName) {
        return new Perplexity(pooledName, tokens + other.tokens, bytes + other.bytes, nats + other.nats);
    }
}
