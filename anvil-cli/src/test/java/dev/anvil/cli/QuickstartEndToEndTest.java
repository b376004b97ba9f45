package dev.anvil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.anvil.model.TextTokenizer;
import dev.anvil.model.TrainedModel;
import dev.anvil.train.data.CorpusTokenizer;
import dev.anvil.train.data.TokenShardReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The quickstart as a new user runs it, at a reduced size: a few hundred Europarl documents, a
 * 512-token tokenizer, a tiny Llama and 20 steps. Every artifact must exist and be usable, and a
 * re-run with only a training option changed must re-use data, tokenizer and tokens.
 */
class QuickstartEndToEndTest {
    static final String[] SMALL = {
        "--set", "data.max_documents=500", "--set", "tokenizer.vocab_size=512", "--set", "tokenizer.heldout_documents=5",
        "--set", "tokenize.val_fraction=0.1",
        "--set", "train.model.d_model=64", "--set", "train.model.n_layer=2", "--set", "train.model.context_length=64",
        "--set", "train.batch_size=4", "--set", "train.seq_len=64", "--set", "train.max_steps=20", "--set", "train.warmup_steps=5",
        "--set", "train.eval.interval=10", "--set", "train.eval.batches=2", "--set", "train.checkpoint.interval=10",
        "--set", "train.measure_gemm_ceiling=false", "--set", "sample.max_tokens=16"};

    @Test
    void quickstartAtReducedSizeThenRerunAfterChangingTheLearningRate(@TempDir Path dir) throws IOException {
        Path run = dir.resolve("run");
        TokenizerCommandTest.Run first = quickstart(run);
        assertThat(first.exit()).as(first.err() + first.out()).isZero();
        assertThat(actions(run, 1)).containsExactly(Map.entry("data", "ran"), Map.entry("tokenizer", "ran"), Map.entry("tokenize", "ran"),
                Map.entry("train", "ran"), Map.entry("eval", "ran"), Map.entry("sample", "ran"), Map.entry("export", "ran"), Map.entry("report", "ran"));
        ObjectMapper json = new ObjectMapper();
        for (String stage : List.of("data", "tokenizer", "tokenize", "train", "eval", "sample", "export", "report")) {
            JsonNode s = json.readTree(run.resolve(stage).resolve("stage.json").toFile());
            assertThat(s.path("fingerprint").asText()).hasSize(64);
            for (JsonNode o : s.path("outputs")) assertThat(run.resolve(o.asText())).exists();
        }

        // data: shards and their statistics
        JsonNode stats = json.readTree(run.resolve("data/clean/stats.json").toFile());
        assertThat(stats.at("/steps/read/docs_out").asLong()).isEqualTo(500);
        assertThat(stats.at("/steps/language/removed/language_not_kept").asLong()).isGreaterThan(300); // ~1 in 11 is English
        assertThat(stats.at("/steps/write/docs_out").asLong()).isPositive();

        // tokenizer loads and round-trips parliamentary English
        TextTokenizer tok = TextTokenizer.load(run.resolve("tokenizer"));
        assertThat(tok.vocabSize()).isEqualTo(512);
        assertThat(tok.decode(tok.encode("Mr President, the Commission"))).isEqualTo("Mr President, the Commission");

        // token shards are readable and inside the vocabulary
        for (String split : List.of("train", "val")) {
            List<Path> shards = CorpusTokenizer.shardFiles(run.resolve("tokenize"), split);
            assertThat(shards).as(split).isNotEmpty();
            try (TokenShardReader r = new TokenShardReader(shards.getFirst())) {
                assertThat(r.tokenCount()).isPositive();
                assertThat(r.maxToken()).isLessThan(512);
            }
        }

        // the checkpoint and the GGUF export load
        TrainedModel model = TrainedModel.load(run.resolve("train"));
        assertThat(model.step()).isEqualTo(20);
        assertThat(model.config().layers()).isEqualTo(2);
        TrainedModel gguf = TrainedModel.load(run.resolve("export/model.gguf"));
        assertThat(gguf.config().width()).isEqualTo(64);

        // evaluation numbers are finite and consistent
        JsonNode eval = json.readTree(run.resolve("eval/stage.json").toFile()).path("summary");
        assertThat(eval.path("val_bpb").asDouble()).isBetween(0.5, 10.0);
        assertThat(eval.path("perplexity").asDouble()).isCloseTo(Math.exp(eval.path("val_loss").asDouble()), org.assertj.core.data.Percentage.withPercentage(1e-6));
        // ... and the eval stage's are anvil eval's: the same evaluator over the same windows gives the same sums
        TokenizerCommandTest.Run cli = TokenizerCommandTest.run("eval", "--model", run.resolve("train").toString(), "--data",
                run.resolve("tokenize").toString(), "--batch-size", "4", "--json");
        assertThat(cli.exit()).as(cli.err()).isZero();
        JsonNode total = json.readTree(cli.out()).path("total");
        assertThat(total.path("loss").asDouble()).isEqualTo(eval.path("val_loss").asDouble());
        assertThat(total.path("bits_per_byte").asDouble()).isEqualTo(eval.path("val_bpb").asDouble());
        assertThat(total.path("tokens").asLong()).isEqualTo(eval.path("tokens").asLong());

        // samples decode to text after their prompts
        JsonNode samples = json.readTree(run.resolve("sample/samples.json").toFile());
        assertThat(samples).hasSize(4);
        for (JsonNode s : samples) {
            assertThat(s.path("tokens").asInt()).isPositive();
            assertThat(s.path("completion").asText()).isNotEmpty();
        }

        // the report card has every section, offline
        String report = Files.readString(run.resolve("report.html"));
        for (String id : List.of("data", "tokenizer", "training", "evaluation", "samples", "stages", "recipe", "next"))
            assertThat(report).contains("id=\"" + id + "\"");
        assertThat(report).contains("<svg", "r50k_base", "cl100k_base", "language_not_kept", "bin/anvil chat --model").doesNotContain("<script", "<link", "src=\"http", "href=\"http", "@import");
        assertThat(first.out()).contains("report: ", "bin/anvil chat --model " + run + "/train", "bin/anvil export --model " + run + "/train --format gguf");

        // only training and what follows it re-run when a training option changes
        TokenizerCommandTest.Run second = quickstart(run, "--set", "train.lr=1e-3");
        assertThat(second.exit()).as(second.err()).isZero();
        assertThat(actions(run, 2)).containsExactly(Map.entry("data", "reused"), Map.entry("tokenizer", "reused"), Map.entry("tokenize", "reused"),
                Map.entry("train", "ran"), Map.entry("eval", "ran"), Map.entry("sample", "ran"), Map.entry("export", "ran"), Map.entry("report", "ran"));
        assertThat(Files.readString(run.resolve("recipe.yaml"))).contains("lr: 0.001");

        // nothing changed: everything is reused; --force re-runs one stage and those after it
        TokenizerCommandTest.Run third = quickstart(run, "--set", "train.lr=1e-3", "--force", "sample");
        assertThat(third.exit()).as(third.err()).isZero();
        assertThat(actions(run, 3)).containsExactly(Map.entry("data", "reused"), Map.entry("tokenizer", "reused"), Map.entry("tokenize", "reused"),
                Map.entry("train", "reused"), Map.entry("eval", "reused"), Map.entry("sample", "forced"), Map.entry("export", "reused"), Map.entry("report", "ran"));

        // a stage without stage.json (killed before it finished) runs again, with the stages that read it
        Files.delete(run.resolve("eval/stage.json"));
        TokenizerCommandTest.Run fourth = quickstart(run, "--set", "train.lr=1e-3");
        assertThat(fourth.exit()).as(fourth.err()).isZero();
        assertThat(actions(run, 4)).containsExactly(Map.entry("data", "reused"), Map.entry("tokenizer", "reused"), Map.entry("tokenize", "reused"),
                Map.entry("train", "reused"), Map.entry("eval", "ran"), Map.entry("sample", "reused"), Map.entry("export", "reused"), Map.entry("report", "ran"));

        // --from re-runs from a stage, --until stops early; --from needs the earlier stages up to date
        TokenizerCommandTest.Run fifth = quickstart(run, "--set", "train.lr=1e-3", "--from", "sample", "--until", "export");
        assertThat(fifth.exit()).as(fifth.err()).isZero();
        assertThat(actions(run, 5)).containsExactly(Map.entry("data", "reused"), Map.entry("tokenizer", "reused"), Map.entry("tokenize", "reused"),
                Map.entry("train", "reused"), Map.entry("eval", "reused"), Map.entry("sample", "forced"), Map.entry("export", "forced"));
        TokenizerCommandTest.Run stale = quickstart(run, "--set", "train.lr=5e-4", "--from", "eval");
        assertThat(stale.exit()).isEqualTo(1);
        assertThat(stale.err()).contains("--from eval: stage train has no up-to-date output");
    }

    private static TokenizerCommandTest.Run quickstart(Path run, String... more) {
        List<String> args = new ArrayList<>(List.of("quickstart", "--out", run.toString()));
        args.addAll(List.of(SMALL));
        args.addAll(List.of(more));
        return TokenizerCommandTest.run(args.toArray(String[]::new));
    }

    /** The stage → action lines of the n-th invocation in stages.log. */
    static Map<String, String> actions(Path run, int invocation) throws IOException {
        Map<String, String> out = new LinkedHashMap<>();
        int seen = 0;
        for (String line : Files.readAllLines(run.resolve("stages.log"))) {
            if (line.startsWith("#")) {
                seen++;
                continue;
            }
            if (seen == invocation) {
                String[] f = line.split("\\s+");
                out.put(f[1], f[2]);
            }
        }
        return out;
    }
}
