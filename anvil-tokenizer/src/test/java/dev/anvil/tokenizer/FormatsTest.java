package dev.anvil.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.anvil.tokenizer.format.Gpt2VocabFormat;
import dev.anvil.tokenizer.format.HuggingFaceTokenizerJson;
import dev.anvil.tokenizer.format.MergeDerivation;
import dev.anvil.tokenizer.format.TiktokenFormat;
import dev.anvil.tokenizer.format.TokenizerFormatException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FormatsTest {
    static final List<RealText.Document> TEXTS = RealText.stress(30, 9);

    static void assertSameEncodings(BpeTokenizer expected, BpeTokenizer actual) {
        assertThat(actual.tokens()).isEqualTo(expected.tokens());
        assertThat(actual.specialTokens()).isEqualTo(expected.specialTokens());
        assertThat(actual.preTokenizer().pattern()).isEqualTo(expected.preTokenizer().pattern());
        for (RealText.Document d : TEXTS) assertThat(actual.encodeOrdinary(d.text())).isEqualTo(expected.encodeOrdinary(d.text()));
    }

    @Test
    void tiktokenFilesRoundTrip(@TempDir Path dir) throws IOException {
        BpeTokenizer cl100k = Encodings.get("cl100k_base");
        TiktokenFormat.write(cl100k, dir.resolve("cl100k.tiktoken"));
        assertThat(dir.resolve("cl100k.tiktoken.json")).exists();
        assertSameEncodings(cl100k, TiktokenFormat.read(dir.resolve("cl100k.tiktoken")));
    }

    @Test
    void tokenizerJsonRoundTrips(@TempDir Path dir) throws IOException {
        for (String name : List.of("o200k_base", "p50k_edit")) {
            TokenizerFiles.save(Encodings.get(name), dir.resolve(name));
            assertSameEncodings(Encodings.get(name), TokenizerFiles.load(dir.resolve(name)));
            assertSameEncodings(Encodings.get(name), TokenizerFiles.load(dir.resolve(name).resolve("tokenizer.tiktoken")));
        }
    }

    @Test
    void gpt2EncoderJsonAndVocabBpeRead(@TempDir Path dir) throws IOException {
        BpeTokenizer r50k = Encodings.get("r50k_base");
        Gpt2VocabFormat.write(r50k, dir.resolve("encoder.json"), dir.resolve("vocab.bpe"));
        List<String> merges = Files.readAllLines(dir.resolve("vocab.bpe"));
        assertThat(merges.get(0)).startsWith("#version");
        assertThat(merges).hasSize(50000 + 1); // GPT-2 has exactly 50,000 merges
        assertThat(merges.get(1)).isEqualTo("Ġ t"); // GPT-2's first merge
        assertSameEncodings(r50k, TokenizerFiles.load(dir));
    }

    @Test
    void derivedMergesOfATrainedVocabularyAreItsTrainingMerges() throws IOException {
        var chunks = new dev.anvil.tokenizer.train.ChunkCounts();
        for (RealText.Document d : RealText.europarl(1L << 19, 1 << 14)) {
            byte[] b = d.text().getBytes(StandardCharsets.UTF_8);
            dev.anvil.tokenizer.pretokenize.SplitPattern.CL100K.preTokenizer().split(b, 0, b.length, (s, e) -> chunks.add(b, s, e - s, 1));
        }
        var trained = dev.anvil.tokenizer.train.BpeTrainer.train(chunks,
                dev.anvil.tokenizer.train.BpeTrainerConfig.of(1500, dev.anvil.tokenizer.pretokenize.SplitPattern.CL100K.preTokenizer()),
                dev.anvil.tokenizer.train.TrainingProgress.NONE);
        List<int[]> derived = MergeDerivation.merges(trained.tokenizer().tokens());
        assertThat(derived).hasSameSizeAs(trained.merges());
        for (int k = 0; k < derived.size(); k++)
            assertThat(new int[] {derived.get(k)[0], derived.get(k)[1]}).as("merge %d", k).containsExactly(trained.merges().get(k));
    }

    @Test
    void malformedRankFilesNameTheLine() {
        String good = "IQ== 0\n";
        assertThatThrownBy(() -> TiktokenFormat.readRanks(stream(good + "IQ==0\n"), "bad.tiktoken"))
                .isInstanceOf(TokenizerFormatException.class).hasMessageContaining("bad.tiktoken, line 2");
        assertThatThrownBy(() -> TiktokenFormat.readRanks(stream(good + "@@@ 1\n"), "bad.tiktoken"))
                .hasMessageContaining("line 2").hasMessageContaining("base64");
        assertThatThrownBy(() -> TiktokenFormat.readRanks(stream(good + "Ig== x1\n"), "bad.tiktoken"))
                .hasMessageContaining("line 2").hasMessageContaining("not an integer");
        assertThatThrownBy(() -> TiktokenFormat.readRanks(stream(good), "short.tiktoken"))
                .hasMessageContaining("short.tiktoken").hasMessageContaining("every single byte");
    }

    @Test
    void malformedTokenizerJsonNamesTheField(@TempDir Path dir) throws IOException {
        TokenizerFiles.save(Encodings.get("r50k_base"), dir);
        String json = Files.readString(dir.resolve("tokenizer.json"));
        Path bad = dir.resolve("bad.json");
        Files.writeString(bad, json.replace("\"type\" : \"BPE\"", "\"type\" : \"WordPiece\""));
        assertThatThrownBy(() -> HuggingFaceTokenizerJson.read(bad)).hasMessageContaining("bad.json").hasMessageContaining("model.type");
        Files.writeString(bad, json.replace("\"merges\" : [", "\"merges\" : [ 7,"));
        assertThatThrownBy(() -> HuggingFaceTokenizerJson.read(bad)).hasMessageContaining("model.merges[0]");
        Files.writeString(bad, json.replace("\"Ġt\" :", "\"Ġt\" : \"x\", \"unused\" :"));
        assertThatThrownBy(() -> HuggingFaceTokenizerJson.read(bad)).hasMessageContaining("model.vocab[\"Ġt\"]");
        Files.writeString(bad, json.substring(0, json.length() / 2));
        assertThatThrownBy(() -> HuggingFaceTokenizerJson.read(bad)).hasMessageContaining("bad.json").hasMessageContaining("not valid JSON");
        Files.writeString(bad, json.replace("\"type\" : \"Split\"", "\"type\" : \"Whitespace\""));
        assertThatThrownBy(() -> HuggingFaceTokenizerJson.read(bad)).hasMessageContaining("pre_tokenizer").hasMessageContaining("Whitespace");
    }

    private static ByteArrayInputStream stream(String s) {
        return new ByteArrayInputStream(s.getBytes(StandardCharsets.UTF_8));
    }
}
