package dev.anvil.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.anvil.data.exec.LocalExecutor;
import dev.anvil.data.pipeline.Pipeline;
import dev.anvil.data.pipeline.PipelineYaml;
import dev.anvil.data.read.InputFormat;
import dev.anvil.data.read.ReaderOptions;
import dev.anvil.data.stats.BadInput;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code anvil data ...}: turn raw corpora into clean, deduplicated {@code jsonl.zst} shards. */
@Command(name = "data", mixinStandardHelpOptions = true,
        description = "Clean, filter, deduplicate and shard a raw text corpus (text, JSONL, CSV, Parquet, e-mail, HTML; gzip/zstd/xz/bzip2).",
        subcommands = {DataCommand.Clean.class, DataCommand.Run.class},
        footer = {"", "Examples:", "  bin/anvil data clean --input raw/ --output clean/", "  bin/anvil data run pipeline.yaml --json"})
public final class DataCommand {

    /** The default pipeline over the given inputs. */
    @Command(name = "clean", mixinStandardHelpOptions = true,
            description = "Run the default pipeline: normalize, language id, Gopher/C4/FineWeb quality filters, PII redaction, exact + MinHash dedup.",
            footer = {"", "Examples:", "  bin/anvil data clean --input raw/ --output clean/",
                    "  bin/anvil data clean --input mails/ --format email --output clean/"})
    static final class Clean implements Callable<Integer> {
        @Option(names = "--input", required = true, arity = "1..*", paramLabel = "PATH", description = "Input files or directories (walked recursively).")
        List<Path> inputs;
        @Option(names = {"--output", "--out"}, required = true, paramLabel = "DIR", description = "Output directory for shards and stats.json.")
        Path output;
        @Option(names = "--format", paramLabel = "FORMAT", description = "Force the input format: text, paragraphs, lines, jsonl, email, html, csv, parquet (default: detect per file).")
        String format;
        @Option(names = "--text-field", defaultValue = "text", paramLabel = "NAME", description = "JSONL field, CSV or Parquet column with the text (default: ${DEFAULT-VALUE}).")
        String textField;
        @Option(names = "--id-field", defaultValue = "id", paramLabel = "NAME", description = "JSONL field, CSV or Parquet column with the id (default: ${DEFAULT-VALUE}).")
        String idField;
        @Option(names = "--shard-mb", defaultValue = "64", paramLabel = "MB", description = "Maximum uncompressed shard size (default: ${DEFAULT-VALUE}).")
        double shardMb;
        @Option(names = "--no-dedup", description = "Skip exact and MinHash deduplication.")
        boolean noDedup;

        @Override
        public Integer call() throws IOException {
            for (Path p : inputs) if (!Files.exists(p)) throw new IllegalArgumentException("--input: no such file or directory: " + p);
            if (shardMb <= 0) throw new UsageException("--shard-mb must be positive, got " + shardMb);
            InputFormat f = format == null || format.equalsIgnoreCase("auto") ? null : InputFormat.parse(format);
            Pipeline p = Pipeline.defaults(inputs, output).withReader(new ReaderOptions(f, textField, idField))
                    .withShardBytes((long) (shardMb * (1 << 20))).withThreads(TokenizerCommand.threads());
            if (noDedup) p = p.withSteps(p.steps(), false, null);
            return execute(p);
        }
    }

    /** A pipeline from a YAML file. */
    @Command(name = "run", mixinStandardHelpOptions = true, description = "Run a pipeline defined in a YAML file (validated before any work starts).",
            footer = {"", "Examples:", "  bin/anvil data run pipeline.yaml", "  bin/anvil data run pipeline.yaml --quiet --json > result.json"})
    static final class Run implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "PIPELINE.yaml", description = "The pipeline file.")
        Path file;

        @Override
        public Integer call() throws IOException {
            if (!Files.isRegularFile(file)) throw new IllegalArgumentException("no such pipeline file: " + file);
            Pipeline p = PipelineYaml.load(file);
            if (p.threads() == 0) p = p.withThreads(TokenizerCommand.threads());
            return execute(p);
        }
    }

    static int execute(Pipeline p) throws IOException {
        ProgressBar bar = ProgressBar.stderr("data", "MB", 1e6);
        LocalExecutor.Progress progress = new LocalExecutor.Progress() {
            @Override
            public void update(String phase, long done, long total) {
                if (phase.equals("documents")) bar.phase(phase, "MB", 1e6, done, total);
                else bar.phase(phase, "tasks", 1, done, total);
            }

            @Override
            public void finish() {
                bar.finish();
            }
        };
        LocalExecutor.Result r = new LocalExecutor(p, progress).run();
        bar.finish();
        ObjectNode json = Output.object().put("output", p.output().toString()).put("shards", r.shards().size())
                .put("tasks", r.tasks()).put("tasks_resumed", r.tasksResumed());
        json.set("stats", Output.JSON.valueToTree(r.stats().toMap()));
        Output.result(json, () -> {
            System.out.print(r.stats().summaryTable());
            List<BadInput> bad = r.stats().badInput;
            for (int i = 0; i < Math.min(10, bad.size()); i++) System.out.println("  bad input: " + bad.get(i));
            if (bad.size() > 10) System.out.println("  ... " + (bad.size() - 10) + " more in stats.json");
            System.out.printf("%d shards in %s (%d of %d tasks were already done)%n", r.shards().size(), p.output(), r.tasksResumed(), r.tasks());
        });
        return 0;
    }
}
