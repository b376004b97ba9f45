package dev.anvil.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.anvil.core.autograd.Tape;
import dev.anvil.core.autograd.Var;
import dev.anvil.core.compute.ComputePool;
import dev.anvil.core.kernels.Gemm;
import dev.anvil.core.optim.AdamW;
import dev.anvil.core.optim.GradientClipping;
import dev.anvil.core.optim.LearningRateSchedule;
import dev.anvil.core.optim.ParameterGroup;
import dev.anvil.core.random.Rng;
import dev.anvil.eval.Perplexity;
import dev.anvil.eval.PerplexityEvaluator;
import dev.anvil.model.ModelConfig;
import dev.anvil.model.ModelConfigFiles;
import dev.anvil.model.TextTokenizer;
import dev.anvil.model.Transformer;
import dev.anvil.model.TransformerLayout;
import dev.anvil.train.data.CorpusTokenizer;
import dev.anvil.train.data.TokenShardReader;
import dev.anvil.train.data.TokenWindowLoader;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The pretraining loop: micro-batches × gradient accumulation, AdamW with warmup + cosine (or
 * linear / constant) learning rate, global-norm clipping, optional dropout, periodic evaluation
 * (val loss and bits per byte) and samples, checkpoints, exact resume.
 *
 * <p>Everything that decides the numbers of step s is either in the checkpoint (weights, AdamW
 * moments and step, the loader's generator or cursor, the trainer's generator for dropout seeds)
 * or derived from the seed and s (sampling). With the same thread count the kernels reduce in a
 * fixed order, so a resumed run repeats an uninterrupted one bit for bit.
 *
 * <p>Everything that can be checked before the first step is: the data (shards open, non-empty,
 * long enough, token ids inside the vocabulary), the tokenizer against the shards and against a
 * checkpoint, and the configs.
 */
public final class Pretraining {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final TrainingConfig config;
    private final Path runDir;
    private final boolean resume;
    private final PrintStream console;

    /** The end state of a run. */
    public record Summary(long steps, double lastTrainLoss, double lastValLoss, double lastValBpb, double seconds) {}

    public Pretraining(TrainingConfig config, Path runDir, boolean resume, PrintStream console) {
        this.config = config;
        this.runDir = runDir;
        this.resume = resume;
        this.console = console;
    }

    public Summary run() throws IOException {
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
        int B = tc.batchSize(), T = tc.seqLen() == 0 ? model.contextLength() : tc.seqLen(), accum = tc.gradAccum();
        if (T > model.contextLength()) {
            throw new IllegalArgumentException("train.seq_len " + T + " is longer than the model's context_length " + model.contextLength());
        }

        List<TokenShardReader> trainShards = openShards(shardDir, "train", model.vocabSize());
        List<TokenShardReader> valShards = openShards(shardDir, "val", model.vocabSize());
        try {
            return train(wallStart, checkpoints, saved, tokenizer, model, B, T, accum, trainShards, valShards, shardDir);
        } finally {
            for (TokenShardReader r : trainShards) r.close();
            for (TokenShardReader r : valShards) r.close();
        }
    }

    private Summary train(long wallStart, RunCheckpoints checkpoints, Optional<RunCheckpoints.Saved> saved, TextTokenizer tokenizer,
                          ModelConfig model, int B, int T, int accum, List<TokenShardReader> trainShards,
                          List<TokenShardReader> valShards, Path shardDir) throws IOException {
        TrainingConfig.Train tc = config.train();
        TokenWindowLoader loader = new TokenWindowLoader(trainShards, B, T, config.data().order(), tc.seed(), model.vocabSize());
        Transformer net = new Transformer(model);
        List<ParameterGroup> groups = ParameterGroup.decayAndNoDecay(net.parameters().layout(),
                name -> net.parameters().layout().entry(name).shape().rank() == 2, tc.weightDecay());
        AdamW adamw = new AdamW(net.parameters(), net.gradients(), groups, new AdamW.Config(tc.beta1(), tc.beta2(), tc.eps()));
        LearningRateSchedule schedule = switch (tc.schedule()) {
            case "cosine" -> LearningRateSchedule.warmupCosine(tc.lr(), tc.warmupSteps(), tc.maxSteps(), tc.minLr());
            case "linear" -> LearningRateSchedule.warmupLinear(tc.lr(), tc.warmupSteps(), tc.maxSteps(), tc.minLr());
            default -> LearningRateSchedule.warmupConstant(tc.lr(), tc.warmupSteps());
        };
        Rng trainerRng = new Rng(tc.seed() ^ 0x5DEECE66DL);
        ObjectNode recipe = config.toTree();
        ObjectNode modelTree = ModelConfigFiles.toTree(model);
        long step = 0;
        double lossEma = Double.NaN;

        MetricsLog metrics = new MetricsLog(runDir.resolve("metrics.jsonl"));
        if (saved.isPresent()) {
            JsonNode st = saved.get().state();
            if (!st.path("tokenizer_sha256").asText().equals(tokenizer.fingerprint())) {
                throw new IllegalArgumentException("checkpoint " + saved.get().path() + " was trained with another tokenizer (sha256 "
                        + st.path("tokenizer_sha256").asText() + ") than the one of the data, " + tokenizer.source());
            }
            if (!st.path("model").equals(modelTree)) {
                throw new IllegalArgumentException("checkpoint " + saved.get().path() + " is for model " + st.path("model") + ", the recipe now gives " + modelTree);
            }
            RunCheckpoints.load(saved.get(), model, net.parameters(), adamw);
            step = st.get("step").asLong();
            JsonNode pos = st.get("loader");
            long[] rs = new long[4];
            for (int i = 0; i < 4; i++) rs[i] = pos.get("rng").get(i).asLong();
            loader.restore(new TokenWindowLoader.Position(TokenWindowLoader.Order.valueOf(pos.get("order").asText()), rs,
                    pos.get("shard").asInt(), pos.get("offset").asLong(), pos.get("batches").asLong()));
            long[] tr = new long[4];
            for (int i = 0; i < 4; i++) tr[i] = st.get("trainer_rng").get(i).asLong();
            trainerRng = Rng.fromState(tr);
            lossEma = st.path("loss_ema").asDouble(Double.NaN);
            metrics.truncateAfter(step);
            console.printf("resuming from %s (step %d)%n", saved.get().path(), step);
            int savedThreads = st.path("threads").asInt(ComputePool.shared().threads());
            if (savedThreads != ComputePool.shared().threads()) {
                console.printf("note: the run used %d compute threads, this session uses %d: training continues correctly, but the losses will "
                        + "not be bit-identical to an uninterrupted run (reductions split by thread count)%n", savedThreads, ComputePool.shared().threads());
            }
        } else {
            net.initialize(new Rng(tc.seed()));
            metrics.truncateAfter(-1);
            tokenizer.copyTo(runDir.resolve("tokenizer"));
            Files.write(runDir.resolve("config.yaml"), ModelConfigFiles.yaml().writeValueAsBytes(recipe));
        }

        double flopsPerToken = model.trainingFlopsPerToken(T);
        // The GEMM ceiling is measured after a few training steps, once the JIT has compiled the kernels.
        double ceiling = Double.NaN;
        console.printf("model: %s%n", model.summary());
        console.printf("data: %s, %,d train / %,d val tokens; batch %d × %d × accum %d = %,d tokens/step; %d threads%n", shardDir,
                count(trainShards), count(valShards), B, T, accum, (long) B * T * accum, ComputePool.shared().threads());
        console.printf("%.3g training FLOPs/token%n", flopsPerToken);

        Tape tape = new Tape();
        int[] inputs = new int[B * T], targets = new int[B * T];
        double lastLoss = Double.NaN, lastVal = Double.NaN, lastBpb = Double.NaN;
        // Validation: the first eval.batches × B windows of T tokens of the val shards, the same every time, so evaluations compare.
        PerplexityEvaluator validation = new PerplexityEvaluator(net, tape, PerplexityEvaluator.tokenBytes(tokenizer, model.vocabSize()),
                new PerplexityEvaluator.Settings(T, T, B, (long) config.eval().batches() * B * T));
        if (step == 0 && config.eval().interval() > 0) {
            double[] ev = evaluate(validation, valShards);
            lastVal = ev[0];
            lastBpb = ev[1];
            logEval(metrics, 0, ev);
        }
        long tokensPerStep = (long) B * T * accum;
        double stepSecondsSum = 0;
        int stepsTimed = 0;
        long firstStep = step;
        try {
            while (step < tc.maxSteps()) {
                long t0 = System.nanoTime();
                double lr = schedule.at(step);
                net.zeroGradients();
                double lossSum = 0;
                for (int micro = 0; micro < accum; micro++) {
                    loader.next(inputs, targets);
                    tape.reset();
                    long dropoutSeed = trainerRng.nextLong();
                    Var loss = net.loss(tape, inputs, targets, 0, B, T, (float) tc.dropout(), dropoutSeed);
                    lossSum += loss.value().get(0);
                    tape.backward(accum == 1 ? loss : tape.scale(loss, 1f / accum));
                }
                float loss = (float) (lossSum / accum);
                double norm = tc.gradClip() > 0 ? GradientClipping.clipGlobalNorm(net.gradients().data(), tc.gradClip())
                        : GradientClipping.globalNorm(net.gradients().data());
                step++;
                boolean finite = Float.isFinite(loss) && Double.isFinite(norm);
                if (finite) adamw.step(lr);
                double seconds = (System.nanoTime() - t0) / 1e9;
                if (step > firstStep + 1) { // the first step includes JIT warm-up
                    stepSecondsSum += seconds;
                    stepsTimed++;
                }
                if (tc.measureGemmCeiling() && Double.isNaN(ceiling) && step >= firstStep + 20) {
                    ceiling = measureGemmCeiling(B * T, model.width());
                    console.printf(Locale.ROOT, "GEMM ceiling (measured): %.1f GFLOP/s%n", ceiling / 1e9);
                }
                double tokensPerSecond = tokensPerStep / seconds;
                double mfu = flopsPerToken * tokensPerSecond / ceiling;

                ObjectNode rec = MetricsLog.record("train", step);
                rec.put("loss", (double) loss); // exact: every float is a double
                rec.put("lr", lr);
                rec.put("grad_norm", norm);
                rec.put("ms", seconds * 1e3);
                rec.put("tokens_per_s", tokensPerSecond);
                if (!Double.isNaN(mfu)) rec.put("mfu", mfu);
                metrics.append(rec);

                if (!finite) {
                    ObjectNode ev = MetricsLog.record("event", step);
                    ev.put("event", "nonfinite");
                    ev.put("loss", String.valueOf(loss));
                    ev.put("grad_norm", String.valueOf(norm));
                    metrics.append(ev);
                    if (tc.onNonFinite() == TrainingConfig.NonFinitePolicy.STOP) {
                        throw new NonFiniteTrainingException("step " + step + ": non-finite " + (Float.isFinite(loss) ? "gradient norm " + norm : "loss " + loss)
                                + "; stopping without a checkpoint (the last good one is in " + checkpoints.directory() + ")");
                    }
                    console.printf("step %d: non-finite %s, update skipped%n", step, Float.isFinite(loss) ? "gradient norm " + norm : "loss " + loss);
                } else {
                    if (!Double.isNaN(lossEma) && step > firstStep + 10 && loss > tc.spikeFactor() * lossEma) {
                        ObjectNode ev = MetricsLog.record("event", step);
                        ev.put("event", "loss_spike");
                        ev.put("loss", loss);
                        ev.put("loss_ema", lossEma);
                        metrics.append(ev);
                        console.printf("step %d: loss spike %.4f (running average %.4f)%n", step, loss, lossEma);
                    }
                    lossEma = Double.isNaN(lossEma) ? loss : 0.9 * lossEma + 0.1 * loss;
                    lastLoss = loss;
                }

                if (step % tc.logInterval() == 0 || step == tc.maxSteps() || step == firstStep + 1) {
                    double avg = stepsTimed > 0 ? stepSecondsSum / stepsTimed : seconds;
                    console.printf(Locale.ROOT, "step %5d/%d | loss %.4f | lr %.2e | norm %.3f | %,.0f tok/s | %s | ETA %s%n",
                            step, tc.maxSteps(), loss, lr, norm, tokensPerSecond,
                            Double.isNaN(mfu) ? "MFU n/a" : String.format(Locale.ROOT, "MFU %.1f%%", 100 * mfu),
                            duration(avg * (tc.maxSteps() - step)));
                }
                boolean last = step == tc.maxSteps();
                if (config.eval().interval() > 0 && (step % config.eval().interval() == 0 || last)) {
                    double[] ev = evaluate(validation, valShards);
                    lastVal = ev[0];
                    lastBpb = ev[1];
                    logEval(metrics, step, ev);
                }
                if (config.eval().sampleInterval() > 0 && config.eval().sampleTokens() > 0 && (step % config.eval().sampleInterval() == 0 || last)) {
                    String text = sample(net, tokenizer, valShards.getFirst().get(0), config.eval().sampleTokens(), new Rng(tc.seed() * 31 + step));
                    ObjectNode s = MetricsLog.record("sample", step);
                    s.put("text", text);
                    metrics.append(s);
                    console.printf("sample at step %d:%n%s%n", step, text);
                }
                if ((config.checkpoint().interval() > 0 && step % config.checkpoint().interval() == 0) || last) {
                    if (!allFinite(net.parameters().data())) {
                        throw new NonFiniteTrainingException("step " + step + ": the weights contain NaN or infinity; not writing a checkpoint");
                    }
                    ObjectNode state = JSON.createObjectNode();
                    state.put("step", step);
                    state.put("adamw_step", adamw.stepCount());
                    TokenWindowLoader.Position p = loader.position();
                    ObjectNode pos = state.putObject("loader");
                    pos.put("order", p.order().name());
                    ArrayNode rs = pos.putArray("rng");
                    for (long x : p.rngState()) rs.add(x);
                    pos.put("shard", p.shard()).put("offset", p.offset()).put("batches", p.batches());
                    ArrayNode tr = state.putArray("trainer_rng");
                    for (long x : trainerRng.state()) tr.add(x);
                    state.put("loss_ema", lossEma);
                    state.put("tokenizer_sha256", tokenizer.fingerprint());
                    state.put("tokenizer", runDir.resolve("tokenizer").toAbsolutePath().toString());
                    state.put("vocab_size", tokenizer.vocabSize());
                    state.set("model", modelTree);
                    state.put("data", shardDir.toAbsolutePath().toString());
                    state.put("threads", ComputePool.shared().threads());
                    Path written = checkpoints.write(step, model, net.parameters(), adamw, state, recipe);
                    checkpoints.prune(config.checkpoint().keep());
                    if (!last) console.printf("checkpoint %s%n", written.getFileName());
                }
                if ((config.eval().interval() > 0 && step % config.eval().interval() == 0) || last) writeReport(model, step, lastLoss, lastVal, lastBpb, wallStart);
            }
        } finally {
            metrics.close();
        }
        double secs = (System.nanoTime() - wallStart) / 1e9;
        writeReport(model, step, lastLoss, lastVal, lastBpb, wallStart);
        console.printf(Locale.ROOT, "done: %d steps, train loss %.4f, val loss %.4f (%.4f bits/byte), %s wall%n", step, lastLoss, lastVal, lastBpb, duration(secs));
        return new Summary(step, lastLoss, lastVal, lastBpb, secs);
    }

    /** Thrown when training stops on a NaN or infinity. */
    public static final class NonFiniteTrainingException extends RuntimeException {
        public NonFiniteTrainingException(String message) {
            super(message);
        }
    }

    /**
     * Val loss (nats per token) and bits per byte = Σ loss / ln 2 / Σ UTF-8 bytes of the predicted
     * tokens, by the same evaluator as {@code anvil eval} (non-overlapping windows of the training
     * sequence length, token budget eval.batches × B × T).
     */
    private static double[] evaluate(PerplexityEvaluator validation, List<TokenShardReader> valShards) {
        Perplexity total = validation.evaluate(valShards, PerplexityEvaluator.Progress.NONE).total();
        return new double[] {total.loss(), total.bitsPerByte()};
    }

    private void logEval(MetricsLog metrics, long step, double[] ev) throws IOException {
        ObjectNode rec = MetricsLog.record("eval", step);
        rec.put("val_loss", ev[0]);
        rec.put("val_bpb", ev[1]);
        metrics.append(rec);
        console.printf(Locale.ROOT, "step %5d | val loss %.4f | %.4f bits/byte%n", step, ev[0], ev[1]);
    }

    /** Samples {@code n} tokens after {@code first}, temperature and top-k from the recipe. */
    private String sample(Transformer net, TextTokenizer tokenizer, int first, int n, Rng rng) {
        int ctx = net.config().contextLength(), V = net.config().vocabSize();
        int[] tokens = new int[n + 1];
        tokens[0] = first;
        Tape tape = new Tape();
        tape.setGradEnabled(false);
        double temperature = config.eval().temperature();
        int topK = Math.min(config.eval().topK() <= 0 ? V : config.eval().topK(), V);
        float[] probs = new float[V];
        for (int i = 1; i <= n; i++) {
            int start = Math.max(0, i - ctx), len = i - start;
            tape.reset();
            Var logits = net.forward(tape, tokens, start, 1, len, 0f, 0);
            float[] l = logits.value().data();
            int off = logits.value().offset() + (len - 1) * V;
            int limit = Math.min(V, tokenizer.vocabSize());
            float[] sorted = java.util.Arrays.copyOfRange(l, off, off + limit);
            java.util.Arrays.sort(sorted);
            float kth = sorted[Math.max(0, limit - topK)];
            double max = sorted[limit - 1], sum = 0;
            for (int v = 0; v < limit; v++) {
                probs[v] = l[off + v] < kth ? 0f : (float) Math.exp((l[off + v] - max) / Math.max(temperature, 1e-6));
                sum += probs[v];
            }
            double r = rng.nextDouble() * sum, acc = 0;
            int pick = limit - 1;
            for (int v = 0; v < limit; v++) {
                acc += probs[v];
                if (acc > r) {
                    pick = v;
                    break;
                }
            }
            tokens[i] = pick;
        }
        return tokenizer.decode(tokens);
    }

    private void writeReport(ModelConfig model, long step, double loss, double val, double bpb, long wallStart) throws IOException {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"model", model.summary()});
        rows.add(new String[] {"steps", step + " / " + config.train().maxSteps()});
        rows.add(new String[] {"train loss", String.format(Locale.ROOT, "%.4f", loss)});
        rows.add(new String[] {"val loss", String.format(Locale.ROOT, "%.4f", val)});
        rows.add(new String[] {"val bits/byte", String.format(Locale.ROOT, "%.4f", bpb)});
        rows.add(new String[] {"wall time (this session)", duration((System.nanoTime() - wallStart) / 1e9)});
        rows.add(new String[] {"threads", Integer.toString(ComputePool.shared().threads())});
        RunReport.write(runDir, "Anvil pretraining: " + runDir.getFileName(), rows);
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

    private static boolean allFinite(float[] a) {
        for (float v : a) if (!Float.isFinite(v)) return false;
        return true;
    }

    /**
     * FLOP/s of the GEMM kernel at a training-like shape (rows = B·T, a square C×C weight), the
     * ceiling the MFU figure is measured against: the best of a few runs after a short warm-up.
     */
    public static double measureGemmCeiling(int rows, int width) {
        int m = Math.max(256, Math.min(rows, 2048)), n = Math.max(256, width), k = Math.max(256, width);
        float[] a = new float[m * k], b = new float[n * k], c = new float[m * n];
        Rng rng = new Rng(7);
        rng.fillUniform(a, 0, a.length, -1, 1);
        rng.fillUniform(b, 0, b.length, -1, 1);
        double best = 0;
        long end = System.nanoTime() + 300_000_000L;
        int runs = 0;
        while (System.nanoTime() < end || runs < 3) {
            long t0 = System.nanoTime();
            Gemm.sgemm(false, true, m, n, k, 1f, a, 0, k, b, 0, k, 0f, c, 0, n);
            double s = (System.nanoTime() - t0) / 1e9;
            best = Math.max(best, 2.0 * m * n * k / s);
            runs++;
        }
        return best;
    }

    static String duration(double seconds) {
        if (!Double.isFinite(seconds)) return "?";
        long s = Math.round(seconds);
        return s >= 3600 ? String.format("%dh%02dm%02ds", s / 3600, s / 60 % 60, s % 60) : s >= 60 ? String.format("%dm%02ds", s / 60, s % 60) : s + "s";
    }
}
