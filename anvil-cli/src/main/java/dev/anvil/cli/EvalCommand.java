package dev.anvil.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.anvil.core.compute.ComputePool;
import dev.anvil.eval.Perplexity;
import dev.anvil.eval.PerplexityEvaluator;
import dev.anvil.eval.TokenSequence;
import dev.anvil.model.Transformer;
import dev.anvil.model.TrainedModel;
import dev.anvil.train.data.CorpusTokenizer;
import dev.anvil.train.data.TokenShardReader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code anvil eval}: held-out loss, perplexity and bits per byte of a model. */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = {"Scores a model on held-out data: tokens, UTF-8 bytes, mean loss (nats/token), perplexity and bits per byte "
                + "(= loss × tokens / (ln 2 × bytes), comparable across tokenizers).",
                "Windows of the model's context are non-overlapping by default: each token is predicted from the tokens before it in its "
                + "window. --stride S < context slides the window by S so every token after the first window sees at least context − S "
                + "tokens (truer, context/S times slower). Writes nothing unless --output is given."},
        footer = {"", "Examples:",
                "  bin/anvil eval --model runs/shakespeare-char --data shards/ --out eval.json",
                "  bin/anvil eval --model stories15M.bin --data valid.txt --max-tokens 50000",
                "  bin/anvil eval --model model.gguf --data val_000000.bin --stride 128 --json"})
public final class EvalCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, paramLabel = "PATH",
            description = "A run directory (its newest checkpoint), a checkpoint directory, a Hugging Face directory, a .gguf file, or a llama2.c .bin with tokenizer.bin beside it.")
    Path model;

    @Option(names = "--data", required = true, arity = "1..*", paramLabel = "PATH",
            description = "Held-out data, each scored separately and pooled: a token shard directory (its val_*.bin shards), a .bin token shard, "
                    + "or a UTF-8 text file (encoded with the model's tokenizer).")
    List<Path> data;

    @Option(names = "--max-tokens", defaultValue = "0", paramLabel = "N", description = "Score at most N tokens, from the start of the data in order (default: all).")
    long maxTokens;

    @Option(names = "--stride", paramLabel = "S", description = "Sliding-window stride, 1 … context (default: the context, i.e. non-overlapping windows).")
    Integer stride;

    @Option(names = "--context", paramLabel = "T", description = "Window length (default: the model's context length).")
    Integer context;

    @Option(names = "--batch-size", defaultValue = "0", paramLabel = "B", description = "Windows per forward pass (default: as many as fit ~256 MB of activations).")
    int batchSize;

    @Option(names = {"--output", "--out"}, paramLabel = "FILE.json", description = "Also write the results (the --json object) to this file.")
    Path output;

    @Override
    public Integer call() throws Exception {
        if (maxTokens < 0) throw new UsageException("--max-tokens must be positive (or 0 for all), got " + maxTokens);
        if (batchSize < 0) throw new UsageException("--batch-size must be positive, got " + batchSize);
        TrainedModel m = TrainedModel.load(model);
        int T = context != null ? context : m.config().contextLength();
        if (T < 1 || T > m.config().contextLength()) {
            throw new UsageException("--context must be between 1 and the model's context of " + m.config().contextLength() + ", got " + T);
        }
        int S = stride != null ? stride : T;
        if (S < 1 || S > T) throw new UsageException("--stride must be between 1 and the window length " + T + ", got " + S);

        List<TokenShardReader> shards = new ArrayList<>();
        try {
            List<TokenSequence> sequences = open(m, shards);
            var evaluator = new PerplexityEvaluator(new Transformer(m.config(), m.parameters()),
                    PerplexityEvaluator.tokenBytes(m.tokenizer(), m.config().vocabSize()), new PerplexityEvaluator.Settings(T, S, batchSize, maxTokens));
            ProgressBar bar = ProgressBar.stderr("eval", "tokens", 1);
            PerplexityEvaluator.Report report = evaluator.evaluate(sequences, bar::update);
            bar.finish();
            ObjectNode json = toJson(m, report);
            if (output != null) {
                Path parent = output.toAbsolutePath().getParent();
                if (parent != null) Files.createDirectories(parent);
                Output.JSON.writerWithDefaultPrettyPrinter().writeValue(output.toFile(), json);
            }
            Output.result(json, () -> printTable(m, report));
            return 0;
        } finally {
            for (TokenShardReader r : shards) r.close();
        }
    }

    /** Each --data path as token sequences; shards opened here are added to {@code opened} for closing. */
    private List<TokenSequence> open(TrainedModel m, List<TokenShardReader> opened) throws IOException {
        List<TokenSequence> sequences = new ArrayList<>();
        for (Path p : data) {
            if (Files.isDirectory(p)) {
                List<Path> files = CorpusTokenizer.shardFiles(p, "val");
                if (files.isEmpty()) throw new IllegalArgumentException("--data " + p + ": no val_*.bin token shards in the directory (write them with `anvil tokenize`)");
                for (Path f : files) sequences.add(track(new TokenShardReader(f), opened));
            } else if (!Files.isRegularFile(p)) {
                throw new IllegalArgumentException("--data " + p + ": no such file or directory");
            } else if (p.getFileName().toString().endsWith(".bin")) {
                sequences.add(track(new TokenShardReader(p), opened));
            } else {
                String text;
                try {
                    text = StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(Files.readAllBytes(p))).toString();
                } catch (CharacterCodingException e) {
                    throw new IllegalArgumentException("--data " + p + ": not UTF-8 text (nor a .bin token shard)");
                }
                sequences.add(TokenSequence.ofText(p.getFileName().toString(), text, m.tokenizer()));
            }
        }
        return sequences;
    }

    private static TokenShardReader track(TokenShardReader r, List<TokenShardReader> opened) {
        opened.add(r);
        return r;
    }

    private static ObjectNode toJson(TrainedModel m, PerplexityEvaluator.Report r) {
        ObjectNode json = Output.object();
        json.put("model", m.checkpoint().toString());
        if (m.step() >= 0) json.put("step", m.step());
        json.put("model_summary", m.config().summary());
        json.put("window", r.windowLength()).put("stride", r.stride()).put("batch_size", r.batchSize());
        json.put("threads", ComputePool.shared().threads()).put("seconds", r.seconds());
        json.put("tokens_per_second", r.total().tokens() / Math.max(1e-9, r.seconds()));
        ArrayNode parts = json.putArray("data");
        for (Perplexity p : r.sequences()) parts.add(scores(p));
        json.set("total", scores(r.total()));
        return json;
    }

    private static ObjectNode scores(Perplexity p) {
        ObjectNode o = Output.object().put("name", p.name()).put("tokens", p.tokens()).put("bytes", p.bytes());
        Output.putNumber(o, "loss", p.loss());
        Output.putNumber(o, "perplexity", p.perplexity());
        Output.putNumber(o, "bits_per_byte", p.bitsPerByte());
        return o;
    }

    private static void printTable(TrainedModel m, PerplexityEvaluator.Report r) {
        System.out.printf(Locale.ROOT, "%s%s; windows of %d tokens, stride %d, batch %d; %.1f s (%,.0f tokens/s)%n", m.config().summary(),
                m.step() >= 0 ? " at step " + m.step() : "", r.windowLength(), r.stride(), r.batchSize(), r.seconds(),
                r.total().tokens() / Math.max(1e-9, r.seconds()));
        String format = "%-28s %12s %13s %8s %11s %10s%n";
        System.out.printf(Locale.ROOT, format, "data", "tokens", "bytes", "loss", "perplexity", "bits/byte");
        List<Perplexity> rows = new ArrayList<>(r.sequences());
        if (rows.size() > 1) rows.add(r.total());
        for (Perplexity p : rows) {
            String name = p.name().length() <= 28 ? p.name() : "…" + p.name().substring(p.name().length() - 27);
            System.out.printf(Locale.ROOT, format, p == r.total() ? "TOTAL" : name, String.format(Locale.ROOT, "%,d", p.tokens()),
                    String.format(Locale.ROOT, "%,d", p.bytes()), String.format(Locale.ROOT, "%.4f", p.loss()),
                    String.format(Locale.ROOT, "%.3f", p.perplexity()), String.format(Locale.ROOT, "%.4f", p.bitsPerByte()));
        }
    }
}
