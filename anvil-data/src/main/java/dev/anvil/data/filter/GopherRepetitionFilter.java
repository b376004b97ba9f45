package dev.anvil.data.filter;

import dev.anvil.data.Document;
import dev.anvil.data.DocumentStep;
import dev.anvil.data.dedup.TextHashes;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Gopher's repetition rules (Rae et al. 2021, table A1): a document is removed when too much of it
 * is repeated lines, paragraphs or n-grams. Fractions are of the document's characters except the
 * line/paragraph count fractions. Thresholds as published: duplicate line and paragraph fraction
 * 0.30, their character fractions 0.20, top 2/3/4-gram character fraction 0.20/0.18/0.16,
 * duplicate 5..10-gram character fraction 0.15 down to 0.10. A null threshold disables its rule.
 */
public record GopherRepetitionFilter(Double dupLineFrac, Double dupParaFrac, Double dupLineCharFrac,
                                     Double dupParaCharFrac, Map<Integer, Double> topNGramCharFrac,
                                     Map<Integer, Double> dupNGramCharFrac) implements DocumentStep {
    private static final Pattern PARAGRAPH_BREAK = Pattern.compile("\n{2,}");
    private static final Pattern LINE_BREAK = Pattern.compile("\n+");

    public static GopherRepetitionFilter defaults() {
        return new GopherRepetitionFilter(0.3, 0.3, 0.2, 0.2,
                Map.of(2, 0.20, 3, 0.18, 4, 0.16),
                Map.of(5, 0.15, 6, 0.14, 7, 0.13, 8, 0.12, 9, 0.11, 10, 0.10));
    }

    @Override
    public String name() {
        return "gopher_repetition";
    }

    @Override
    public StepResult apply(Document doc) {
        String text = doc.text();
        if (text.isEmpty()) return StepResult.remove("empty");
        String[] paragraphs = PARAGRAPH_BREAK.split(text.strip(), -1);
        long[] para = duplicates(paragraphs);
        if (dupParaFrac != null && (double) para[0] / paragraphs.length > dupParaFrac) return StepResult.remove("dup_para_frac");
        if (dupParaCharFrac != null && (double) para[1] / text.length() > dupParaCharFrac) return StepResult.remove("dup_para_char_frac");
        String[] lines = LINE_BREAK.split(text, -1);
        long[] line = duplicates(lines);
        if (dupLineFrac != null && (double) line[0] / lines.length > dupLineFrac) return StepResult.remove("dup_line_frac");
        if (dupLineCharFrac != null && (double) line[1] / text.length() > dupLineCharFrac) return StepResult.remove("dup_line_char_frac");
        NGrams grams = new NGrams(TextWords.words(text));
        if (topNGramCharFrac != null) {
            for (int n : topNGramCharFrac.keySet().stream().sorted().toList()) {
                if (grams.size() < n) continue;
                Map<Long, Integer> counts = new HashMap<>();
                for (int i = 0; i + n <= grams.size(); i++) counts.merge(grams.key(i, n), 1, Integer::sum);
                // Most frequent n-gram (first seen wins ties, as Counter.most_common does), weighted by its length.
                int top = -1;
                int topCount = 0;
                for (int i = 0; i + n <= grams.size(); i++) {
                    int c = counts.get(grams.key(i, n));
                    if (c > topCount) { top = i; topCount = c; }
                }
                // The n-gram joined by spaces, as datatrove measures it.
                if (top >= 0 && (double) (grams.chars(top, n) + n - 1) * topCount / text.length() > topNGramCharFrac.get(n)) {
                    return StepResult.remove("top_" + n + "_gram");
                }
            }
        }
        if (dupNGramCharFrac != null) {
            for (int n : dupNGramCharFrac.keySet().stream().sorted().toList()) {
                if ((double) repeatedNGramChars(grams, n) / text.length() > dupNGramCharFrac.get(n)) {
                    return StepResult.remove("duplicated_" + n + "_n_grams");
                }
            }
        }
        return StepResult.keep(doc);
    }

    /** {count of elements seen before, their total characters}. */
    static long[] duplicates(String[] elements) {
        Set<String> seen = new HashSet<>();
        long dup = 0;
        long chars = 0;
        for (String e : elements) {
            if (!seen.add(e)) {
                dup++;
                chars += e.length();
            }
        }
        return new long[] {dup, chars};
    }

    /**
     * Characters covered by n-grams that repeat an earlier one, scanning left to right and jumping
     * past a repeat so that overlapping occurrences are not counted twice.
     */
    private static long repeatedNGramChars(NGrams grams, int n) {
        Set<Long> seen = new HashSet<>();
        long repeated = 0;
        int i = 0;
        while (i + n <= grams.size()) {
            if (!seen.add(grams.key(i, n))) {
                repeated += grams.chars(i, n); // datatrove joins these n-grams without separator
                i += n;
            } else {
                i++;
            }
        }
        return repeated;
    }

    /**
     * The words of a text as interned ids, so that an n-gram is keyed by a 64-bit hash of its ids
     * instead of a joined string (which made this filter the default pipeline's second hot spot).
     * Equal n-grams always get equal keys; distinct ones collide with probability about 2^-64.
     */
    private static final class NGrams {
        private final int[] ids;
        private final int[] lengths;

        NGrams(List<String> words) {
            ids = new int[words.size()];
            lengths = new int[words.size()];
            Map<String, Integer> interned = new HashMap<>();
            for (int i = 0; i < ids.length; i++) {
                String w = words.get(i);
                Integer id = interned.putIfAbsent(w, interned.size());
                ids[i] = id == null ? interned.size() - 1 : id;
                lengths[i] = w.length();
            }
        }

        int size() {
            return ids.length;
        }

        long key(int from, int n) {
            long h = n;
            for (int j = from; j < from + n; j++) h = h * 0x9E3779B97F4A7C15L + ids[j] + 1;
            return TextHashes.mix(h);
        }

        /** Characters of the n words, without separators. */
        int chars(int from, int n) {
            int c = 0;
            for (int j = from; j < from + n; j++) c += lengths[j];
            return c;
        }
    }
}
