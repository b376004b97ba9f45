package dev.anvil.data.filter;

import dev.anvil.data.Document;
import dev.anvil.data.DocumentStep;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * C4's rules (Raffel et al. 2020, section 2.2, and the reference c4_utils): line by line, drop
 * lines with a word over 1000 characters, lines not ending in terminal punctuation (or ending in
 * an ellipsis), lines under 3 words, lines mentioning javascript and cookie/terms-of-use
 * boilerplate; wikipedia citation marks are removed; the whole document goes when it contains
 * "lorem ipsum" or a curly bracket, or keeps fewer than 5 sentences. The kept lines become the new
 * text. Numeric thresholds &lt; 0 disable their rule.
 */
public record C4QualityFilter(boolean removeCitations, boolean filterNoTerminalPunct, int minNumSentences,
                              int minWordsPerLine, int maxWordLength, boolean filterLoremIpsum,
                              boolean filterJavascript, boolean filterCurlyBracket, boolean filterPolicy) implements DocumentStep {
    private static final Pattern CITATION = Pattern.compile("\\[\\d*]|\\[edit]|\\[citation needed]");
    private static final String[] END_PUNCTUATION = {".", "?", "!", "\"", "'"};
    private static final String[] POLICY = {"terms of use", "privacy policy", "cookie policy", "uses cookies", "use of cookies", "use cookies"};

    public static C4QualityFilter defaults() {
        return new C4QualityFilter(true, true, 5, 3, 1000, true, true, true, true);
    }

    @Override
    public String name() {
        return "c4_quality";
    }

    @Override
    public StepResult apply(Document doc) {
        int sentences = 0;
        List<String> kept = new ArrayList<>();
        for (String raw : TextWords.lines(doc.text())) {
            String line = raw.strip();
            String[] words = line.isEmpty() ? new String[0] : line.split("\\s+");
            if (maxWordLength >= 0 && anyLongerThan(words, maxWordLength)) continue;
            if (removeCitations) line = CITATION.matcher(line).replaceAll("");
            if (filterNoTerminalPunct && (!endsWithAny(line) || line.endsWith("..."))) continue;
            if (words.length < minWordsPerLine) continue;
            String lower = line.toLowerCase(Locale.ROOT);
            if (filterLoremIpsum && lower.contains("lorem ipsum")) return StepResult.remove("lorem_ipsum");
            if (filterJavascript && lower.contains("javascript")) continue;
            if (filterCurlyBracket && line.contains("{")) return StepResult.remove("curly_bracket");
            if (filterPolicy && containsAny(lower)) continue;
            if (minNumSentences >= 0) sentences += TextWords.countSentences(line);
            kept.add(line);
        }
        if (minNumSentences >= 0 && sentences < minNumSentences) return StepResult.remove("too_few_sentences");
        return StepResult.keep(doc.withText(String.join("\n", kept).strip()));
    }

    private static boolean anyLongerThan(String[] words, int max) {
        for (String w : words) if (w.length() > max) return true;
        return false;
    }

    private static boolean endsWithAny(String line) {
        for (String p : END_PUNCTUATION) if (line.endsWith(p)) return true;
        return false;
    }

    private static boolean containsAny(String lower) {
        for (String p : POLICY) if (lower.contains(p)) return true;
        return false;
    }
}
