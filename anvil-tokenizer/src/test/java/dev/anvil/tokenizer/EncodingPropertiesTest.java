package dev.anvil.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

class EncodingPropertiesTest {
    static final List<String> NAMES = List.of("cl100k_base", "o200k_base", "r50k_base");

    @Provide
    Arbitrary<String> unicode() {
        // Any code point except surrogates, often from the astral planes, with runs of spaces and newlines.
        Arbitrary<Integer> cp = Arbitraries.oneOf(
                Arbitraries.integers().between(0, 0xD7FF),
                Arbitraries.integers().between(0xE000, 0x10FFFF),
                Arbitraries.integers().between(0x1F300, 0x1FAFF),
                Arbitraries.of((int) ' ', (int) '\n', (int) 'a', (int) '\''));
        return cp.list().ofMaxSize(60).map(l -> {
            StringBuilder sb = new StringBuilder();
            l.forEach(sb::appendCodePoint);
            return sb.toString();
        });
    }

    @Property(tries = 1500)
    void decodeOfEncodeIsTheText(@ForAll("unicode") String text) {
        for (String name : NAMES) {
            BpeTokenizer t = Encodings.get(name);
            assertThat(t.decode(t.encodeOrdinary(text))).isEqualTo(text);
        }
    }

    @Property(tries = 1500)
    void anyBytesRoundTripAtByteLevel(@ForAll byte[] bytes) {
        for (String name : NAMES) {
            BpeTokenizer t = Encodings.get(name);
            assertThat(t.decodeBytes(t.encodeOrdinary(bytes))).isEqualTo(bytes);
        }
    }

    @Test
    void stringDecodeReplacesInvalidUtf8AndByteDecodeKeepsIt() {
        BpeTokenizer t = Encodings.get("cl100k_base");
        byte[] bytes = {'a', (byte) 0xE2, (byte) 0x82, 'b', (byte) 0xFF};
        int[] ids = t.encodeOrdinary(bytes);
        assertThat(t.decodeBytes(ids)).isEqualTo(bytes);
        assertThat(t.decode(ids)).isEqualTo("a\uFFFDb\uFFFD");
        // A lone surrogate in a Java string is encoded like tiktoken does a Python one: as U+FFFD.
        assertThat(t.encodeOrdinary("x\uD800y")).isEqualTo(t.encodeOrdinary("x\uFFFDy"));
    }

    @Test
    void specialTokensFollowTiktokensPolicy() {
        BpeTokenizer t = Encodings.get("cl100k_base");
        String text = "hello <|endoftext|> world";
        assertThatThrownBy(() -> t.encode(text)).isInstanceOf(DisallowedSpecialTokenException.class)
                .hasMessageContaining("<|endoftext|>").hasMessageContaining("not allowed");
        assertThat(t.encode(text, Set.of("<|endoftext|>"))).containsExactly(15339, 220, 100257, 1917);
        assertThat(t.encodeOrdinary(text)).containsExactly(15339, 83739, 8862, 728, 428, 91, 29, 1917);
        // Not allowed and not disallowed: encoded as text.
        assertThat(t.encode(text, Set.of(), Set.of())).isEqualTo(t.encodeOrdinary(text));
        assertThat(t.encode("a<|fim_prefix|>b<|endoftext|>", t.allSpecialTokens())).containsExactly(64, 100258, 65, 100257);
        assertThatThrownBy(() -> t.encode(text, Set.of("<|nope|>"))).hasMessageContaining("not a special token");
        assertThat(t.tokenBytes(100257)).isEqualTo("<|endoftext|>".getBytes(StandardCharsets.UTF_8));
        assertThat(t.tokenId(" world".getBytes(StandardCharsets.UTF_8))).isEqualTo(1917);
        assertThatThrownBy(() -> t.decode(new int[] {100256})).hasMessageContaining("100256");
    }

    @Test
    void batchAndParallelEncodingMatchSequential() {
        BpeTokenizer t = Encodings.get("cl100k_base");
        List<RealText.Document> docs = RealText.europarl(2L << 20, 1 << 14);
        List<String> texts = docs.stream().map(RealText.Document::text).toList();
        List<int[]> batch = t.encodeBatch(texts, 2);
        StringBuilder all = new StringBuilder();
        for (int i = 0; i < texts.size(); i++) {
            assertThat(batch.get(i)).isEqualTo(t.encodeOrdinary(texts.get(i)));
            all.append(texts.get(i));
        }
        byte[] utf8 = all.toString().getBytes(StandardCharsets.UTF_8);
        assertThat(t.encodeOrdinaryParallel(utf8, 2)).isEqualTo(t.encodeOrdinary(utf8));
        for (String name : List.of("o200k_base", "r50k_base")) {
            BpeTokenizer other = Encodings.get(name);
            assertThat(other.encodeOrdinaryParallel(utf8, 3)).isEqualTo(other.encodeOrdinary(utf8));
        }
    }

    @Test
    void longWhitespaceAndRepeatedCharactersUseTheHeapMergeCorrectly() {
        BpeTokenizer t = Encodings.get("cl100k_base");
        com.knuddels.jtokkit.api.Encoding ref = com.knuddels.jtokkit.Encodings.newDefaultEncodingRegistry()
                .getEncoding(com.knuddels.jtokkit.api.EncodingType.CL100K_BASE);
        for (String s : List.of(" ".repeat(10_000) + "x", "a".repeat(5000), "!@".repeat(3000), "\n".repeat(777),
                "ab".repeat(2000), "😀".repeat(500), "0123456789abcdef".repeat(300).replaceAll("[0-9]", "Q"))) {
            assertThat(t.encodeOrdinary(s)).isEqualTo(ref.encodeOrdinary(s).toArray());
        }
    }
}
