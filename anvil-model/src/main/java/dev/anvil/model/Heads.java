package dev.anvil.model;

import dev.anvil.model.exec.Ops;

/**
 * The heads a model may carry on top of its body, each a named module with its own checkpoint
 * entries ({@link TransformerLayout}):
 * <ul>
 *   <li>the LM head: hidden → vocabulary logits ({@code lm_head.weight}, or the token embedding
 *       when tied);</li>
 *   <li>a sequence-classification head: pooled hidden → {@code scoreLabels} class logits
 *       ({@code score.weight} [labels, C], no bias, as {@code LlamaForSequenceClassification});</li>
 *   <li>a value / reward head: hidden → one scalar per position ({@code v_head.summary.weight}
 *       [1, C] and its bias, as TRL's value head); a reward model reads it at the last token.</li>
 * </ul>
 *
 * @param lm          whether the model has an LM head (a tied one always does)
 * @param scoreLabels classes of the score head, 0 for none
 * @param value       whether the model has a value head
 */
public record Heads(boolean lm, int scoreLabels, boolean value) {

    public Heads {
        if (scoreLabels < 0) throw new IllegalArgumentException("score head: labels must not be negative, got " + scoreLabels);
    }

    /** A causal language model: the LM head only. */
    public static Heads languageModel() {
        return new Heads(true, 0, false);
    }

    public Heads withScore(int labels) {
        return new Heads(lm, labels, value);
    }

    public Heads withValue() {
        return new Heads(lm, scoreLabels, true);
    }

    /** Vocabulary logits of every row of {@code hidden}. */
    public static <A> A logits(Ops<A> ops, TransformerLayout.Names names, A hidden) {
        return ops.linear(hidden, names.lmHead(), null);
    }

    /** Class logits of pooled rows (the last token of each sequence). */
    public static <A> A scores(Ops<A> ops, A pooled) {
        return ops.linear(pooled, TransformerLayout.SCORE_HEAD, null);
    }

    /** One value per row: [rows, 1]. */
    public static <A> A values(Ops<A> ops, A hidden) {
        return ops.linear(hidden, TransformerLayout.VALUE_HEAD, TransformerLayout.VALUE_HEAD_BIAS);
    }

    /** The error a command gives when the checkpoint lacks the head it needs. */
    public static IllegalStateException missing(String head, String source, Heads has) {
        return new IllegalStateException(source + " has no " + head + " (it holds: " + has.describe() + ")");
    }

    public String describe() {
        StringBuilder s = new StringBuilder();
        if (lm) s.append("an LM head");
        if (scoreLabels > 0) s.append(s.isEmpty() ? "" : ", ").append("a ").append(scoreLabels).append("-class score head");
        if (value) s.append(s.isEmpty() ? "" : ", ").append("a value head");
        return s.isEmpty() ? "no head" : s.toString();
    }
}
