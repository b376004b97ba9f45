package dev.anvil.data.filter;

import dev.anvil.data.Document;
import dev.anvil.data.DocumentStep;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Gopher's document quality rules (Rae et al. 2021, "Scaling Language Models", appendix A1.1),
 * with the thresholds published there and used by datatrove. Any threshold may be null to switch
 * that rule off. Removal reasons match datatrove's ({@code gopher_short_doc}, ...).
 */
public record GopherQualityFilter(Integer minDocWords, Integer maxDocWords, Double minAvgWordLength,
                                  Double maxAvgWordLength, Double maxSymbolWordRatio, Double maxBulletLinesRatio,
                                  Double maxEllipsisLinesRatio, Double minAlphaWordsRatio, Integer minStopWords,
                                  Set<String> stopWords) implements DocumentStep {
    public static final Set<String> ENGLISH_STOP_WORDS = Set.of("the", "be", "to", "of", "and", "that", "have", "with");

    public static GopherQualityFilter defaults() {
        return new GopherQualityFilter(50, 100_000, 3.0, 10.0, 0.1, 0.9, 0.3, 0.8, 2, ENGLISH_STOP_WORDS);
    }

    @Override
    public String name() {
        return "gopher_quality";
    }

    @Override
    public StepResult apply(Document doc) {
        String text = doc.text();
        List<String> words = TextWords.words(text);
        int nWords = words.size();
        long nonSymbol = 0;
        long nonSymbolChars = 0;
        for (String w : words) {
            if (!TextWords.isSymbolToken(w)) {
                nonSymbol++;
                nonSymbolChars += w.length();
            }
        }
        if (minDocWords != null && nonSymbol < minDocWords) return StepResult.remove("gopher_short_doc");
        if (maxDocWords != null && nonSymbol > maxDocWords) return StepResult.remove("gopher_long_doc");
        double avg = nonSymbol == 0 ? 0 : (double) nonSymbolChars / nonSymbol;
        if (minAvgWordLength != null && avg < minAvgWordLength) return StepResult.remove("gopher_below_avg_threshold");
        if (maxAvgWordLength != null && avg > maxAvgWordLength) return StepResult.remove("gopher_above_avg_threshold");
        if (nWords == 0) return StepResult.remove("gopher_short_doc");
        if (maxSymbolWordRatio != null && (double) TextWords.count(text, "#") / nWords > maxSymbolWordRatio) {
            return StepResult.remove("gopher_too_many_hashes");
        }
        if (maxSymbolWordRatio != null
                && (double) (TextWords.count(text, "...") + TextWords.count(text, "…")) / nWords > maxSymbolWordRatio) {
            return StepResult.remove("gopher_too_many_ellipsis");
        }
        String[] lines = TextWords.lines(text);
        if (lines.length > 0) {
            int bullets = 0;
            int ellipsisEnds = 0;
            for (String line : lines) {
                String l = line.stripLeading();
                if (l.startsWith("•") || l.startsWith("-")) bullets++;
                String r = line.stripTrailing();
                if (r.endsWith("...") || r.endsWith("…")) ellipsisEnds++;
            }
            if (maxBulletLinesRatio != null && (double) bullets / lines.length > maxBulletLinesRatio) {
                return StepResult.remove("gopher_too_many_bullets");
            }
            if (maxEllipsisLinesRatio != null && (double) ellipsisEnds / lines.length > maxEllipsisLinesRatio) {
                return StepResult.remove("gopher_too_many_end_ellipsis");
            }
        }
        if (minAlphaWordsRatio != null) {
            long alpha = words.stream().filter(TextWords::hasLetter).count();
            if ((double) alpha / nWords < minAlphaWordsRatio) return StepResult.remove("gopher_below_alpha_threshold");
        }
        if (minStopWords != null) {
            Set<String> present = new HashSet<>(words);
            present.retainAll(stopWords);
            if (present.size() < minStopWords) return StepResult.remove("gopher_enough_stop_words");
        }
        return StepResult.keep(doc);
    }
}
