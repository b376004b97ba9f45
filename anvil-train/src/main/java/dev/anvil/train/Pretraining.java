package dev.anvil.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.anvil.core.compute.ComputePool;
import dev.anvil.core.random.Rng;
import dev.anvil.eval.Perplexity;
import dev.anvil.eval.PerplexityEvaluator;
import dev.anvil.model.ModelConfig;
import dev.anvil.model.ModelConfigFiles;
import dev.anvil.model.TextTokenizer;
import dev.anvil.model.Transformer;
import dev.anvil.train.data.CorpusTokenizer;
import dev.anvil.train.data.TokenShardReader;
import dev.anvil.train.data.TokenWindowLoader;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Pretraining: a language model on token windows of a corpus, as one use of the {@link Trainer}.
 * This class prepares what the trainer runs on — the data (a text file gets a fitted character
 * vocabulary and is split into shards; shards are opened and scanned), the tokenizer, the model,
 * the validation ({@link PerplexityEvaluator}, the same as {@code anvil eval}) and the samples —
 * and writes the run directory's {@code report.html}; the step loop, checkpoints and resume are
 * the trainer's.
 *
 * <p>Everything that can be checked before the first step is: the data (shards open, non-empty,
 * long enough, token ids inside the vocabulary), the tokenizer against the shards and against a
 * checkpoint, and the configs.
 */
public final class Pretraining {

    private final TrainingConfig config;
    private final Path runDir;
    private final boolean resume;
    private final PrintStream console;
    private final List<TrainingListener> listeners = new ArrayList<>();

    /** @param console where the setup lines and the {@link ConsoleTrainingListener}'s commentary go */
    public Pretraining(TrainingConfig config, Path runDir, boolean resume, PrintStream console) {
        this.config = config;
        this.runDir = runDir;
        this.resume = resume;
        this.console = console;
    }

    /** Adds a listener to the trainer's (besides the console's). */
    public Pretraining listener(TrainingListener l) {
        listeners.add(l);
        return this;
    }

    public Trainer.Summary run() throws IOException {
        long wallStart = System.nanoTime();
        TrainingConfig.Train tc = config.train();
        Files.createDirectories(runDir);
        RunCheckpoints checkpoints = new RunCheckpoints(runDir);
        checkpoints.removeIncomplete();
        Optional<RunCheckpoints.Saved> saved = checkpoints.latest();
        if (!resume && saved.isPresent()) {
            throw new IllegalArgumentException("run directory " + runDir + " already has checkpoints (" + saved.get().path().getFileName()
                    + "); pass --resume to continue it, or choose another --out");
        }

        // ---- data and tokenizer
        if (config.data().path() == null) throw new IllegalArgumentException("no data: give --data (a token shard directory or a text file) or data.path in the recipe");
        Path dataPath = Path.of(config.data().path());
        Path shardDir = prepareShards(dataPath);
        TextTokenizer tokenizer = TextTokenizer.load(shardDir);
        JsonNode meta = CorpusTokenizer.readMeta(shardDir);
        if (meta != null && !meta.path("tokenizer_sha256").asText().equals(tokenizer.fingerprint())) {
            throw new IllegalArgumentException("the shards in " + shardDir + " were written with another tokenizer (sha256 "
                    + meta.path("tokenizer_sha256").asText() + ") than " + tokenizer.source() + " (sha256 " + tokenizer.fingerprint() + ")");
        }

        // ---- model
        ModelConfig model;
        try {
            model = ModelConfigFiles.fromTree(config.model(), tokenizer.vocabSize());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("recipe 'model': " + e.getMessage(), e);
        }
        if (model.vocabSize() < tokenizer.vocabSize()) {
            throw new IllegalArgumentException("the tokenizer has " + tokenizer.vocabSize() + " tokens but the model's vocab_size is " + model.vocabSize());
        }
        int B = tc.batchSize(), T = tc.seqLen() == 0 ? model.contextLength() : tc.seqLen();
        if (T > model.contextLength()) {
            throw new IllegalArgumentException("train.seq_len " + T + " is longer than the model's context_length " + model.contextLength());
        }

        List<TokenShardReader> trainShards = openShards(shardDir, "train", model.vocabSize());
        List<TokenShardReader> valShards = openShards(shardDir, "val", model.vocabSize());
        try {
            return train(wallStart, saved, tokenizer, model, B, T, trainShards, valShards, shardDir);
        } finally {
            for (TokenShardReader r : trainShards) r.close();
            for (TokenShardReader r : valShards) r.close();
        }
    }

    private Trainer.Summary train(long wallStart, Optional<RunCheckpoints.Saved> saved, TextTokenizer tokenizer, ModelConfig model, int B, int T,
                                  List<TokenShardReader> trainShards, List<TokenShardReader> valShards, Path shardDir) throws IOException {
        TrainingConfig.Train tc = config.train();
        TrainingConfig.Eval ec = config.eval();
        TokenWindowLoader loader = new TokenWindowLoader(trainShards, B, T, config.data().order(), tc.seed(), model.vocabSize());
        Transformer net = new Transformer(model);
        ObjectNode modelTree = ModelConfigFiles.toTree(model);
        if (saved.isPresent()) {
            JsonNode st = saved.get().state();
            if (!st.path("tokenizer_sha256").asText().equals(tokenizer.fingerprint())) {
                throw new IllegalArgumentException("checkpoint " + saved.get().path() + " was trained with another tokenizer (sha256 "
                        + st.path("tokenizer_sha256").asText() + ") than the one of the data, " + tokenizer.source());
            }
            if (!st.path("model").equals(modelTree)) {
                throw new IllegalArgumentException("checkpoint " + saved.get().path() + " is for model " + st.path("model") + ", the recipe now gives " + modelTree);
            }
        } else {
            net.initialize(new Rng(tc.seed()));
            tokenizer.copyTo(runDir.resolve("tokenizer"));
            Files.write(runDir.resolve("config.yaml"), ModelConfigFiles.yaml().writeValueAsBytes(config.toTree()));
        }

        double flopsPerToken = model.trainingFlopsPerToken(T);
        console.printf("model: %s%n", model.summary());
        console.printf("data: %s, %,d train / %,d val tokens; batch %d × %d × accum %d = %,d tokens/step; %d threads%n", shardDir,
                count(trainShards), count(valShards), B, T, tc.gradAccum(), (long) B * T * tc.gradAccum(), ComputePool.shared().threads());
        console.printf("%.3g training FLOPs/token%n", flopsPerToken);

        // What the trainer cannot know: what the run was trained on, checked when it resumes.
        ObjectNode runState = JsonNodeFactory.instance.objectNode();
        runState.put("tokenizer_sha256", tokenizer.fingerprint());
        runState.put("tokenizer", runDir.resolve("tokenizer").toAbsolutePath().toString());
        runState.put("vocab_size", tokenizer.vocabSize());
        runState.set("model", modelTree);
        runState.put("data", shardDir.toAbsolutePath().toString());

        Trainer<TokenWindowBatches.Windows> trainer = new Trainer<>(config, net, new TokenWindowBatches(loader), new LanguageModelObjective(), runDir)
                .runState(runState)
                .flopsPerToken(flopsPerToken)
                .listener(new ConsoleTrainingListener(console, tc.logInterval()));
        for (TrainingListener l : listeners) trainer.listener(l);
        // Validation: the first eval.batches × B windows of T tokens of the val shards, the same every time, so evaluations compare;
        // the evaluator shares the trainer's tape so its activation buffers are reused.
        PerplexityEvaluator validation = new PerplexityEvaluator(net, trainer.tape(), PerplexityEvaluator.tokenBytes(tokenizer, model.vocabSize()),
                new PerplexityEvaluator.Settings(T, T, B, (long) ec.batches() * B * T));
        trainer.evaluation(() -> {
            Perplexity total = validation.evaluate(valShards, PerplexityEvaluator.Progress.NONE).total();
            return new Evaluation.Result(total.loss(), total.bitsPerByte());
        });
        trainer.samples(new TextSamples(net, tokenizer, valShards.getFirst().get(0), ec.sampleTokens(), ec.temperature(), ec.topK(), tc.seed()));
        trainer.listener(new ReportWriter(model, wallStart));
        return trainer.run(saved);
    }

    /**
     * {@code report.html} after every evaluation and at the end, drawn from {@code metrics.jsonl}
     * (which the trainer has written by then) with a summary of the run.
     */
    private final class ReportWriter implements TrainingListener {
        private final ModelConfig model;
        private final long wallStart;
        private double lastLoss = Double.NaN;
        private Evaluation.Result lastEval = new Evaluation.Result(Double.NaN, Double.NaN);

        ReportWriter(ModelConfig model, long wallStart) {
            this.model = model;
            this.wallStart = wallStart;
        }

        @Override
        public void onStep(Step s) {
            if (Float.isFinite(s.loss()) && Double.isFinite(s.gradNorm())) lastLoss = s.loss(); // a skipped step's loss is not the model's
        }

        @Override
        public void onEvaluation(long step, Evaluation.Result result) {
            lastEval = result;
            write(step);
        }

        @Override
        public void onFinish(Trainer.Summary summary) {
            write(summary.steps());
        }

        private void write(long step) {
            List<String[]> rows = new ArrayList<>();
            rows.add(new String[] {"model", model.summary()});
            rows.add(new String[] {"steps", step + " / " + config.train().maxSteps()});
            rows.add(new String[] {"train loss", String.format(Locale.ROOT, "%.4f", lastLoss)});
            rows.add(new String[] {"val loss", String.format(Locale.ROOT, "%.4f", lastEval.loss())});
            rows.add(new String[] {"val bits/byte", String.format(Locale.ROOT, "%.4f", lastEval.bitsPerByte())});
            rows.add(new String[] {"wall time (this session)", ConsoleTrainingListener.duration((System.nanoTime() - wallStart) / 1e9)});
            rows.add(new String[] {"threads", Integer.toString(ComputePool.shared().threads())});
            try {
                RunReport.write(runDir, "Anvil pretraining: " + runDir.getFileName(), rows);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /**
     * A text file becomes shards in {@code RUN/data}: a character vocabulary fitted on the whole
     * text (as nanoGPT's shakespeare_char prepare.py does) and the held-out split by position.
     */
    private Path prepareShards(Path dataPath) throws IOException {
        if (Files.isDirectory(dataPath)) return dataPath;
        if (!Files.isRegularFile(dataPath)) throw new IOException("data " + dataPath + ": no such file or directory");
        Path dir = runDir.resolve("data");
        String text = Files.readString(dataPath);
        Path tokDir = dir.resolve("fit");
        TextTokenizer chars = TextTokenizer.fitCharacters(text, tokDir);
        JsonNode meta = CorpusTokenizer.readMeta(dir);
        boolean fresh = meta == null || !meta.path("tokenizer_sha256").asText().equals(chars.fingerprint())
                || meta.path("val_fraction").asDouble() != config.data().valFraction() || CorpusTokenizer.shardFiles(dir, "train").isEmpty();
        if (fresh) {
            new CorpusTokenizer(chars, config.data().valFraction(), 100_000_000L).run(List.of(dataPath), dir, f -> {});
            console.printf("tokenized %s with a %d-character vocabulary into %s%n", dataPath, chars.vocabSize(), dir);
        }
        return dir;
    }

    private static List<TokenShardReader> openShards(Path dir, String split, int vocab) throws IOException {
        List<Path> files = CorpusTokenizer.shardFiles(dir, split);
        if (files.isEmpty()) throw new IOException("no " + split + "_*.bin token shards in " + dir + " (write them with `anvil tokenize`)");
        List<TokenShardReader> readers = new ArrayList<>();
        try {
            long total = 0;
            for (Path f : files) {
                TokenShardReader r = new TokenShardReader(f);
                readers.add(r);
                total += r.tokenCount();
            }
            // A full scan is cheap next to training on small corpora; large ones rely on shards.json and the loader's check.
            if (total <= 200_000_000L) {
                for (TokenShardReader r : readers) {
                    int max = r.maxToken();
                    if (max >= vocab) {
                        throw new IllegalArgumentException("token shard " + r.file() + " contains token " + max + ", outside the model's vocabulary of "
                                + vocab + " (shards from another tokenizer?)");
                    }
                }
            }
            return readers;
        } catch (IOException | RuntimeException e) {
            for (TokenShardReader r : readers) r.close();
            throw e;
        }
    }

    private static long count(List<TokenShardReader> shards) {
        long n = 0;
        for (TokenShardReader r : shards) n += r.tokenCount();
        return n;
    }
}
