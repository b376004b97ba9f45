package dev.anvil.tokenizer.pretokenize;

/**
 * A hand-written scanner equivalent to GPT-2's regex (also r50k_base and p50k_base)
 * <pre>
 * 's|'t|'re|'ve|'m|'ll|'d | ' '?\p{L}+ | ' '?\p{N}+ | ' '?[^\s\p{L}\p{N}]+ | \s+(?!\S) | \s+
 * </pre>
 * tried left to right at each position. Contractions are case-sensitive here. For a whitespace run
 * [i, j), {@code \s+(?!\S)} takes it whole at the end of the text and otherwise all but its last
 * character, and {@code \s+} is left with a single character before a non-space.
 */
final class Gpt2PreTokenizer implements PreTokenizer {

    @Override
    public String pattern() {
        return SplitPattern.GPT2.regex();
    }

    @Override
    public void split(byte[] s, int start, int end, PieceSink sink) {
        int i = start;
        while (i < end) {
            byte b = s[i];
            if (b == '\'' && i + 1 < end) {
                int m = contraction(s, i + 1, end);
                if (m > 0) {
                    sink.accept(i, i + 1 + m);
                    i += 1 + m;
                    continue;
                }
            }
            int here = CharClass.at(s, i, end);
            int cls = here & 0xFF, next = i + (here >>> 8);
            int runClass = -1, runStart = next;
            if (cls < CharClass.SPACE) {
                runClass = cls;
            } else if (b == ' ' && next < end) {
                int nextCls = CharClass.at(s, next, end) & 0xFF;
                if (nextCls < CharClass.SPACE) runClass = nextCls;
            }
            if (runClass >= 0) {
                int j = Cl100kPreTokenizer.endOfRun(s, runStart, end, runClass);
                sink.accept(i, j);
                i = j;
                continue;
            }
            int j = i, lastCharStart = i;
            while (j < end) {
                int c = CharClass.at(s, j, end);
                if ((c & 0xFF) < CharClass.SPACE) break;
                lastCharStart = j;
                j += c >>> 8;
            }
            int pieceEnd = (j == end || lastCharStart == i) ? j : lastCharStart;
            sink.accept(i, pieceEnd);
            i = pieceEnd;
        }
    }

    private static int contraction(byte[] s, int p, int end) {
        byte c = s[p];
        if (c == 's' || c == 't' || c == 'm' || c == 'd') return 1;
        if (p + 1 < end) {
            byte c2 = s[p + 1];
            if ((c == 'r' && c2 == 'e') || (c == 'v' && c2 == 'e') || (c == 'l' && c2 == 'l')) return 2;
        }
        return 0;
    }
}
