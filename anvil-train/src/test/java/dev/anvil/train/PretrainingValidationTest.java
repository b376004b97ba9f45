package dev.anvil.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.anvil.core.compute.ComputePool;
import dev.anvil.model.TextTokenizer;
import dev.anvil.train.data.CorpusTokenizer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Bad input is reported before the first training step, and the run directory stays clean. */
class PretrainingValidationTest {

    @BeforeAll
    static void threads() {
        ComputePool.setDefaultThreads(2);
    }

    private static Trainer.Summary run(ObjectNode recipe, Path runDir, boolean resume) throws IOException {
        return new Pretraining(TrainingConfig.fromTree(recipe), runDir, resume, new PrintStream(new ByteArrayOutputStream())).run();
    }

    private static Path shardDir(Path dir) throws IOException {
        Path corpus = TrainingFixtures.corpus(dir);
        Path shards = dir.resolve("shards");
        TextTokenizer chars = TextTokenizer.fitCharacters(Files.readString(corpus), dir.resolve("tok"));
        new CorpusTokenizer(chars, 0.1, 1_000_000).run(List.of(corpus), shards, f -> {});
        return shards;
    }

    @Test
    void missingData(@TempDir Path dir) throws IOException {
        ObjectNode r = TrainingFixtures.recipe(dir.resolve("nothing-here.txt").toString(), 3);
        assertThatThrownBy(() -> run(r, dir.resolve("run"), false)).hasMessageContaining("nothing-here.txt: no such file or directory");
        ObjectNode empty = TrainingFixtures.recipe(dir.toString(), 3);
        Files.createDirectories(dir.resolve("emptydir"));
        ((ObjectNode) empty.get("data")).put("path", dir.resolve("emptydir").toString());
        assertThatThrownBy(() -> run(empty, dir.resolve("run2"), false)).hasMessageContaining("emptydir");
    }

    @Test
    void corruptShard(@TempDir Path dir) throws IOException {
        Path shards = shardDir(dir);
        Path train = shards.resolve("train_000000.bin");
        byte[] b = Files.readAllBytes(train);
        Files.write(train, java.util.Arrays.copyOf(b, b.length - 7));
        assertThatThrownBy(() -> run(TrainingFixtures.recipe(shards.toString(), 3), dir.resolve("run"), false))
                .hasMessageContaining("train_000000.bin").hasMessageContaining("truncated or corrupt");
        assertThat(dir.resolve("run/checkpoints")).doesNotExist();
    }

    @Test
    void shardsFromAnotherTokenizer(@TempDir Path dir) throws IOException {
        Path shards = shardDir(dir);
        // Replace the tokenizer by one with a different (smaller) character set.
        TextTokenizer.fitCharacters("abcdefgh ", dir.resolve("other"));
        Files.copy(dir.resolve("other/tokenizer.json"), shards.resolve("tokenizer.json"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        assertThatThrownBy(() -> run(TrainingFixtures.recipe(shards.toString(), 3), dir.resolve("run"), false))
                .hasMessageContaining("were written with another tokenizer");
        // Without shards.json to compare fingerprints, the token ids themselves give it away.
        Files.delete(shards.resolve(CorpusTokenizer.META_FILE));
        assertThatThrownBy(() -> run(TrainingFixtures.recipe(shards.toString(), 3), dir.resolve("run"), false))
                .hasMessageContaining("outside the model's vocabulary of 9");
    }

    @Test
    void impossibleConfigs(@TempDir Path dir) throws IOException {
        Path corpus = TrainingFixtures.corpus(dir);
        ObjectNode heads = TrainingFixtures.recipe(corpus.toString(), 3);
        ((ObjectNode) heads.get("model")).put("n_head", 3);
        assertThatThrownBy(() -> run(heads, dir.resolve("a"), false)).hasMessageContaining("n_head = 3 does not divide d_model = 32");
        ObjectNode longSeq = TrainingFixtures.recipe(corpus.toString(), 3);
        ((ObjectNode) longSeq.get("train")).put("seq_len", 64);
        assertThatThrownBy(() -> run(longSeq, dir.resolve("b"), false)).hasMessageContaining("seq_len 64 is longer than the model's context_length 32");
        ObjectNode typo = TrainingFixtures.recipe(corpus.toString(), 3);
        ((ObjectNode) typo.get("train")).put("learning_rate", 1);
        assertThatThrownBy(() -> TrainingConfig.fromTree(typo)).hasMessageContaining("unknown field(s) [train.learning_rate]");
        ObjectNode warm = TrainingFixtures.recipe(corpus.toString(), 3);
        ((ObjectNode) warm.get("train")).put("warmup_steps", 10);
        assertThatThrownBy(() -> TrainingConfig.fromTree(warm)).hasMessageContaining("warmup_steps must be in [0, max_steps]");
        ObjectNode tooBig = TrainingFixtures.recipe(corpus.toString(), 3);
        ((ObjectNode) tooBig.get("model")).put("vocab_size", 10);
        assertThatThrownBy(() -> run(tooBig, dir.resolve("c"), false)).hasMessageContaining("the model's vocab_size is 10");
    }

    @Test
    void existingRunNeedsResumeAndResumeNeedsTheSameTokenizer(@TempDir Path dir) throws IOException {
        Path corpus = TrainingFixtures.corpus(dir);
        Path runDir = dir.resolve("run");
        run(TrainingFixtures.recipe(corpus.toString(), 2), runDir, false);
        assertThat(runDir.resolve("checkpoints/step_000002/model.safetensors")).exists();
        assertThat(runDir.resolve("report.html")).exists();
        assertThatThrownBy(() -> run(TrainingFixtures.recipe(corpus.toString(), 4), runDir, false)).hasMessageContaining("pass --resume");

        Path other = dir.resolve("other.txt");
        Files.writeString(other, "completely different text with new letters: XYZ QWV ".repeat(400));
        assertThatThrownBy(() -> run(TrainingFixtures.recipe(other.toString(), 4), runDir, true)).hasMessageContaining("trained with another tokenizer");

        ObjectNode wider = TrainingFixtures.recipe(corpus.toString(), 4);
        ((ObjectNode) wider.get("model")).put("d_model", 64);
        assertThatThrownBy(() -> run(wider, runDir, true)).hasMessageContaining("is for model");
    }

    @Test
    void nonFiniteStepsAreSkippedOrStopTheRunAndAreNeverCheckpointed(@TempDir Path dir) throws IOException {
        Path corpus = TrainingFixtures.corpus(dir);
        ObjectNode skip = TrainingFixtures.recipe(corpus.toString(), 4);
        ObjectNode t = (ObjectNode) skip.get("train");
        t.put("lr", 1e36).put("min_lr", 1e36).put("warmup_steps", 0).put("schedule", "constant").put("weight_decay", 0).put("dropout", 0);
        ((ObjectNode) skip.get("eval")).put("interval", 0).put("sample_interval", 0);
        Path a = dir.resolve("skip");
        run(skip, a, false);
        List<JsonNode> events = MetricsLog.read(a.resolve("metrics.jsonl")).stream().filter(n -> n.path("event").asText().equals("nonfinite")).toList();
        assertThat(events).isNotEmpty();

        ObjectNode stop = skip.deepCopy();
        ((ObjectNode) stop.get("train")).put("on_nonfinite", "stop");
        Path b = dir.resolve("stop");
        assertThatThrownBy(() -> run(stop, b, false)).isInstanceOf(NonFiniteTrainingException.class).hasMessageContaining("non-finite");
        long firstBad = events.getFirst().get("step").asLong();
        try (var s = Files.list(b.resolve("checkpoints"))) {
            assertThat(s.map(p -> p.getFileName().toString()).toList()).allMatch(n -> Integer.parseInt(n.substring(5)) < firstBad);
        }
    }
}
