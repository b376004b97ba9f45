package dev.anvil.tokenizer.pretokenize;

import java.nio.CharBuffer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * A pre-tokenizer driven by a regex, with tiktoken's semantics: leftmost-first alternation, Unicode
 * classes ({@code UNICODE_CHARACTER_CLASS}: {@code \s} is White_Space, {@code (?i)} folds Unicode case).
 * Text between matches (which the built-in patterns never leave) becomes its own piece, as in Hugging
 * Face's {@code Split} with {@code Isolated} behaviour, so no byte is ever dropped.
 *
 * <p>The bytes are decoded to UTF-16 with a map back to byte offsets; an invalid byte is given the
 * private-use character U+E000+byte, which like an invalid byte is neither letter, number nor space.
 */
public final class RegexPreTokenizer implements PreTokenizer {
    private final String regex;
    private final Pattern pattern;

    public RegexPreTokenizer(String regex) {
        this.regex = regex;
        try {
            this.pattern = Pattern.compile(regex, Pattern.UNICODE_CHARACTER_CLASS);
        } catch (PatternSyntaxException e) {
            throw new IllegalArgumentException("invalid pre-tokenizer regex: " + e.getMessage(), e);
        }
    }

    @Override
    public String pattern() {
        return regex;
    }

    @Override
    public void split(byte[] utf8, int start, int end, PieceSink sink) {
        char[] chars = new char[end - start];
        int[] byteOffset = new int[end - start + 1];
        int n = 0;
        for (int pos = start; pos < end; ) {
            int step = Utf8.decode(utf8, pos, end);
            int cp = Utf8.codePoint(step), len = Utf8.length(step);
            if (cp == Utf8.INVALID) cp = 0xE000 + (utf8[pos] & 0xFF);
            byteOffset[n] = pos;
            if (cp >= 0x10000) {
                chars[n++] = Character.highSurrogate(cp);
                byteOffset[n] = pos; // a match never ends between the two halves of a pair
                chars[n++] = Character.lowSurrogate(cp);
            } else {
                chars[n++] = (char) cp;
            }
            pos += len;
        }
        byteOffset[n] = end;
        Matcher m = pattern.matcher(CharBuffer.wrap(chars, 0, n));
        int covered = 0;
        while (m.find()) {
            if (m.end() == m.start()) continue; // an empty match carries no text
            if (m.start() > covered) sink.accept(byteOffset[covered], byteOffset[m.start()]);
            sink.accept(byteOffset[m.start()], byteOffset[m.end()]);
            covered = m.end();
        }
        if (covered < n) sink.accept(byteOffset[covered], end);
    }
}
