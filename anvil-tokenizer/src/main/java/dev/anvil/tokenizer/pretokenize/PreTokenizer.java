package dev.anvil.tokenizer.pretokenize;

/**
 * Cuts UTF-8 text into pieces (the regex "chunks" of GPT-2/tiktoken); BPE then works inside each piece.
 * Works on bytes so invalid UTF-8 is carried through byte-exactly: each invalid byte is treated as a
 * character that is neither letter, number nor whitespace. Implementations are thread-safe.
 */
public interface PreTokenizer {
    /** Reports the pieces of {@code utf8[start, end)} in order; together they cover the range exactly. */
    void split(byte[] utf8, int start, int end, PieceSink sink);

    /** The regex (tiktoken / Hugging Face syntax) this pre-tokenizer implements. */
    String pattern();
}
