package dev.anvil.tokenizer.format;

/** A tokenizer file that cannot be read: the message names the file and the line or field. */
public final class TokenizerFormatException extends IllegalArgumentException {
    public TokenizerFormatException(String source, String where, String problem) {
        super(source + (where == null || where.isEmpty() ? "" : ", " + where) + ": " + problem);
    }

    public TokenizerFormatException(String source, String where, String problem, Throwable cause) {
        super(source + (where == null || where.isEmpty() ? "" : ", " + where) + ": " + problem, cause);
    }
}
