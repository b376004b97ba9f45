package dev.anvil.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.anvil.eval.Perplexity;
import dev.anvil.eval.PerplexityEvaluator;
import dev.anvil.eval.TokenSequence;
import dev.anvil.model.ModelConfig;
import dev.anvil.model.Transformer;
import dev.anvil.model.TrainedModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class EvalCommandTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String HELD_OUT = "that is the question, to be or not to be\n".repeat(5);

    private static TokenizerCommandTest.Run run(String... args) {
        return TokenizerCommandTest.run(args);
    }

    @Test
    void scoresATextFileAsTheEvaluatorDoesAndWritesOnlyWhenAsked(@TempDir Path dir) throws Exception {
        Path run = GenerateCommandTest.tinyRun(dir, ModelConfig.Family.LLAMA);
        Path text = dir.resolve("held-out.txt");
        Files.writeString(text, HELD_OUT);
        List<Path> before;
        try (var files = Files.walk(dir)) {
            before = files.toList();
        }

        var table = run("eval", "--model", run.toString(), "--data", text.toString());
        assertThat(table.exit()).as(table.err()).isZero();
        assertThat(table.out()).contains("bits/byte").contains("held-out.txt").contains("step 5");
        assertThat(table.err()).contains("eval [");
        try (var files = Files.walk(dir)) {
            assertThat(files.toList()).as("eval writes nothing without --output").containsExactlyInAnyOrderElementsOf(before);
        }

        var json = run("eval", "--model", run.toString(), "--data", text.toString(), "--json", "--output", dir.resolve("out/eval.json").toString());
        assertThat(json.exit()).as(json.err()).isZero();
        JsonNode result = JSON.readTree(json.out());
        JsonNode total = result.get("total");
        // A character tokenizer: no document-start token, so the first character is context only.
        assertThat(total.get("tokens").asLong()).isEqualTo(HELD_OUT.length() - 1);
        assertThat(total.get("bytes").asLong()).isEqualTo(HELD_OUT.getBytes(StandardCharsets.UTF_8).length - 1);
        double loss = total.get("loss").asDouble();
        assertThat(total.get("bits_per_byte").asDouble())
                .isCloseTo(loss * total.get("tokens").asLong() / (Math.log(2) * total.get("bytes").asLong()), within(1e-12));
        assertThat(total.get("perplexity").asDouble()).isCloseTo(Math.exp(loss), within(1e-9));
        assertThat(result.get("window").asInt()).isEqualTo(32);
        assertThat(result.get("stride").asInt()).isEqualTo(32);
        assertThat(result.get("step").asLong()).isEqualTo(5);
        assertThat(JSON.readTree(dir.resolve("out/eval.json").toFile())).isEqualTo(result);

        // The same number as the Java API on the same model.
        TrainedModel m = TrainedModel.load(run);
        Perplexity api = new PerplexityEvaluator(new Transformer(m.config(), m.parameters()),
                PerplexityEvaluator.tokenBytes(m.tokenizer(), m.config().vocabSize()), PerplexityEvaluator.Settings.of(m.config()))
                .evaluate(List.of(TokenSequence.ofText("t", HELD_OUT, m.tokenizer())), PerplexityEvaluator.Progress.NONE).total();
        assertThat(loss).isEqualTo(api.loss());

        // A sliding window scores the same tokens with more context; --max-tokens cuts.
        JsonNode sliding = JSON.readTree(run("eval", "--model", run.toString(), "--data", text.toString(), "--stride", "8", "--json").out()).get("total");
        assertThat(sliding.get("tokens").asLong()).isEqualTo(HELD_OUT.length() - 1);
        assertThat(sliding.get("loss").asDouble()).isNotEqualTo(loss);
        JsonNode capped = JSON.readTree(run("eval", "--model", run.toString(), "--data", text.toString(), "--max-tokens", "10", "--json").out()).get("total");
        assertThat(capped.get("tokens").asLong()).isEqualTo(10);
    }

    @Test
    void scoresTheValShardsOfATokenizedDirectory(@TempDir Path dir) throws Exception {
        Path run = GenerateCommandTest.tinyRun(dir, ModelConfig.Family.GPT2);
        Path text = dir.resolve("corpus.txt");
        Files.writeString(text, HELD_OUT.repeat(4));
        var tokenize = run("tokenize", "--tokenizer", run.resolve("tokenizer").toString(), "--input", text.toString(),
                "--output", dir.resolve("shards").toString(), "--val-fraction", "0.5", "--json");
        assertThat(tokenize.exit()).as(tokenize.err()).isZero();
        long valTokens = JSON.readTree(tokenize.out()).get("val_tokens").asLong();

        var r = run("eval", "--model", run.toString(), "--data", dir.resolve("shards").toString(), dir.resolve("shards/val_000000.bin").toString(),
                "--json", "--batch-size", "2");
        assertThat(r.exit()).as(r.err()).isZero();
        JsonNode result = JSON.readTree(r.out());
        assertThat(result.get("data")).hasSize(2);
        assertThat(result.get("data").get(0).get("name").asText()).isEqualTo("val_000000.bin");
        assertThat(result.get("data").get(0).get("tokens").asLong()).isEqualTo(valTokens - 1);
        assertThat(result.get("data").get(1).get("loss").asDouble()).isEqualTo(result.get("data").get(0).get("loss").asDouble());
        assertThat(result.get("total").get("tokens").asLong()).isEqualTo(2 * (valTokens - 1));
    }

    @Test
    void badOptionsAreUsageErrorsAndBadDataAFailure(@TempDir Path dir) throws Exception {
        Path run = GenerateCommandTest.tinyRun(dir, ModelConfig.Family.LLAMA);
        Path text = dir.resolve("t.txt");
        Files.writeString(text, HELD_OUT);
        var stride = run("eval", "--model", run.toString(), "--data", text.toString(), "--stride", "40");
        assertThat(stride.exit()).isEqualTo(2);
        assertThat(stride.err()).contains("--stride must be between 1 and the window length 32");
        assertThat(run("eval", "--model", run.toString(), "--data", text.toString(), "--context", "64").exit()).isEqualTo(2);
        var missing = run("eval", "--model", run.toString(), "--data", dir.resolve("nope.txt").toString());
        assertThat(missing.exit()).isEqualTo(1);
        assertThat(missing.err()).contains("nope.txt: no such file or directory");
        Files.write(dir.resolve("latin1.txt"), new byte[] {'c', 'a', 'f', (byte) 0xE9});
        var latin1 = run("eval", "--model", run.toString(), "--data", dir.resolve("latin1.txt").toString());
        assertThat(latin1.exit()).isEqualTo(1);
        assertThat(latin1.err()).contains("not UTF-8 text");
        Files.write(dir.resolve("junk.bin"), new byte[2000]);
        var junk = run("eval", "--model", run.toString(), "--data", dir.resolve("junk.bin").toString());
        assertThat(junk.exit()).isEqualTo(1);
        assertThat(junk.err()).contains("junk.bin: bad header");
    }

    @Test
    void trainingsValidationLossIsWhatEvalReportsForTheSameWindows(@TempDir Path dir) throws Exception {
        StringBuilder corpus = new StringBuilder();
        String[] words = {"the", "king", "queen", "speak", "lord", "good", "night", "my", "thou", "art"};
        dev.anvil.core.random.Rng rng = new dev.anvil.core.random.Rng(3);
        for (int i = 0; i < 3000; i++) corpus.append(words[rng.nextInt(words.length)]).append(i % 7 == 6 ? ".\n" : " ");
        Path text = dir.resolve("corpus.txt");
        Files.writeString(text, corpus);
        Path recipe = dir.resolve("tiny.yaml");
        Files.writeString(recipe, """
                model: {family: gpt2, n_layer: 2, n_head: 2, d_model: 32, context_length: 32, bias: true}
                data: {val_fraction: 0.1, order: random}
                train: {batch_size: 4, seq_len: 32, grad_accum: 1, max_steps: 6, lr: 3.0e-3, warmup_steps: 2, seed: 5,
                        log_interval: 1, measure_gemm_ceiling: false}
                eval: {interval: 3, batches: 3, sample_interval: 0, sample_tokens: 0}
                checkpoint: {interval: 3, keep: 2}
                """);
        Path runDir = dir.resolve("run");
        var train = run("train", "--config", recipe.toString(), "--data", text.toString(), "--output", runDir.toString(), "--json");
        assertThat(train.exit()).as(train.err()).isZero();
        JsonNode summary = JSON.readTree(train.out());
        assertThat(summary.get("steps").asLong()).isEqualTo(6);
        assertThat(summary.get("run_dir").asText()).isEqualTo(runDir.toString());
        for (String line : train.err().strip().lines().toList()) {
            assertThat(JSON.readTree(line).get("type").asText()).as(line).isIn("log", "progress");
        }
        assertThat(train.err()).contains("val loss");

        // The same windows: B = 4 windows of T = 32 tokens, eval.batches × B × T tokens from the start of the val shards.
        var eval = run("eval", "--model", runDir.toString(), "--data", runDir.resolve("data").toString(), "--batch-size", "4",
                "--max-tokens", String.valueOf(3 * 4 * 32), "--json");
        assertThat(eval.exit()).as(eval.err()).isZero();
        JsonNode total = JSON.readTree(eval.out()).get("total");
        assertThat(total.get("tokens").asLong()).isEqualTo(3 * 4 * 32);
        assertThat(total.get("loss").asDouble()).isCloseTo(summary.get("val_loss").asDouble(), within(1e-6));
        assertThat(total.get("bits_per_byte").asDouble()).isCloseTo(summary.get("val_bits_per_byte").asDouble(), within(1e-6));

        var quiet = run("train", "--config", recipe.toString(), "--data", text.toString(), "--output", dir.resolve("run2").toString(), "--quiet");
        assertThat(quiet.exit()).as(quiet.err()).isZero();
        assertThat(quiet.err()).isEmpty();
        assertThat(quiet.out().strip().lines()).hasSize(2).first().asString().startsWith("6 steps, train loss");
    }
}
