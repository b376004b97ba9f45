package dev.anvil.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingRegistry;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Identical ids to jtokkit (an in-JVM reimplementation of tiktoken, itself checked against tiktoken) on
 * more than 10 MB of varied real text: 11 Europarl languages, Java sources, Shakespeare, e-mails with
 * headers and HTML, and generated stress text with emoji, astral characters and long whitespace runs.
 */
class JtokkitExactnessTest {
    static List<RealText.Document> docs;
    static final EncodingRegistry REGISTRY = Encodings.newDefaultEncodingRegistry();

    @BeforeAll
    static void load() {
        docs = RealText.mix();
        assertThat(RealText.totalBytes(docs)).isGreaterThan(10L << 20);
    }

    @ParameterizedTest
    @ValueSource(strings = {"cl100k_base", "o200k_base", "r50k_base", "p50k_base"})
    void sameIdsAsJtokkit(String name) {
        Encoding reference = REGISTRY.getEncoding(name).orElseThrow();
        BpeTokenizer ours = dev.anvil.tokenizer.Encodings.get(name);
        long tokens = 0;
        for (RealText.Document d : docs) {
            int[] expected = reference.encodeOrdinary(d.text()).toArray();
            int[] actual = ours.encodeOrdinary(d.text());
            if (!java.util.Arrays.equals(expected, actual)) {
                assertThat(actual).as("%s on %s", name, d.source()).containsExactly(expected);
            }
            assertThat(new String(ours.decodeBytes(actual), StandardCharsets.UTF_8)).isEqualTo(d.text());
            tokens += actual.length;
        }
        assertThat(tokens).isGreaterThan(1_000_000);
    }
}
