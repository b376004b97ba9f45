package dev.anvil.tokenizer.pretokenize;

/**
 * The character classes the built-in pre-tokenizer patterns are written in, with the same meaning as in
 * tiktoken's regexes (and Java's {@code Pattern} with {@code UNICODE_CHARACTER_CLASS}):
 * {@code \p{L}} = general categories Lu Ll Lt Lm Lo, {@code \p{N}} = Nd Nl No, {@code \s} = the Unicode
 * White_Space property (Zs Zl Zp, U+0009..U+000D, U+0085). Invalid bytes ({@link Utf8#INVALID}) are none of these.
 */
public final class CharClass {
    public static final byte OTHER = 0, LETTER = 1, NUMBER = 2, SPACE = 3, NEWLINE = 4;

    private static final byte[] ASCII = new byte[128];
    static {
        for (int c = 0; c < 128; c++) ASCII[c] = compute(c);
    }

    private CharClass() {}

    /** One of OTHER, LETTER, NUMBER, SPACE (whitespace except \r \n) or NEWLINE (\r or \n). */
    public static byte of(int cp) {
        return cp < 128 ? ASCII[cp] : compute(cp);
    }

    private static byte compute(int cp) {
        if (cp == '\r' || cp == '\n') return NEWLINE;
        if (cp > Character.MAX_CODE_POINT) return OTHER;
        if ((cp >= 0x09 && cp <= 0x0D) || cp == 0x85) return SPACE;
        return switch (Character.getType(cp)) {
            case Character.UPPERCASE_LETTER, Character.LOWERCASE_LETTER, Character.TITLECASE_LETTER,
                 Character.MODIFIER_LETTER, Character.OTHER_LETTER -> LETTER;
            case Character.DECIMAL_DIGIT_NUMBER, Character.LETTER_NUMBER, Character.OTHER_NUMBER -> NUMBER;
            case Character.SPACE_SEPARATOR, Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR -> SPACE;
            default -> OTHER;
        };
    }

    public static boolean isWhitespace(int cls) { return cls >= SPACE; }

    /**
     * The class and byte length of the character at {@code pos}, packed as {@code (length << 8) | class}:
     * the scanners' one step, with a table lookup for ASCII.
     */
    public static int at(byte[] s, int pos, int end) {
        byte b = s[pos];
        if (b >= 0) return (1 << 8) | ASCII[b];
        int step = Utf8.decode(s, pos, end);
        return (Utf8.length(step) << 8) | compute(Utf8.codePoint(step));
    }
}
