package dev.anvil.data.filter;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Word and sentence splitting for the quality rules. Like the Treebank tokenizer the published
 * rules were tuned with, punctuation runs are tokens of their own ({@code "end."} → {@code end}, {@code .}),
 * while hyphenated words and apostrophes inside words stay whole.
 */
public final class TextWords {
    private static final Pattern TOKEN = Pattern.compile("[\\p{L}\\p{M}\\p{N}_]+(?:[-'’][\\p{L}\\p{M}\\p{N}_]+)*|[^\\p{L}\\p{M}\\p{N}_\\s]+");
    /** A sentence ends at terminal punctuation followed by whitespace, or at the end of the text. */
    private static final Pattern SENTENCE_END = Pattern.compile("[.!?。！？…]+[\"'”’)\\]]*(?=\\s|$)");

    /** Characters that end a sentence in the scripts we expect (Latin, CJK, Devanagari, Arabic, ...). */
    public static final String TERMINAL_PUNCTUATION = ".!?。！？．｡…؟۔।॥።፧፨\u203C\u2047\u2048\u2049\uFE52\uFE56\uFE57";

    private TextWords() {}

    public static List<String> words(String text) {
        List<String> out = new ArrayList<>();
        Matcher m = TOKEN.matcher(text);
        while (m.find()) out.add(m.group());
        return out;
    }

    /** True when every character of the token is punctuation or a symbol (no letter or digit). */
    public static boolean isSymbolToken(String token) {
        for (int i = 0; i < token.length(); i++) if (Character.isLetterOrDigit(token.charAt(i))) return false;
        return true;
    }

    public static boolean hasLetter(String token) {
        for (int i = 0; i < token.length(); ) {
            int cp = token.codePointAt(i);
            if (Character.isLetter(cp)) return true;
            i += Character.charCount(cp);
        }
        return false;
    }

    public static int countSentences(String text) {
        if (text.isBlank()) return 0;
        Matcher m = SENTENCE_END.matcher(text);
        int count = 0;
        int last = 0;
        while (m.find()) {
            if (!text.substring(last, m.start()).isBlank()) count++;
            last = m.end();
        }
        if (!text.substring(last).isBlank()) count++;
        return count;
    }

    /** Lines of {@code text} split like Python's {@code str.splitlines()} on \n, \r\n and \r. */
    public static String[] lines(String text) {
        if (text.isEmpty()) return new String[0];
        String[] parts = text.split("\r\n|\r|\n", -1);
        if (parts.length > 0 && parts[parts.length - 1].isEmpty()) return java.util.Arrays.copyOf(parts, parts.length - 1);
        return parts;
    }

    public static int count(String text, String needle) {
        int n = 0;
        for (int i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + needle.length())) n++;
        return n;
    }
}
