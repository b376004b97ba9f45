package dev.anvil.tokenizer.pretokenize;

/** Receives the pieces a pre-tokenizer cuts, as byte ranges [start, end) of the scanned buffer. */
@FunctionalInterface
public interface PieceSink {
    void accept(int start, int end);
}
