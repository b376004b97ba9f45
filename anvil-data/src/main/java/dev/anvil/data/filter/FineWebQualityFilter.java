package dev.anvil.data.filter;

import dev.anvil.data.Document;
import dev.anvil.data.DocumentStep;

import java.util.ArrayList;
import java.util.List;

/**
 * FineWeb's additional heuristics (Penedo et al. 2024): remove a document when fewer than 12% of
 * its non-empty lines end in terminal punctuation, when more than 67% of its lines are at most 30
 * characters, when more than 1% of its characters are in duplicated lines, or when it has more
 * than 0.3 newlines per word (a list rather than prose).
 */
public record FineWebQualityFilter(double linePunctThreshold, boolean linePunctExcludeZero, double shortLineThreshold,
                                   int shortLineLength, double charDuplicatesRatio, double newLineRatio) implements DocumentStep {
    public static FineWebQualityFilter defaults() {
        return new FineWebQualityFilter(0.12, false, 0.67, 30, 0.01, 0.3);
    }

    @Override
    public String name() {
        return "fineweb_quality";
    }

    @Override
    public StepResult apply(Document doc) {
        String text = doc.text();
        List<String> lines = new ArrayList<>();
        for (String l : text.split("\n", -1)) if (!l.isBlank()) lines.add(l);
        if (lines.isEmpty()) return StepResult.remove("empty");
        long punct = lines.stream().filter(FineWebQualityFilter::endsWithTerminal).count();
        double ratio = (double) punct / lines.size();
        if (ratio < linePunctThreshold && !(ratio == 0 && linePunctExcludeZero)) return StepResult.remove("line_punct_ratio");
        long shortLines = lines.stream().filter(l -> l.length() <= shortLineLength).count();
        if ((double) shortLines / lines.size() > shortLineThreshold) return StepResult.remove("short_line_ratio");
        long dupChars = GopherRepetitionFilter.duplicates(lines.toArray(String[]::new))[1];
        int nonNewline = text.length() - TextWords.count(text, "\n");
        if (nonNewline > 0 && (double) dupChars / nonNewline > charDuplicatesRatio) return StepResult.remove("char_dup_ratio");
        int words = TextWords.words(text).size();
        int newlines = TextWords.count(text, "\n");
        if (words == 0 || (double) newlines / words > newLineRatio) return StepResult.remove("list_ratio");
        return StepResult.keep(doc);
    }

    private static boolean endsWithTerminal(String line) {
        if (line.isEmpty()) return false;
        int cp = line.codePointBefore(line.length());
        return TextWords.TERMINAL_PUNCTUATION.indexOf(cp) >= 0;
    }
}
