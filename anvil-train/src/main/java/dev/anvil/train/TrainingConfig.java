package dev.anvil.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.anvil.model.ModelConfigFiles;
import dev.anvil.train.data.TokenWindowLoader;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * A pretraining recipe, read from YAML:
 * <pre>
 * model: { family: gpt2, n_layer: 4, ... }   # a model config; vocab_size defaults to the tokenizer's
 * data:  { path: ..., val_fraction: 0.1, order: random }
 * train: { batch_size, seq_len, grad_accum, max_steps, lr, min_lr, warmup_steps, schedule,
 *          weight_decay, beta1, beta2, eps, grad_clip, dropout, seed, on_nonfinite, spike_factor, log_interval }
 * eval:  { interval, batches, sample_interval, sample_tokens, temperature, top_k }
 * checkpoint: { interval, keep }
 * </pre>
 * Every field but {@code model} has a default (nanoGPT's where it has one). {@code data.path} may
 * be left out and given on the command line.
 */
public record TrainingConfig(JsonNode model, Data data, Train train, Eval eval, Checkpoint checkpoint) {

    /** @param path a directory of token shards, or a text file (character vocabulary, split by val_fraction) */
    public record Data(String path, double valFraction, TokenWindowLoader.Order order) {}

    public record Train(int batchSize, int seqLen, int gradAccum, int maxSteps, double lr, double minLr, int warmupSteps,
                        String schedule, double weightDecay, double beta1, double beta2, double eps, double gradClip,
                        double dropout, long seed, NonFinitePolicy onNonFinite, double spikeFactor, int logInterval,
                        boolean measureGemmCeiling) {}

    public record Eval(int interval, int batches, int sampleInterval, int sampleTokens, double temperature, int topK) {}

    public record Checkpoint(int interval, int keep) {}

    /** What to do when a step's loss or gradient norm is NaN or infinite. */
    public enum NonFinitePolicy { SKIP, STOP }

    public static TrainingConfig read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new IOException("training config " + file + ": no such file");
        JsonNode root = ModelConfigFiles.yaml().readTree(file.toFile());
        try {
            return fromTree(root);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }

    public static TrainingConfig fromTree(JsonNode root) {
        if (root == null || !root.isObject()) throw new IllegalArgumentException("training config must be a mapping with model, data, train, eval, checkpoint");
        checkFields("", root, Set.of("model", "data", "train", "eval", "checkpoint"));
        if (!root.hasNonNull("model")) throw new IllegalArgumentException("training config: the 'model' section is missing");
        JsonNode d = section(root, "data", Set.of("path", "val_fraction", "order"));
        JsonNode t = section(root, "train", Set.of("batch_size", "seq_len", "grad_accum", "max_steps", "lr", "min_lr", "warmup_steps",
                "schedule", "weight_decay", "beta1", "beta2", "eps", "grad_clip", "dropout", "seed", "on_nonfinite", "spike_factor",
                "log_interval", "measure_gemm_ceiling"));
        JsonNode e = section(root, "eval", Set.of("interval", "batches", "sample_interval", "sample_tokens", "temperature", "top_k"));
        JsonNode c = section(root, "checkpoint", Set.of("interval", "keep"));

        Data data = new Data(d.hasNonNull("path") ? d.get("path").asText() : null, d.path("val_fraction").asDouble(0.1),
                TokenWindowLoader.Order.valueOf(d.path("order").asText("random").toUpperCase()));
        Train train = new Train(t.path("batch_size").asInt(12), t.path("seq_len").asInt(0), t.path("grad_accum").asInt(1),
                t.path("max_steps").asInt(2000), t.path("lr").asDouble(1e-3), t.path("min_lr").asDouble(1e-4),
                t.path("warmup_steps").asInt(100), t.path("schedule").asText("cosine"), t.path("weight_decay").asDouble(0.1),
                t.path("beta1").asDouble(0.9), t.path("beta2").asDouble(0.99), t.path("eps").asDouble(1e-8),
                t.path("grad_clip").asDouble(1.0), t.path("dropout").asDouble(0.0), t.path("seed").asLong(1337),
                NonFinitePolicy.valueOf(t.path("on_nonfinite").asText("skip").toUpperCase()), t.path("spike_factor").asDouble(2.0),
                t.path("log_interval").asInt(10), t.path("measure_gemm_ceiling").asBoolean(true));
        Eval eval = new Eval(e.path("interval").asInt(250), e.path("batches").asInt(20), e.path("sample_interval").asInt(500),
                e.path("sample_tokens").asInt(200), e.path("temperature").asDouble(0.8), e.path("top_k").asInt(200));
        Checkpoint ckpt = new Checkpoint(c.path("interval").asInt(500), c.path("keep").asInt(3));
        TrainingConfig config = new TrainingConfig(root.get("model"), data, train, eval, ckpt);
        config.validate();
        return config;
    }

    /** Checks everything that does not need the data or the tokenizer. */
    public void validate() {
        List<String> problems = new ArrayList<>();
        if (train.batchSize() <= 0) problems.add("train.batch_size must be positive, got " + train.batchSize());
        if (train.seqLen() < 0) problems.add("train.seq_len must be positive, got " + train.seqLen());
        if (train.gradAccum() <= 0) problems.add("train.grad_accum must be positive, got " + train.gradAccum());
        if (train.maxSteps() <= 0) problems.add("train.max_steps must be positive, got " + train.maxSteps());
        if (!(train.lr() > 0)) problems.add("train.lr must be positive, got " + train.lr());
        if (!(train.minLr() >= 0) || train.minLr() > train.lr()) problems.add("train.min_lr must be in [0, lr], got " + train.minLr());
        if (train.warmupSteps() < 0 || train.warmupSteps() > train.maxSteps()) problems.add("train.warmup_steps must be in [0, max_steps], got " + train.warmupSteps());
        if (!Set.of("cosine", "linear", "constant").contains(train.schedule())) problems.add("train.schedule must be cosine, linear or constant, got " + train.schedule());
        if (!(train.dropout() >= 0 && train.dropout() < 1)) problems.add("train.dropout must be in [0, 1), got " + train.dropout());
        if (!(train.gradClip() >= 0)) problems.add("train.grad_clip must be ≥ 0 (0 = off), got " + train.gradClip());
        if (train.weightDecay() < 0) problems.add("train.weight_decay must be ≥ 0, got " + train.weightDecay());
        if (train.logInterval() <= 0) problems.add("train.log_interval must be positive");
        if (!(data.valFraction() > 0 && data.valFraction() < 1)) problems.add("data.val_fraction must be in (0, 1), got " + data.valFraction());
        if (eval.interval() < 0 || eval.batches() <= 0) problems.add("eval.interval must be ≥ 0 and eval.batches positive");
        if (eval.sampleInterval() < 0 || eval.sampleTokens() < 0) problems.add("eval.sample_interval and sample_tokens must be ≥ 0");
        if (checkpoint.interval() < 0 || checkpoint.keep() <= 0) problems.add("checkpoint.interval must be ≥ 0 and checkpoint.keep positive");
        if (!problems.isEmpty()) throw new IllegalArgumentException("training config: " + String.join("; ", problems));
    }

    private static JsonNode section(JsonNode root, String name, Set<String> fields) {
        JsonNode s = root.get(name);
        if (s == null || s.isNull()) return ModelConfigFiles.yaml().createObjectNode();
        if (!s.isObject()) throw new IllegalArgumentException("training config: '" + name + "' must be a mapping");
        checkFields(name + ".", s, fields);
        return s;
    }

    private static void checkFields(String prefix, JsonNode n, Set<String> known) {
        List<String> unknown = new ArrayList<>();
        for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!known.contains(f)) unknown.add(prefix + f);
        }
        if (!unknown.isEmpty()) throw new IllegalArgumentException("training config: unknown field(s) " + unknown + "; known: " + new java.util.TreeSet<>(known));
    }

    /** The config as a tree (written into the run directory and every checkpoint). */
    public ObjectNode toTree() {
        ObjectNode root = ModelConfigFiles.yaml().createObjectNode();
        root.set("model", model.deepCopy());
        ObjectNode d = root.putObject("data");
        if (data.path() != null) d.put("path", data.path());
        d.put("val_fraction", data.valFraction());
        d.put("order", data.order().name().toLowerCase());
        ObjectNode t = root.putObject("train");
        t.put("batch_size", train.batchSize()).put("seq_len", train.seqLen()).put("grad_accum", train.gradAccum())
                .put("max_steps", train.maxSteps()).put("lr", train.lr()).put("min_lr", train.minLr()).put("warmup_steps", train.warmupSteps())
                .put("schedule", train.schedule()).put("weight_decay", train.weightDecay()).put("beta1", train.beta1()).put("beta2", train.beta2())
                .put("eps", train.eps()).put("grad_clip", train.gradClip()).put("dropout", train.dropout()).put("seed", train.seed())
                .put("on_nonfinite", train.onNonFinite().name().toLowerCase()).put("spike_factor", train.spikeFactor())
                .put("log_interval", train.logInterval()).put("measure_gemm_ceiling", train.measureGemmCeiling());
        ObjectNode e = root.putObject("eval");
        e.put("interval", eval.interval()).put("batches", eval.batches()).put("sample_interval", eval.sampleInterval())
                .put("sample_tokens", eval.sampleTokens()).put("temperature", eval.temperature()).put("top_k", eval.topK());
        root.putObject("checkpoint").put("interval", checkpoint.interval()).put("keep", checkpoint.keep());
        return root;
    }

    public TrainingConfig withDataPath(String path) {
        return new TrainingConfig(model, new Data(path, data.valFraction(), data.order()), train, eval, checkpoint);
    }

    public TrainingConfig withMaxSteps(int steps) {
        Train t = train;
        return new TrainingConfig(model, data, new Train(t.batchSize(), t.seqLen(), t.gradAccum(), steps, t.lr(), t.minLr(),
                Math.min(t.warmupSteps(), steps), t.schedule(), t.weightDecay(), t.beta1(), t.beta2(), t.eps(), t.gradClip(), t.dropout(),
                t.seed(), t.onNonFinite(), t.spikeFactor(), t.logInterval(), t.measureGemmCeiling()), eval, checkpoint);
    }
}
