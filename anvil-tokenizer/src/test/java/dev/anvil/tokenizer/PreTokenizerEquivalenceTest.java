package dev.anvil.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.anvil.tokenizer.pretokenize.PreTokenizer;
import dev.anvil.tokenizer.pretokenize.RegexPreTokenizer;
import dev.anvil.tokenizer.pretokenize.SplitPattern;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/** The hand-written scanners cut exactly where the regexes do (java.util.regex as the reference). */
class PreTokenizerEquivalenceTest {


    static List<String> pieces(PreTokenizer p, byte[] utf8) {
        List<String> out = new ArrayList<>();
        p.split(utf8, 0, utf8.length, (s, e) -> out.add(new String(utf8, s, e - s, StandardCharsets.ISO_8859_1)));
        return out;
    }

    /** The plain regex matches over the Java string (no byte mapping at all), as UTF-8 byte strings. */
    static List<String> regexMatches(String regex, String text) {
        List<String> out = new ArrayList<>();
        Matcher m = Pattern.compile(regex, Pattern.UNICODE_CHARACTER_CLASS).matcher(text);
        while (m.find()) out.add(new String(m.group().getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1));
        return out;
    }

    static void assertSameCuts(String text) {
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        for (SplitPattern p : SplitPattern.values()) {
            List<String> expected = regexMatches(p.regex(), text);
            assertThat(pieces(new RegexPreTokenizer(p.regex()), utf8)).as("regex pre-tokenizer %s", p).isEqualTo(expected);
            assertThat(pieces(p.preTokenizer(), utf8)).as("%s on %s", p, text).isEqualTo(expected);
        }
    }

    @Test
    void sameCutsOnRealText() {
        List<RealText.Document> docs = new ArrayList<>(RealText.europarl(2L << 20, 1 << 14));
        docs.addAll(RealText.javaSources());
        docs.addAll(RealText.stress(100, 21));
        for (RealText.Document d : docs) assertSameCuts(d.text());
    }

    @Test
    void edgeCases() {
        for (String s : List.of("", " ", "  ", "a", " a", "  a", "\n", "\n\n", " \n", "\n ", "a \n b", "a  \n\n  b", "x   ", "x \t ",
                "'s", "'S", "'ſ", "'ll", "'LL", "'Ll", "'re'", "'", "''", "a's", "123456789", "1 2", " 12", "\r\n", "\r\r\n",
                "hello\u00A0world", "\u3000x", "!!!\n\n", "?!\r\nfoo", " !", "  !", "\t!", "\u00A0é", "é\u0301", "x\u2028y",
                "<|endoftext|>", "a\u0085b", "\u000B\u000Cz")) {
            assertSameCuts(s);
        }
    }

    @Provide
    Arbitrary<String> mixedText() {
        Arbitrary<String> atoms = Arbitraries.of(" ", "  ", "\n", "\r", "\t", "\u00A0", "\u3000", "'", "s", "S", "ll", "ſ", "a", "Z",
                "é", "\u0301", "1", "٣", "½", "!", ".", "/", "😀", "𝔘", "日", "\u2028", "\u0085", "ǅ", "ʰ", "A", "É", "\u0903", "\u20DD", "re", "VE", "\r\n");
        Arbitrary<String> random = Arbitraries.strings().all().ofMinLength(1).ofMaxLength(3)
                .filter(s -> s.codePoints().noneMatch(cp -> cp >= 0xD800 && cp <= 0xDFFF));
        return Arbitraries.oneOf(atoms, atoms, random).list().ofMaxSize(40).map(l -> String.join("", l));
    }

    @Property(tries = 6000)
    void sameCutsOnRandomText(@ForAll("mixedText") String text) {
        assertSameCuts(text);
    }

    @Property(tries = 1000)
    void invalidUtf8IsCoveredByteExactly(@ForAll byte[] bytes) {
        for (SplitPattern p : SplitPattern.values()) {
            StringBuilder joined = new StringBuilder();
            for (String piece : pieces(p.preTokenizer(), bytes)) {
                assertThat(piece).isNotEmpty();
                joined.append(piece);
            }
            assertThat(joined.toString()).isEqualTo(new String(bytes, StandardCharsets.ISO_8859_1));
            assertThat(pieces(p.preTokenizer(), bytes)).isEqualTo(pieces(new RegexPreTokenizer(p.regex()), bytes));
        }
    }
}
