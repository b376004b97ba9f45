package dev.anvil.tokenizer;

import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Tuple;

/**
 * Generated text rich in what the pre-tokenizer patterns turn on: whitespace runs, newlines before and after
 * spaces, CRLF, tabs, Unicode spaces, digits, apostrophes and contractions, combining marks, emoji and mixed
 * scripts. Shared by the properties of parallel encoding and parallel chunk counting.
 */
public final class PreTokenizerStressText {
    private PreTokenizerStressText() {}

    /** Whitespace the patterns treat specially: runs, newlines before and after spaces, CRLF, tabs, Unicode spaces. */
    public static final List<String> WHITESPACE = List.of(" ", "  ", "   ", "\n", "\n\n", "\n\n\n", "\r\n", "\r\n\r\n", "\r",
            "\t", "\t\t", " \n", "\n ", " \t\n", "\u00A0", "\u3000", "\u2028", "\u0085", "\u2003\u2003", "\u000B", "\f");
    /** Words in several scripts and cases, with marks, contractions and apostrophes. */
    public static final List<String> WORDS = List.of("The", "the", "word", "Hello", "WORLD", "CamelCase", "iPhone", "x", "A", "ſ",
            "ǅ", "ß", "don't", "I'm", "'s", "'S", "'t", "'re", "'ve", "'LL", "'d", "'m", "e\u0301", "n\u0303o", "क्षि", "ไทย",
            "Привет", "мир", "中文", "字符。", "日本語の", "カタカナ", "한국어", "مرحبا", "שלום", "Ελληνικά", "naïve", "ÉCOLE");
    /** Digits, punctuation, lone marks and apostrophes, emoji and astral characters. */
    public static final List<String> OTHERS = List.of("'", "’", "\"", "0", "7", "12", "123", "4567", "3.14", "1,000", "٣", "Ⅻ", "½",
            ".", ",", "!", "?", "...", "/", "//", "(", ")", "-", "--", "_", "#", "@", "$", "+", "\u0301",
            "😀", "👍🏽", "🇩🇪", "👨‍👩‍👧", "𝔘𝔫𝔦", "\uD840\uDC00");

    /** Text made of the fragments above and random code points (no lone surrogates). */
    public static Arbitrary<String> arbitrary() {
        Arbitrary<String> fragment = Arbitraries.frequencyOf(
                Tuple.of(4, Arbitraries.of(WHITESPACE)),
                Tuple.of(4, Arbitraries.of(WORDS)),
                Tuple.of(2, Arbitraries.of(OTHERS)),
                Tuple.of(1, Arbitraries.integers().between(0, 0x10FFFF)
                        .filter(cp -> cp < 0xD800 || cp > 0xDFFF).map(Character::toString)));
        // jqwik shrinks a failing text to few fragments, then to simpler ones.
        return fragment.list().ofMinSize(1).ofMaxSize(80).map(l -> String.join("", l));
    }
}
