package dev.anvil.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The conventions every command follows: exit codes, one-sentence errors, --json, --quiet, examples in --help. */
class CliConventionsTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String[] TINY_GEMM = {"bench", "gemm", "--m", "8", "--n", "8", "--k", "8", "--runs", "1", "--warmup-seconds", "0"};

    private static TokenizerCommandTest.Run run(String... args) {
        return TokenizerCommandTest.run(args);
    }

    private static String[] with(String[] base, String... more) {
        List<String> all = new ArrayList<>(List.of(base));
        all.addAll(List.of(more));
        return all.toArray(String[]::new);
    }

    @Test
    void exitCodesAreZeroForSuccessTwoForUsageErrorsAndOneForFailures(@TempDir Path dir) {
        assertThat(run(TINY_GEMM).exit()).isZero();
        assertThat(run("--version").exit()).isZero();
        assertThat(run().exit()).as("no subcommand prints the usage").isZero();

        // Usage errors picocli finds: unknown option, missing required option, unparsable number, unknown subcommand.
        for (String[] usage : List.of(new String[] {"bench", "gemm", "--no-such-option"}, new String[] {"generate", "--prompt", "x"},
                new String[] {"bench", "gemm", "--m", "many"}, new String[] {"trian"}, new String[] {"--threads", "0", "bench", "gemm"})) {
            var r = run(usage);
            assertThat(r.exit()).as(String.join(" ", usage) + ": " + r.err()).isEqualTo(2);
            assertThat(r.err()).startsWith("anvil: error: ").contains("--help");
            assertThat(r.err().strip().lines()).as("one line, no usage dump").hasSize(1);
        }
        assertThat(run("trian").err()).contains("did you mean train");
        // Usage errors a command finds in its values.
        var badValue = run("bench", "gemm", "--m", "0");
        assertThat(badValue.exit()).isEqualTo(2);
        assertThat(badValue.err()).contains("--m, --n and --k must be positive").contains("see 'anvil bench gemm --help'");
        assertThat(run("export", "--model", dir.toString(), "--format", "onnx", "--output", dir.resolve("x").toString()).exit()).isEqualTo(2);

        // Failures: bad input is one sentence, no stack trace; --debug adds it.
        var missing = run("generate", "--model", dir.resolve("nothing-here").toString(), "--prompt", "x");
        assertThat(missing.exit()).isEqualTo(1);
        assertThat(missing.err().strip()).startsWith("anvil: error: model ").contains("no such file or directory").doesNotContain("\tat ");
        assertThat(missing.err().strip().lines()).hasSize(1);
        var debug = run("generate", "--model", dir.resolve("nothing-here").toString(), "--prompt", "x", "--debug");
        assertThat(debug.exit()).isEqualTo(1);
        assertThat(debug.err()).contains("\tat dev.anvil.");
    }

    @Test
    void describesFileSystemErrorsAndBugsInOneSentence() {
        assertThat(Main.describe(new java.nio.file.NoSuchFileException("a/b.txt"), false)).isEqualTo("no such file or directory: a/b.txt");
        assertThat(Main.describe(new java.io.UncheckedIOException(new java.nio.file.AccessDeniedException("/root/x")), false))
                .isEqualTo("permission denied: /root/x");
        assertThat(Main.describe(new NullPointerException(), false)).startsWith("internal error: java.lang.NullPointerException").contains("--debug");
        assertThat(Main.describe(new dev.anvil.data.pipeline.PipelineDefinitionException("steps[2].gopher_quality.min_doc_words", "must be positive"), false))
                .isEqualTo("pipeline field 'steps[2].gopher_quality.min_doc_words': must be positive");
    }

    @Test
    void jsonPrintsOneResultObjectOnStdoutBeforeOrAfterTheSubcommand() throws Exception {
        for (String[] args : List.of(with(new String[] {"--json"}, TINY_GEMM), with(TINY_GEMM, "--json"))) {
            var r = run(args);
            assertThat(r.exit()).as(r.err()).isZero();
            assertThat(r.out().strip().lines()).hasSize(1);
            JsonNode result = JSON.readTree(r.out());
            assertThat(result.get("m").asInt()).isEqualTo(8);
            assertThat(result.get("layout").asText()).isEqualTo("NN");
            assertThat(result.get("gflops").asDouble()).isPositive();
            assertThat(result.get("threads").asInt()).isPositive();
        }
        var error = run("generate", "--model", "/no/such/model", "--prompt", "x", "--json");
        assertThat(error.exit()).isEqualTo(1);
        JsonNode e = JSON.readTree(error.err().strip());
        assertThat(e.get("type").asText()).isEqualTo("error");
        assertThat(e.get("exit_code").asInt()).isEqualTo(1);
        assertThat(e.get("message").asText()).contains("/no/such/model");
        assertThat(error.out()).isEmpty();
    }

    /** A character tokenizer and a text to shard: tokenize is cheap and has a progress bar. */
    private static String[] tokenizeArgs(Path dir, String out) throws Exception {
        Path text = dir.resolve("text.txt");
        if (!Files.exists(text)) {
            Files.writeString(text, "to be or not to be, that is the question\n".repeat(200));
            assertThat(run("tokenizer", "train", "--input", text.toString(), "--char", "--output", dir.resolve("tok").toString()).exit()).isZero();
        }
        return new String[] {"tokenize", "--tokenizer", dir.resolve("tok/char-tokenizer.json").toString(), "--input", text.toString(),
                "--output", dir.resolve(out).toString()};
    }

    @Test
    void jsonProgressIsJsonLinesOnStderrAndQuietShowsNone(@TempDir Path dir) throws Exception {
        var text = run(tokenizeArgs(dir, "shards-text"));
        assertThat(text.exit()).as(text.err()).isZero();
        assertThat(text.err()).contains("tokenize [");
        assertThat(text.out()).contains("train tokens");

        var quiet = run(with(tokenizeArgs(dir, "shards-quiet"), "--quiet"));
        assertThat(quiet.exit()).as(quiet.err()).isZero();
        assertThat(quiet.err()).isEmpty();
        assertThat(quiet.out()).contains("train tokens");

        var json = run(with(tokenizeArgs(dir, "shards-json"), "--json"));
        assertThat(json.exit()).as(json.err()).isZero();
        JsonNode result = JSON.readTree(json.out());
        String corpus = Files.readString(dir.resolve("text.txt"));
        assertThat(result.get("train_tokens").asLong() + result.get("val_tokens").asLong()).as("one token per character").isEqualTo(corpus.length());
        assertThat(result.get("vocab_size").asInt()).isEqualTo((int) corpus.chars().distinct().count());
        List<String> lines = json.err().strip().lines().toList();
        assertThat(lines).isNotEmpty();
        for (String line : lines) {
            JsonNode event = JSON.readTree(line);
            assertThat(event.get("type").asText()).isEqualTo("progress");
            assertThat(event.get("task").asText()).isEqualTo("tokenize");
        }
        assertThat(JSON.readTree(lines.getLast()).get("done").asLong()).isEqualTo(JSON.readTree(lines.getLast()).get("total").asLong());
    }

    @Test
    void everyCommandsHelpHasExamples() {
        List<CommandLine> all = new ArrayList<>();
        collect(new CommandLine(new Main()), all);
        assertThat(all).extracting(CommandLine::getCommandName).contains("anvil", "data", "clean", "eval", "generate", "gemm");
        for (CommandLine c : all) {
            if (c.getCommandName().equals("help")) continue;
            List<String> path = new ArrayList<>(List.of(c.getCommandSpec().qualifiedName(" ").split(" ")));
            path.removeFirst();
            path.add("--help");
            var r = run(path.toArray(String[]::new));
            assertThat(r.exit()).as(path.toString()).isZero();
            String examples = r.out().substring(Math.max(0, r.out().indexOf("Examples:")));
            assertThat(r.out()).as(c.getCommandSpec().qualifiedName() + " --help").contains("Examples:");
            for (String line : c.getCommandSpec().usageMessage().footer()) {
                assertThat(line.length()).as("footer line too long to show unwrapped in 80 columns: " + line).isLessThanOrEqualTo(78);
            }
            assertThat(examples).as(c.getCommandSpec().qualifiedName() + " examples show the command").contains(c.getCommandSpec().qualifiedName(" ") + " ");
        }
    }

    private static void collect(CommandLine c, List<CommandLine> into) {
        into.add(c);
        for (CommandLine sub : c.getSubcommands().values()) if (!into.contains(sub)) collect(sub, into);
    }

    @Test
    void oldOptionNamesStillWork(@TempDir Path dir) throws Exception {
        var r = run(with(tokenizeArgs(dir, "unused"), "--quiet"));
        assertThat(r.exit()).isZero();
        var viaOut = run("tokenize", "--tokenizer", dir.resolve("tok/char-tokenizer.json").toString(), "--input", dir.resolve("text.txt").toString(),
                "--out", dir.resolve("via-out").toString(), "--quiet");
        assertThat(viaOut.exit()).as(viaOut.err()).isZero();
        assertThat(dir.resolve("via-out/val_000000.bin")).exists();
        assertThat(run("bench", "gemm", "--m", "8", "--n", "8", "--k", "8", "--repeats", "1", "--warmup-seconds", "0", "--quiet").exit()).isZero();
    }
}
