package dev.anvil.data.stats;

/** One piece of input that could not be read and was skipped: where ({@code file:line}) and why. */
public record BadInput(String file, long line, String reason) {
    /** {@code file:line: reason}, with line 0 meaning "the file as a whole". */
    @Override
    public String toString() {
        return (line > 0 ? file + ":" + line : file) + ": " + reason;
    }
}
