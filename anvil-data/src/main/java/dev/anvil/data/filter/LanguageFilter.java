package dev.anvil.data.filter;

import com.github.pemistahl.lingua.api.IsoCode639_1;
import com.github.pemistahl.lingua.api.Language;
import com.github.pemistahl.lingua.api.LanguageDetector;
import com.github.pemistahl.lingua.api.LanguageDetectorBuilder;
import dev.anvil.data.Document;
import dev.anvil.data.DocumentStep;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Language identification with Lingua (n-gram models, no network). Each document gets
 * {@code language} (ISO 639-1) and {@code language_score} metadata; it is removed when the best
 * language's confidence is below {@code minConfidence} ({@code language_low_confidence}) or when
 * {@code keep} is non-empty and does not contain it ({@code language_not_kept}).
 *
 * <p>Lingua's models are large: restricting {@code candidates} and the low-accuracy (trigram-only)
 * mode keep start-up and heap small. Only the first {@link #MAX_CHARS} characters are looked at:
 * Lingua's cost grows with the text and was three quarters of the default pipeline's time at 2,000
 * characters (a JFR profile on Europarl); EuroparlLanguageAccuracyTest checks the accuracy at this
 * prefix for texts of 200+ characters.
 * Detectors are built once per configuration and shared, since Lingua's detector is thread-safe.
 */
public record LanguageFilter(Set<String> candidates, Set<String> keep, double minConfidence, boolean lowAccuracy) implements DocumentStep {
    /**
     * Widely used languages, with every official EU language Lingua knows (Europarl holds 21 of them): a
     * language missing here is forced onto a neighbour (without them Lithuanian came out as Swedish,
     * Latvian as Dutch, Slovak and Slovene as Czech, Estonian as Finnish, Bulgarian as Russian).
     */
    public static final Set<String> DEFAULT_CANDIDATES = Set.of("en", "de", "fr", "es", "it", "pt", "nl", "sv", "da", "fi", "el",
            "pl", "cs", "ru", "uk", "tr", "ar", "zh", "ja", "ko", "hi", "id", "vi", "ro", "hu", "nb",
            "bg", "hr", "sk", "sl", "et", "lv", "lt", "ga");
    static final int MAX_CHARS = 500;
    private static final Map<LanguageFilter, LanguageDetector> DETECTORS = new ConcurrentHashMap<>();

    public LanguageFilter {
        candidates = Set.copyOf(new TreeSet<>(candidates == null || candidates.isEmpty() ? DEFAULT_CANDIDATES : candidates));
        keep = keep == null ? Set.of() : Set.copyOf(keep);
        if (minConfidence < 0 || minConfidence > 1) throw new IllegalArgumentException("language minConfidence must be in [0, 1], got " + minConfidence);
        for (String code : candidates) language(code);
        for (String code : keep) {
            if (!candidates.contains(code)) throw new IllegalArgumentException("language '" + code + "' is kept but not among the candidates " + new TreeSet<>(candidates));
        }
    }

    public static LanguageFilter defaults() {
        return new LanguageFilter(DEFAULT_CANDIDATES, Set.of(), 0.65, true);
    }

    @Override
    public String name() {
        return "language";
    }

    /** The detected language's ISO 639-1 code and its confidence, or ("unknown", 0). */
    public Map.Entry<String, Double> detect(String text) {
        String sample = text.length() > MAX_CHARS ? text.substring(0, MAX_CHARS) : text;
        SortedMap<Language, Double> conf = detector().computeLanguageConfidenceValues(sample);
        if (conf.isEmpty()) return Map.entry("unknown", 0.0);
        // The map is sorted by descending confidence.
        Language best = conf.firstKey();
        return Map.entry(best.getIsoCode639_1().name().toLowerCase(Locale.ROOT), conf.get(best));
    }

    @Override
    public StepResult apply(Document doc) {
        Map.Entry<String, Double> lang = detect(doc.text());
        double score = Math.round(lang.getValue() * 1e4) / 1e4;
        Document tagged = doc.withMetadata("language", lang.getKey()).withMetadata("language_score", score);
        if (lang.getValue() < minConfidence) return StepResult.remove("language_low_confidence");
        if (!keep.isEmpty() && !keep.contains(lang.getKey())) return StepResult.remove("language_not_kept");
        return StepResult.keep(tagged);
    }

    private LanguageDetector detector() {
        return DETECTORS.computeIfAbsent(this, f -> {
            List<Language> langs = f.candidates.stream().sorted().map(LanguageFilter::language).toList();
            LanguageDetectorBuilder b = LanguageDetectorBuilder.fromLanguages(langs.toArray(Language[]::new));
            if (f.lowAccuracy) b = b.withLowAccuracyMode();
            return b.build();
        });
    }

    private static Language language(String code) {
        try {
            return Language.getByIsoCode639_1(IsoCode639_1.valueOf(code.toUpperCase(Locale.ROOT)));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown language code '" + code + "' (expected ISO 639-1, e.g. en)");
        }
    }
}
