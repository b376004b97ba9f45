package dev.anvil.tokenizer.pretokenize;

/**
 * A hand-written scanner equivalent to o200k_base's regex
 * <pre>
 * P?[U]*[W]+C? | P?[U]+[W]*C? | \p{N}{1,3} | ' '?[^\s\p{L}\p{N}]+[\r\n/]* | \s*[\r\n]+ | \s+(?!\S) | \s+
 * </pre>
 * with P = [^\r\n\p{L}\p{N}], U = [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}], W = [\p{Ll}\p{Lm}\p{Lo}\p{M}] and C an optional
 * case-insensitive contraction ('s 't 're 've 'm 'll 'd). U and W overlap in Lm, Lo and marks, which is where the
 * regex backtracks: for {@code U*W+} the upper run [p, r) is taken whole when an Ll follows it (then W+ runs on),
 * and otherwise up to and including its last Lm/Lo/mark character (W+ then holds just that character); with
 * neither, the alternative fails. The optional prefix P is tried first taken, then not, before moving on to the
 * next alternative, exactly as the regex engine does.
 */
final class O200kPreTokenizer implements PreTokenizer {
    // Kinds: letters split by case role, marks (in U and W but not \p{L}), then the shared classes.
    static final int UPPER_ONLY = 0, LOWER_ONLY = 1, CASELESS = 2, MARK = 3, NUMBER = 4, OTHER = 5, SPACE = 6, NEWLINE = 7;
    private static final byte[] ASCII = new byte[128];

    static {
        for (int c = 0; c < 128; c++) ASCII[c] = (byte) compute(c);
    }

    @Override
    public String pattern() {
        return SplitPattern.O200K.regex();
    }

    private static int compute(int cp) {
        if (cp > Character.MAX_CODE_POINT) return OTHER;
        return switch (Character.getType(cp)) {
            case Character.UPPERCASE_LETTER, Character.TITLECASE_LETTER -> UPPER_ONLY;
            case Character.LOWERCASE_LETTER -> LOWER_ONLY;
            case Character.MODIFIER_LETTER, Character.OTHER_LETTER -> CASELESS;
            case Character.NON_SPACING_MARK, Character.ENCLOSING_MARK, Character.COMBINING_SPACING_MARK -> MARK;
            case Character.DECIMAL_DIGIT_NUMBER, Character.LETTER_NUMBER, Character.OTHER_NUMBER -> NUMBER;
            default -> switch (CharClass.of(cp)) {
                case CharClass.SPACE -> SPACE;
                case CharClass.NEWLINE -> NEWLINE;
                default -> OTHER;
            };
        };
    }

    /** (byte length << 8) | kind of the character at pos. */
    private static int at(byte[] s, int pos, int end) {
        byte b = s[pos];
        if (b >= 0) return (1 << 8) | ASCII[b];
        int step = Utf8.decode(s, pos, end);
        return (Utf8.length(step) << 8) | compute(Utf8.codePoint(step));
    }

    private static boolean inU(int kind) { return kind <= MARK && kind != LOWER_ONLY; }

    private static boolean inW(int kind) { return kind >= LOWER_ONLY && kind <= MARK; }

    private static boolean isLetter(int kind) { return kind <= CASELESS; }

    @Override
    public void split(byte[] s, int start, int end, PieceSink sink) {
        int i = start;
        while (i < end) {
            int here = at(s, i, end);
            int k0 = here & 0xFF, next = i + (here >>> 8);
            boolean prefixAllowed = !isLetter(k0) && k0 != NUMBER && k0 != NEWLINE;
            int e = -1;
            if (prefixAllowed && next < end) e = upperThenLower(s, next, end);
            if (e < 0) e = upperThenLower(s, i, end);
            if (e < 0 && prefixAllowed && next < end) e = upperRunThenLowerRun(s, next, end);
            if (e < 0) e = upperRunThenLowerRun(s, i, end);
            if (e < 0 && k0 == NUMBER) {
                e = next;
                for (int n = 1; n < 3 && e < end; n++) {
                    int c = at(s, e, end);
                    if ((c & 0xFF) != NUMBER) break;
                    e += c >>> 8;
                }
            }
            if (e < 0) {
                int runFrom = -1;
                if (k0 == OTHER || k0 == MARK) runFrom = next;
                else if (s[i] == ' ' && next < end) {
                    int k1 = at(s, next, end) & 0xFF;
                    if (k1 == OTHER || k1 == MARK) runFrom = next;
                }
                if (runFrom >= 0) {
                    e = runFrom;
                    while (e < end) {
                        int c = at(s, e, end);
                        int k = c & 0xFF;
                        if (k != OTHER && k != MARK) break;
                        e += c >>> 8;
                    }
                    while (e < end && (s[e] == '\r' || s[e] == '\n' || s[e] == '/')) e++;
                }
            }
            if (e < 0) e = whitespaceEnd(s, i, end);
            sink.accept(i, e);
            i = e;
        }
    }

    /** U*W+C? from p: the end of the match, or -1. */
    private static int upperThenLower(byte[] s, int p, int end) {
        int r = p, lastBoth = -1, lastBothEnd = -1;
        int kindAtR = -1;
        while (r < end) {
            int c = at(s, r, end);
            int k = c & 0xFF;
            if (!inU(k)) { kindAtR = k; break; }
            if (k != UPPER_ONLY) { lastBoth = r; lastBothEnd = r + (c >>> 8); }
            r += c >>> 8;
        }
        int e;
        if (r < end && kindAtR == LOWER_ONLY) {
            e = r;
            while (e < end) {
                int c = at(s, e, end);
                if (!inW(c & 0xFF)) break;
                e += c >>> 8;
            }
        } else if (lastBoth >= 0) {
            e = lastBothEnd;
        } else {
            return -1;
        }
        return e + contraction(s, e, end);
    }

    /** U+W*C? from p: the end of the match, or -1. */
    private static int upperRunThenLowerRun(byte[] s, int p, int end) {
        int r = p;
        while (r < end) {
            int c = at(s, r, end);
            if (!inU(c & 0xFF)) break;
            r += c >>> 8;
        }
        if (r == p) return -1;
        int e = r;
        while (e < end) {
            int c = at(s, e, end);
            if (!inW(c & 0xFF)) break;
            e += c >>> 8;
        }
        return e + contraction(s, e, end);
    }

    /** The length of a case-insensitive contraction at p ('s 't 're 've 'm 'll 'd, ſ folding to s), or 0. */
    private static int contraction(byte[] s, int p, int end) {
        if (p + 1 >= end || s[p] != '\'') return 0;
        int m = Cl100kPreTokenizer.contraction(s, p + 1, end);
        return m == 0 ? 0 : 1 + m;
    }

    /** \s*[\r\n]+ | \s+(?!\S) | \s+ at i (a whitespace character). */
    private static int whitespaceEnd(byte[] s, int i, int end) {
        int j = i, lastNewlineEnd = -1, lastCharStart = i;
        while (j < end) {
            int c = CharClass.at(s, j, end);
            int k = c & 0xFF;
            if (k < CharClass.SPACE) break;
            lastCharStart = j;
            j += c >>> 8;
            if (k == CharClass.NEWLINE) lastNewlineEnd = j;
        }
        if (j == i) return i + (CharClass.at(s, i, end) >>> 8); // not whitespace: cannot happen for a covered pattern
        if (lastNewlineEnd > 0) return lastNewlineEnd;
        if (j == end || lastCharStart == i) return j;
        return lastCharStart;
    }
}
