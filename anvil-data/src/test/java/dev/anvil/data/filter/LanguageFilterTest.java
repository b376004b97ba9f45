package dev.anvil.data.filter;

import dev.anvil.data.Document;
import dev.anvil.data.DocumentStep;
import org.junit.jupiter.api.Test;

import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

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
}
