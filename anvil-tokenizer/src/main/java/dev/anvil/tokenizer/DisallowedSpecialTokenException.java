package dev.anvil.tokenizer;

/** Thrown when text contains a special token that the caller did not allow (tiktoken's ValueError). */
public final class DisallowedSpecialTokenException extends IllegalArgumentException {
    private final String token;

    public DisallowedSpecialTokenException(String token, int charIndex) {
        super("the text contains the special token '" + token + "' at character " + charIndex
                + ", which is not allowed: allow it to encode it as a special token, or encode it as ordinary text"
                + " (allowed special tokens: none, or pass the set to allow)");
        this.token = token;
    }

    public String token() {
        return token;
    }
}
