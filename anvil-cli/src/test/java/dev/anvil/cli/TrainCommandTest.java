package dev.anvil.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.anvil.model.ModelConfigFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code anvil train --set}: overrides land in the run's recorded recipe; bad ones are usage errors, a bad file is bad input. */
class TrainCommandTest {

    private static final String RECIPE = """
            model: {family: gpt2, n_layer: 2, n_head: 2, d_model: 32, context_length: 32}
            data: {val_fraction: 0.1}
            train: {batch_size: 4, seq_len: 32, max_steps: 6, lr: 3.0e-3, warmup_steps: 2, seed: 5, log_interval: 1, measure_gemm_ceiling: false}
            eval: {interval: 0, batches: 2, sample_interval: 0, sample_tokens: 0}
            checkpoint: {interval: 0, keep: 1}
            """;

    private static TokenizerCommandTest.Run run(String... args) {
        return TokenizerCommandTest.run(args);
    }

    private static Path corpus(Path dir) throws Exception {
        Path text = dir.resolve("corpus.txt");
        Files.writeString(text, "to be or not to be, that is the question.\n".repeat(200));
        return text;
    }

    @Test
    void setOverridesTrainingAndModelFieldsWithTheirYamlTypes(@TempDir Path dir) throws Exception {
        Path recipe = dir.resolve("tiny.yaml");
        Files.writeString(recipe, RECIPE);
        Path runDir = dir.resolve("run");
        var r = run("train", "--config", recipe.toString(), "--data", corpus(dir).toString(), "--output", runDir.toString(), "--quiet",
                "--set", "train.seed=7", "--set", "train.max_steps=3", "--set", "train.lr=1e-3", "--set", "model.n_layer=1", "--set", "data.order=sequential");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).startsWith("3 steps, train loss");
        JsonNode recorded = ModelConfigFiles.yaml().readTree(runDir.resolve("config.yaml").toFile());
        assertThat(recorded.at("/train/seed").asLong()).isEqualTo(7);
        assertThat(recorded.at("/train/max_steps").asInt()).isEqualTo(3);
        assertThat(recorded.at("/train/lr").asDouble()).isEqualTo(1e-3); // "1e-3" is text in YAML 1.1; still a number here
        assertThat(recorded.at("/model/n_layer").asInt()).isEqualTo(1);
        assertThat(recorded.at("/data/order").asText()).isEqualTo("sequential");
        assertThat(Files.readString(recipe)).isEqualTo(RECIPE); // the recipe file itself is untouched
    }

    @Test
    void badOverridesAreUsageErrorsNamingTheField(@TempDir Path dir) throws Exception {
        Path recipe = dir.resolve("tiny.yaml");
        Files.writeString(recipe, RECIPE);
        String data = corpus(dir).toString();
        String[][] cases = {
                {"train.seed=many", "train.seed must be a number"},
                {"train.batch_size=2.5", "train.batch_size must be a whole number"},
                {"train.lrr=1", "unknown field(s) [train.lrr]"},
                {"nosection=1", "expected SECTION.KEY=VALUE"},
                {"optimizer.lr=1", "expected SECTION.KEY=VALUE"},
                {"train.schedule=exponential", "train.schedule must be one of cosine, linear, constant"},
                {"model.n_head=3", "n_head"},
        };
        for (String[] c : cases) {
            Path runDir = dir.resolve("run-" + c[0].replaceAll("[^a-z]", ""));
            var r = run("train", "--config", recipe.toString(), "--data", data, "--output", runDir.toString(), "--set", c[0]);
            assertThat(r.exit()).as(c[0] + ": " + r.err()).isEqualTo(2);
            assertThat(r.err()).as(c[0]).contains(c[1]);
            assertThat(runDir).as("nothing is written before the first step").doesNotExist();
        }
    }

    @Test
    void aWronglyTypedFieldInTheRecipeFileIsBadInputNamingIt(@TempDir Path dir) throws Exception {
        Path recipe = dir.resolve("typo.yaml");
        Files.writeString(recipe, RECIPE.replace("lr: 3.0e-3", "lr: fast").replace("measure_gemm_ceiling: false", "measure_gemm_ceiling: maybe"));
        var r = run("train", "--config", recipe.toString(), "--data", corpus(dir).toString(), "--output", dir.resolve("run").toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains(recipe.toString()).contains("train.lr must be a number, got \"fast\"");
        assertThat(dir.resolve("run")).doesNotExist();
    }

    @Test
    void benchTrainReportsTheTrainingFlopsPerTokenTheMfuFigureUses(@TempDir Path dir) throws Exception {
        Path model = dir.resolve("model.yaml");
        Files.writeString(model, "{family: llama, n_layer: 1, n_head: 2, d_model: 32, context_length: 16, vocab_size: 64}\n");
        var r = run("bench", "train", "--model", model.toString(), "--batch", "2", "--seq", "8", "--steps", "1", "--warmup", "0", "--json");
        assertThat(r.exit()).as(r.err()).isZero();
        JsonNode json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.out());
        assertThat(json.path("flops_per_token").asDouble()).isEqualTo(ModelConfigFiles.read(model).trainingFlopsPerToken(8));
        assertThat(json.has("tokens_per_second") && json.has("median_ms")).isTrue();
    }
}
