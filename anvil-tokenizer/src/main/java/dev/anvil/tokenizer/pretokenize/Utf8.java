package dev.anvil.tokenizer.pretokenize;

/**
 * Strict UTF-8 decoding of one code point at a time, for pre-tokenizers that scan bytes.
 *
 * <p>A decoded step is packed into one int: {@code (length << 21) | codePoint}. A byte that does not
 * start a well-formed sequence (stray continuation, overlong form, surrogate, beyond U+10FFFF, truncated)
 * decodes as {@link #INVALID} with length 1, so every byte of any input belongs to exactly one step and
 * pieces always cover the input byte-exactly.
 */
public final class Utf8 {
    /** The pseudo code point of an invalid byte: beyond Unicode, so it is never a letter, number or space. */
    public static final int INVALID = 0x110000;

    private Utf8() {}

    /** Decodes the code point starting at {@code pos} (< end); see the class comment for the packing. */
    public static int decode(byte[] s, int pos, int end) {
        int b0 = s[pos] & 0xFF;
        if (b0 < 0x80) return (1 << 21) | b0;
        if (b0 < 0xC2) return (1 << 21) | INVALID;
        if (b0 < 0xE0) {
            if (pos + 1 < end && (s[pos + 1] & 0xC0) == 0x80)
                return (2 << 21) | ((b0 & 0x1F) << 6) | (s[pos + 1] & 0x3F);
            return (1 << 21) | INVALID;
        }
        if (b0 < 0xF0) {
            if (pos + 2 < end) {
                int b1 = s[pos + 1] & 0xFF, b2 = s[pos + 2] & 0xFF;
                if ((b1 & 0xC0) == 0x80 && (b2 & 0xC0) == 0x80) {
                    int cp = ((b0 & 0x0F) << 12) | ((b1 & 0x3F) << 6) | (b2 & 0x3F);
                    if (cp >= 0x800 && (cp < 0xD800 || cp > 0xDFFF)) return (3 << 21) | cp;
                }
            }
            return (1 << 21) | INVALID;
        }
        if (b0 < 0xF5 && pos + 3 < end) {
            int b1 = s[pos + 1] & 0xFF, b2 = s[pos + 2] & 0xFF, b3 = s[pos + 3] & 0xFF;
            if ((b1 & 0xC0) == 0x80 && (b2 & 0xC0) == 0x80 && (b3 & 0xC0) == 0x80) {
                int cp = ((b0 & 0x07) << 18) | ((b1 & 0x3F) << 12) | ((b2 & 0x3F) << 6) | (b3 & 0x3F);
                if (cp >= 0x10000 && cp <= 0x10FFFF) return (4 << 21) | cp;
            }
        }
        return (1 << 21) | INVALID;
    }

    public static int codePoint(int packed) { return packed & 0x1FFFFF; }

    public static int length(int packed) { return packed >>> 21; }

    /**
     * Encodes a Java string as UTF-8 the way tiktoken treats Python strings: a lone surrogate becomes
     * U+FFFD (EF BF BD) rather than Java's '?'.
     */
    public static byte[] encode(CharSequence text) {
        if (text instanceof String s && !hasLoneSurrogate(s)) return s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        StringBuilder repaired = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                repaired.append(c).append(text.charAt(++i));
            } else if (Character.isSurrogate(c)) {
                repaired.append('\uFFFD');
            } else {
                repaired.append(c);
            }
        }
        return repaired.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    private static boolean hasLoneSurrogate(String s) {
        for (int i = 0, n = s.length(); i < n; i++) {
            char c = s.charAt(i);
            if (c >= Character.MIN_SURROGATE && c <= Character.MAX_SURROGATE) {
                if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) i++;
                else return true;
            }
        }
        return false;
    }
}
