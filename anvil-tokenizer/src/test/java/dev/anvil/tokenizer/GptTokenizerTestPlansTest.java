package dev.anvil.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The golden cases of npm gpt-tokenizer's data/TestPlans.txt (ids produced by tiktoken itself), fetched by
 * the build into target/gpt-tokenizer/ (src/test/scripts/fetch-gpt-tokenizer-test-plans.sh).
 */
class GptTokenizerTestPlansTest {
    record Case(String encoding, String sample, int[] expected) {}

    static List<Case> cases() throws IOException {
        Path file = Path.of("target/gpt-tokenizer/TestPlans.txt");
        assertThat(file).as("the build fetches TestPlans.txt with npm (generate-test-resources); run ./mvnw test with npm available").exists();
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        List<Case> cases = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            if (!lines.get(i).startsWith("EncodingName: ")) continue;
            String encoding = lines.get(i).substring("EncodingName: ".length()).trim();
            String sample = lines.get(i + 1).substring("Sample: ".length());
            String encoded = lines.get(i + 2).substring("Encoded: ".length()).trim();
            String body = encoded.substring(1, encoded.length() - 1).trim();
            int[] ids = body.isEmpty() ? new int[0] : Arrays.stream(body.split(",")).map(String::trim).mapToInt(Integer::parseInt).toArray();
            cases.add(new Case(encoding, sample, ids));
            i += 2;
        }
        return cases;
    }

    @Test
    void everyGoldenCaseEncodesToTiktokensIds() throws IOException {
        List<Case> cases = cases();
        assertThat(cases).hasSizeGreaterThan(300);
        for (Case c : cases) {
            BpeTokenizer tokenizer = Encodings.get(c.encoding());
            assertThat(tokenizer.encode(c.sample())).as("%s: %s", c.encoding(), c.sample()).containsExactly(c.expected());
            assertThat(tokenizer.decode(c.expected())).as("decode %s: %s", c.encoding(), c.sample()).isEqualTo(c.sample());
        }
        assertThat(cases.stream().map(Case::encoding).distinct()).contains("r50k_base", "p50k_base", "p50k_edit", "cl100k_base", "o200k_base");
    }
}
