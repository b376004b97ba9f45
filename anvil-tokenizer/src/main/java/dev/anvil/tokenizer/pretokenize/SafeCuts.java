package dev.anvil.tokenizer.pretokenize;

/**
 * Where UTF-8 text may be cut so that pre-tokenizing the parts one after the other gives exactly the pieces of
 * pre-tokenizing it whole, whatever the text before and after: the parallel encoder and the corpus counter cut
 * only here.
 *
 * <p><b>The rule.</b> A cut goes just after a letter ({@code \p{L}}) that is followed by a character that is
 * neither a letter, nor a combining mark ({@code \p{M}}), nor an apostrophe: "word| ", "word|.", "word|\n",
 * "中文|。", "x|7". It holds for the built-in patterns ({@link SplitPattern}) only; any other regex is never cut.
 *
 * <p><b>Why it is exact.</b> Cutting at p is exact when (a) the whole text has a piece boundary at p, (b) every
 * match that ends at or before p is decided the same when the text ends at p, and (c) the scan after p is the
 * same as when it starts there. (c) holds at every piece boundary, since no built-in pattern looks behind (no
 * lookbehind, {@code \b} or {@code ^}) and the scanners restart from nothing at each piece. (a) and (b), argued
 * against each pattern:
 * <ul>
 *   <li>GPT-2 (r50k, p50k), {@code 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+}:
 *       a letter occurs only in a contraction or in {@code ?\p{L}+}. The letter run stops at the first
 *       non-letter, and a contraction cannot go on past the letter (its next character would be a letter:
 *       {@code 're 've 'll}), so the piece holding the letter ends at p (a). Of the alternatives tried for it or
 *       for an earlier piece, only these two can reach p, and both fail or stop there on a non-letter exactly as
 *       at the end of the text (b). The look-ahead {@code \s+(?!\S)}, where a cut beside a whitespace run changes
 *       the pieces ("\n\n|The" gives 628 alone but 198 198 in the whole), never reaches p: its run would have
 *       to cross the letter.</li>
 *   <li>cl100k_base and Llama 3, {@code (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
 *       ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+}: a letter occurs only in a contraction or in
 *       {@code [^\r\n\p{L}\p{N}]?\p{L}+}, whose optional one-character prefix comes before the letters; the same
 *       argument holds. The character after the cut may become the prefix of the next word: that word is in the
 *       next part, which starts at that character.</li>
 *   <li>o200k_base, {@code P?U*W+C?|P?U+W*C?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+}
 *       with U and W sets of letters and marks and C an optional contraction: a letter occurs only in the first
 *       two alternatives. Their U/W runs stop at the first character that is neither a letter nor a mark, and
 *       C needs an apostrophe there, so the piece ends at p (a); where the run splits on a change of case is
 *       decided before p. At the end of the text the runs stop and C fails the same way (b).</li>
 * </ul>
 * The letter before the cut is a well-formed character that ends at p, and UTF-8 decoding only reads forward,
 * so both parts decode as the whole does; an invalid byte (neither letter, mark nor apostrophe) may follow a
 * cut and is carried byte-exactly like anywhere else.
 */
public final class SafeCuts {
    /** The longest UTF-8 character: a character that starts this far from the end of a buffer is wholly in it. */
    private static final int MAX_CHAR_BYTES = 4;
    private static final byte OTHER = 0, LETTER = 1, FOLLOWS_CUT = 2;
    private static final byte[] ASCII = new byte[128];

    static {
        for (int c = 0; c < 128; c++) ASCII[c] = kind(c);
    }

    private SafeCuts() {}

    /** Whether text pre-tokenized by {@code preTokenizer} may be cut by this rule: true for the built-in patterns. */
    public static boolean supports(PreTokenizer preTokenizer) {
        return SplitPattern.ofRegex(preTokenizer.pattern()) != null;
    }

    /**
     * The first cut p with {@code pos < p < end} in the text {@code s[.., end)}, or {@code end} if there is none.
     * {@code pos} may be anywhere, even inside a character.
     */
    public static int next(byte[] s, int pos, int end) {
        int cut = next(s, pos, end, end);
        return cut < 0 ? end : cut;
    }

    /**
     * The last cut p with {@code from < p} in a buffer {@code s[from, end)} whose text may go on past {@code end}
     * (a block read from a stream), or -1: only cuts whose following character lies wholly in the buffer count.
     * {@code from} must be the start of a character.
     */
    public static int last(byte[] s, int from, int end) {
        int limit = end - MAX_CHAR_BYTES;
        for (int window = 4096; ; window *= 2) {
            int start = Math.max(from, limit - window), last = -1;
            for (int cut = start; (cut = next(s, cut, limit, end)) >= 0; ) last = cut;
            if (last >= 0 || start == from) return last;
        }
    }

    /** The first cut p with {@code pos < p ≤ cutLimit}, decoding with {@code s[.., end)} as the text, or -1. */
    private static int next(byte[] s, int pos, int cutLimit, int end) {
        int p = pos;
        // Any byte but a continuation byte starts a character: no well-formed sequence has it in its middle.
        while (p < end && (s[p] & 0xC0) == 0x80) p++;
        boolean afterLetter = false;
        while (p <= cutLimit && p < end) {
            byte b = s[p];
            int kind, length;
            if (b >= 0) {
                kind = ASCII[b];
                length = 1;
            } else {
                int step = Utf8.decode(s, p, end);
                kind = kind(Utf8.codePoint(step));
                length = Utf8.length(step);
            }
            if (afterLetter && kind == FOLLOWS_CUT) return p;
            afterLetter = kind == LETTER;
            p += length;
        }
        return -1;
    }

    private static byte kind(int cp) {
        if (cp == '\'') return OTHER;
        if (cp > Character.MAX_CODE_POINT) return FOLLOWS_CUT; // an invalid byte
        return switch (Character.getType(cp)) {
            case Character.UPPERCASE_LETTER, Character.LOWERCASE_LETTER, Character.TITLECASE_LETTER,
                 Character.MODIFIER_LETTER, Character.OTHER_LETTER -> LETTER;
            case Character.NON_SPACING_MARK, Character.ENCLOSING_MARK, Character.COMBINING_SPACING_MARK -> OTHER;
            default -> FOLLOWS_CUT;
        };
    }
}
