package dev.anvil.cli;

/**
 * A command was called wrongly: a bad option value or combination found only when the command runs
 * (picocli catches unknown options, missing required ones and unparsable numbers itself). Exit
 * code 2, like picocli's own usage errors, with the command's help pointed to; every other
 * exception is a failure (exit code 1).
 */
public final class UsageException extends RuntimeException {
    public UsageException(String message) {
        super(message);
    }
}
