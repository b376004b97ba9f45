package dev.anvil.tokenizer.pretokenize;

/**
 * A hand-written scanner equivalent to the cl100k_base / Llama 3 regex
 * <pre>
 * (?i:'s|'t|'re|'ve|'m|'ll|'d) | [^\r\n\p{L}\p{N}]?\p{L}+ | \p{N}{1,3} | ' '?[^\s\p{L}\p{N}]+[\r\n]*
 *   | \s*[\r\n]+ | \s+(?!\S) | \s+
 * </pre>
 * tried left to right at each position (leftmost-first, as in tiktoken). The regex's backtracking reduces
 * to three facts about a whitespace run [i, j): {@code \s*[\r\n]+} ends just after the run's last newline;
 * {@code \s+(?!\S)} takes the whole run at the end of the text and otherwise all but its last character;
 * {@code \s+} is left with a single whitespace character before a non-space. The tests compare this
 * scanner with {@link RegexPreTokenizer} on real and random text.
 */
final class Cl100kPreTokenizer implements PreTokenizer {
    private final String regex;

    Cl100kPreTokenizer(String regex) {
        this.regex = regex;
    }

    @Override
    public String pattern() {
        return regex;
    }

    @Override
    public void split(byte[] s, int start, int end, PieceSink sink) {
        int i = start;
        while (i < end) {
            if (s[i] == '\'' && i + 1 < end) {
                int m = contraction(s, i + 1, end);
                if (m > 0) {
                    sink.accept(i, i + 1 + m);
                    i += 1 + m;
                    continue;
                }
            }
            int here = CharClass.at(s, i, end);
            int cls = here & 0xFF, next = i + (here >>> 8);
            if (cls == CharClass.LETTER) {
                int j = endOfRun(s, next, end, CharClass.LETTER);
                sink.accept(i, j);
                i = j;
                continue;
            }
            if (cls == CharClass.NUMBER) {
                int j = next;
                for (int k = 1; k < 3 && j < end; k++) {
                    int c = CharClass.at(s, j, end);
                    if ((c & 0xFF) != CharClass.NUMBER) break;
                    j += c >>> 8;
                }
                sink.accept(i, j);
                i = j;
                continue;
            }
            int nextCls = next < end ? CharClass.at(s, next, end) & 0xFF : -1;
            if (cls != CharClass.NEWLINE && nextCls == CharClass.LETTER) { // [^\r\n\p{L}\p{N}]\p{L}+
                int j = endOfRun(s, next, end, CharClass.LETTER);
                sink.accept(i, j);
                i = j;
                continue;
            }
            if (cls == CharClass.OTHER || (s[i] == ' ' && nextCls == CharClass.OTHER)) { // ' '?[^\s\p{L}\p{N}]+[\r\n]*
                int j = endOfRun(s, cls == CharClass.OTHER ? next : next, end, CharClass.OTHER);
                while (j < end && (s[j] == '\r' || s[j] == '\n')) j++;
                sink.accept(i, j);
                i = j;
                continue;
            }
            // A whitespace run [i, j): find its last newline and the start of its last character.
            int j = i, lastNewlineEnd = -1, lastCharStart = i;
            while (j < end) {
                int c = CharClass.at(s, j, end);
                int k = c & 0xFF;
                if (k < CharClass.SPACE) break;
                lastCharStart = j;
                j += c >>> 8;
                if (k == CharClass.NEWLINE) lastNewlineEnd = j;
            }
            int pieceEnd;
            if (lastNewlineEnd > 0) pieceEnd = lastNewlineEnd;          // \s*[\r\n]+
            else if (j == end || lastCharStart == i) pieceEnd = j;      // \s+(?!\S) at the end, or \s+ of one char
            else pieceEnd = lastCharStart;                               // \s+(?!\S) leaving one space for the next word
            sink.accept(i, pieceEnd);
            i = pieceEnd;
        }
    }

    /** Length after the apostrophe of a case-insensitive 's 't 're 've 'm 'll 'd (ſ folds to s), or 0. */
    static int contraction(byte[] s, int p, int end) {
        int c = s[p] | 0x20;
        if (c == 's' || c == 't' || c == 'm' || c == 'd') return 1;
        if ((s[p] & 0xFF) == 0xC5 && p + 1 < end && (s[p + 1] & 0xFF) == 0xBF) return 2; // U+017F ſ
        if (p + 1 < end) {
            int c2 = s[p + 1] | 0x20;
            if ((c == 'r' && c2 == 'e') || (c == 'v' && c2 == 'e') || (c == 'l' && c2 == 'l')) return 2;
        }
        return 0;
    }

    /** The end of the run of characters of class {@code cls} starting at {@code p}. */
    static int endOfRun(byte[] s, int p, int end, int cls) {
        while (p < end) {
            int c = CharClass.at(s, p, end);
            if ((c & 0xFF) != cls) break;
            p += c >>> 8;
        }
        return p;
    }
}
