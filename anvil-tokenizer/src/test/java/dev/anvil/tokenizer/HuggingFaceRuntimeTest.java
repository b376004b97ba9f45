package dev.anvil.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.anvil.tokenizer.pretokenize.SplitPattern;
import dev.anvil.tokenizer.train.BpeTrainer;
import dev.anvil.tokenizer.train.BpeTrainerConfig;
import dev.anvil.tokenizer.train.TrainedBpe;
import dev.anvil.tokenizer.train.TrainingProgress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Anvil's tokenizer.json loads in the Hugging Face tokenizers runtime (Rust, via DJL) and encodes held-out
 * text to the same ids as Anvil.
 */
class HuggingFaceRuntimeTest {

    static void assertSameIds(BpeTokenizer ours, Path dir, List<RealText.Document> heldOut) throws IOException {
        try (HuggingFaceTokenizer hf = HuggingFaceTokenizer.builder().optTokenizerPath(dir.resolve("tokenizer.json"))
                .optAddSpecialTokens(false).optTruncation(false).optPadding(false).build()) {
            for (RealText.Document d : heldOut) {
                long[] theirs = hf.encode(d.text(), false, false).getIds();
                int[] mine = ours.encode(d.text(), ours.allSpecialTokens()); // the runtime always matches added tokens
                long[] mineLong = java.util.Arrays.stream(mine).asLongStream().toArray();
                assertThat(mineLong).as("%s on %s", ours.name(), d.source()).containsExactly(theirs);
            }
        }
    }

    @Test
    void anvilTrainedTokenizerEncodesHeldOutTextIdentically(@TempDir Path dir) throws IOException {
        List<RealText.Document> europarl = RealText.europarl(3L << 20, 1 << 14);
        Path train = dir.resolve("train.txt");
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < europarl.size() * 3 / 4; i++) sb.append(europarl.get(i).text());
        List<RealText.Document> java = RealText.javaSources();
        for (RealText.Document d : java.subList(0, java.size() / 2)) sb.append(d.text());
        Files.writeString(train, sb);
        BpeTrainerConfig config = BpeTrainerConfig.of(4096, SplitPattern.CL100K.preTokenizer())
                .withSpecialTokens(Map.of("<|endoftext|>", 4095)).withThreads(2).withName("anvil-test");
        TrainedBpe trained = BpeTrainer.train(List.of(train), config, TrainingProgress.NONE);
        Path out = dir.resolve("tok");
        TokenizerFiles.save(trained.tokenizer(), out);

        List<RealText.Document> heldOut = new ArrayList<>(europarl.subList(europarl.size() * 3 / 4, europarl.size()));
        heldOut.addAll(java.subList(java.size() / 2, java.size()));
        heldOut.addAll(RealText.stress(40, 3));
        assertSameIds(trained.tokenizer(), out, heldOut);
        // And Anvil reads its own file back to the same tokenizer.
        BpeTokenizer reloaded = TokenizerFiles.load(out.resolve("tokenizer.json"));
        for (RealText.Document d : heldOut) assertThat(reloaded.encodeOrdinary(d.text())).isEqualTo(trained.tokenizer().encodeOrdinary(d.text()));
    }

    @Test
    void publishedEncodingsExportedAsTokenizerJsonEncodeIdentically(@TempDir Path dir) throws IOException {
        List<RealText.Document> texts = new ArrayList<>(RealText.europarl(1L << 20, 1 << 14));
        texts.addAll(RealText.stress(40, 5));
        texts.addAll(RealText.javaSources().subList(0, 20));
        for (String name : List.of("cl100k_base", "o200k_base", "r50k_base")) {
            Path out = dir.resolve(name);
            TokenizerFiles.save(Encodings.get(name), out);
            assertSameIds(Encodings.get(name), out, texts);
        }
    }
}
