package dev.anvil.data.read;

import java.io.IOException;

/** The input stopped being readable (truncated archive, I/O error) at a known line. */
public final class DamagedInputException extends IOException {
    private final long line;

    public DamagedInputException(long line, IOException cause) {
        super("unreadable from line " + line + ": " + (cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage()), cause);
        this.line = line;
    }

    public long line() {
        return line;
    }
}
