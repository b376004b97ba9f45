package dev.anvil.eval;

import dev.anvil.model.TextTokenizer;

/**
 * A held-out stream of token ids to score: a token shard (anvil-train's {@code TokenShardReader}
 * is one), or a text encoded with the model's tokenizer ({@link #ofText}). Windows never cross from
 * one sequence into the next, so each sequence is scored as if it stood alone.
 */
public interface TokenSequence {

    /** Shown in reports, e.g. the file name. */
    String name();

    long length();

    /** Copies tokens [start, start + n) into {@code dst[off, off + n)}. */
    void read(long start, int[] dst, int off, int n);

    /** An in-memory sequence. */
    static TokenSequence of(String name, int[] tokens) {
        int[] copy = tokens.clone();
        return new TokenSequence() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public long length() {
                return copy.length;
            }

            @Override
            public void read(long start, int[] dst, int off, int n) {
                if (start < 0 || start + n > copy.length) {
                    throw new IndexOutOfBoundsException(name + ": tokens [" + start + ", " + (start + n) + ") of " + copy.length);
                }
                System.arraycopy(copy, (int) start, dst, off, n);
            }
        };
    }

    /**
     * A text encoded with the model's tokenizer, after the token a document starts with: the
     * beginning-of-sequence token if the tokenizer has one (llama2.c's {@code <s>}), else its
     * document separator ({@code <|endoftext|>}), as lm-evaluation-harness prefixes rolling
     * log-likelihoods. The prefix is context only, never scored, so every token of the text is
     * predicted and the bytes scored are exactly the text's UTF-8 bytes. A character tokenizer has
     * neither, and its first character is context only.
     */
    static TokenSequence ofText(String name, String text, TextTokenizer tokenizer) {
        int[] ids = tokenizer.encode(text);
        var prefix = tokenizer.beginningOfSequence().isPresent() ? tokenizer.beginningOfSequence() : tokenizer.documentSeparator();
        if (prefix.isEmpty()) return of(name, ids);
        int[] withPrefix = new int[ids.length + 1];
        withPrefix[0] = prefix.getAsInt();
        System.arraycopy(ids, 0, withPrefix, 1, ids.length);
        return of(name, withPrefix);
    }
}
