package dev.anvil.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CharTokenizerTest {
    @Test
    void vocabularyIsTheSortedCharactersSeenAsInNanoGptShakespeareChar(@TempDir Path dir) throws IOException {
        String text = "First Citizen:\nBefore we proceed any further, hear me speak.\n😀";
        CharTokenizer t = CharTokenizer.fitCharacters(text);
        // nanoGPT: chars = sorted(list(set(data))); stoi = {ch: i}
        assertThat(t.encode("\n")).containsExactly(0);
        assertThat(t.encode(" ")).containsExactly(1);
        assertThat(t.decode(t.encode(text))).isEqualTo(text);
        assertThat(t.vocabSize()).isEqualTo((int) text.codePoints().distinct().count());
        assertThatThrownBy(() -> t.encode("Z")).hasMessageContaining("U+5A");
        t.save(dir.resolve("chars.json"));
        assertThat(CharTokenizer.load(dir.resolve("chars.json")).encode(text)).isEqualTo(t.encode(text));
    }

    @Test
    void byteLevelCoversEverything() {
        CharTokenizer t = CharTokenizer.bytes();
        assertThat(t.vocabSize()).isEqualTo(256);
        assertThat(t.encode("é")).containsExactly(0xC3, 0xA9);
        assertThat(t.decode(t.encode("naïve 😀"))).isEqualTo("naïve 😀");
    }
}
