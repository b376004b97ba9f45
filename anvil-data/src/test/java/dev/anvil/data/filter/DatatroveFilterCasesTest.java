package dev.anvil.data.filter;

import dev.anvil.data.Document;
import dev.anvil.data.DocumentStep;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The cases of datatrove's tests/pipeline/filters/test_filters.py for the Gopher, C4 and FineWeb
 * filters, with the same pass/fail and removal reason per case.
 */
class DatatroveFilterCasesTest {
    static final String TEXT_LF_1 = "I wish it need not have happened in my time,' said Frodo. 'So do I,' said Gandalf, 'and so do all who live to "
            + "see such times. But that is not for them to decide. All we have to decide is what to do with the time that is "
            + "given us.'";

    private static Document doc(String text) {
        return new Document("0", text, Map.of("url", "https://example.com"));
    }

    private static void assertRemoved(DocumentStep step, String text, String reason) {
        DocumentStep.StepResult r = step.apply(doc(text));
        assertThat(r.removalReason()).as("%s on %s", step.name(), text.length() > 60 ? text.substring(0, 60) + "..." : text).isEqualTo(reason);
    }

    private static void assertKept(DocumentStep step, String text) {
        assertThat(step.apply(doc(text)).removalReason()).as("%s should keep", step.name()).isNull();
    }

    @Test
    void gopherRepetition() {
        GopherRepetitionFilter f = GopherRepetitionFilter.defaults();
        assertRemoved(f, "I am your father.\n".repeat(4), "dup_line_frac");
        assertRemoved(f, "I am your father.\n\n".repeat(4), "dup_para_frac");
        assertRemoved(f, "I am groot.\n\n" + "You are a wizard.\n\n" + "I am your father.\n\n" + ("x".repeat(30) + ".\n\n").repeat(2), "dup_para_char_frac");
        assertRemoved(f, "I am groot.\n" + "You are a wizard.\n" + "I am your father.\n" + ("x".repeat(40) + ".\n").repeat(2), "dup_line_char_frac");
        assertRemoved(f, "I am Frank, I am Frank, I am Frank", "top_2_gram");
        assertRemoved(f, "I am Frank, you are Jhon. I am Frank. I am Frank you are Jhon", "top_3_gram");
        assertRemoved(f, "I am a solo traveller ".repeat(4) + TEXT_LF_1, "duplicated_5_n_grams");
    }

    @Test
    void gopherQuality() {
        GopherQualityFilter d = GopherQualityFilter.defaults();
        GopherQualityFilter f = new GopherQualityFilter(10, 1000, d.minAvgWordLength(), d.maxAvgWordLength(), d.maxSymbolWordRatio(),
                d.maxBulletLinesRatio(), d.maxEllipsisLinesRatio(), d.minAlphaWordsRatio(), d.minStopWords(), d.stopWords());
        assertRemoved(f, "I am too small...", "gopher_short_doc");
        assertRemoved(f, "I am ".repeat(20), "gopher_below_avg_threshold");
        assertRemoved(f, "interconnection ".repeat(20), "gopher_above_avg_threshold");
        assertRemoved(f, "# comment ".repeat(20), "gopher_too_many_hashes");
        assertRemoved(f, "... comment ".repeat(20), "gopher_too_many_ellipsis");
        assertRemoved(f, "the ./!*?<><> apple <?////> orange  ++ interconnection !<>??? have".repeat(20), "gopher_below_alpha_threshold");
        assertKept(f, TEXT_LF_1);
    }

    @Test
    void c4Quality() {
        C4QualityFilter c4 = C4QualityFilter.defaults();
        assertKept(c4, """
                This is a well-written paragraph with several sentences.
                The content continues with more good information here.
                Another important point is being made in this line.
                We can see that this document has quality content.
                Finally, the conclusion wraps everything up nicely.
                An additional sentence to ensure we pass the threshold.""");
        assertRemoved(c4, """
                This is a sentence with lorem ipsum dolor sit amet.
                Another sentence with proper punctuation.
                More content to fill out the document.
                Even more content is needed to pass the check.
                The final sentence of the document.""", "lorem_ipsum");
        assertRemoved(c4, """
                This is some code with a { bracket.
                Another sentence follows this one.
                More content to fill out the document.
                Even more content is needed to pass.
                The final sentence of the document.""", "curly_bracket");
        assertRemoved(c4, "Just one sentence.", "too_few_sentences");

        C4QualityFilter noMinimums = new C4QualityFilter(true, true, -1, -1, 1000, true, true, true, true);
        DocumentStep.StepResult r = noMinimums.apply(doc("This site uses cookies for tracking.\nAnother valid line here today."));
        assertThat(r.document().text()).doesNotContain("cookies").isEqualTo("Another valid line here today.");
    }

    @Test
    void c4LineRulesRewriteText() {
        C4QualityFilter c4 = C4QualityFilter.defaults();
        String text = "Menu\nPlease enable Javascript to view this page.\nWikipedia says this [1] is fine.\nOne. Two. Three. Four. Five.\nAnd then it trailed off...";
        DocumentStep.StepResult r = c4.apply(doc(text));
        assertThat(r.document().text()).isEqualTo("Wikipedia says this  is fine.\nOne. Two. Three. Four. Five.");
    }

    @Test
    void fineWebQuality() {
        FineWebQualityFilter d = FineWebQualityFilter.defaults();
        assertRemoved(d, "", "empty");
        assertRemoved(new FineWebQualityFilter(0.5, false, 0.67, 30, 0.01, 0.3),
                "No punctuation here\nAnother line without any\nStill nothing", "line_punct_ratio");
        assertRemoved(new FineWebQualityFilter(0.0, false, 0.5, 30, 0.01, 0.3), "hi.\nbye.\nok.\nno.\nyes.", "short_line_ratio");
        assertKept(d, """
                This is a well-written paragraph that ends with proper punctuation.
                The content here is substantial and has meaningful information.
                Quality filtering ensures that only the best documents pass through.
                Each line here is long enough and ends with a terminal punctuation mark.
                This document should pass all the quality checks applied by the filter.""");
        DocumentStep.StepResult list = new FineWebQualityFilter(0.12, false, 0.67, 30, 0.01, 0.1).apply(doc(String.join("\n", java.util.Collections.nCopies(50, "a"))));
        assertThat(list.kept()).isFalse();
    }

    @Test
    void stopWordsAreConfigurable() {
        GopherQualityFilter d = GopherQualityFilter.defaults();
        GopherQualityFilter german = new GopherQualityFilter(10, 1000, 3.0, 10.0, 0.1, 0.9, 0.3, 0.8, 2, Set.of("der", "die", "das", "und"));
        String text = "Der Hund und die Katze spielen im Garten, das ist schön und gut für alle Beteiligten hier.";
        assertKept(german, text);
        assertRemoved(new GopherQualityFilter(10, 1000, 3.0, 10.0, 0.1, 0.9, 0.3, 0.8, 2, d.stopWords()), text, "gopher_enough_stop_words");
    }
}
