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

        Data data = new Data(d.hasNonNull("path") ? text(d, "data.path", null) : null, real(d, "data.val_fraction", 0.1),
                TokenWindowLoader.Order.valueOf(choice(d, "data.order", "random", "random", "sequential").toUpperCase()));
        Train train = new Train(integer(t, "train.batch_size", 12), integer(t, "train.seq_len", 0), integer(t, "train.grad_accum", 1),
                integer(t, "train.max_steps", 2000), real(t, "train.lr", 1e-3), real(t, "train.min_lr", 1e-4),
                integer(t, "train.warmup_steps", 100), choice(t, "train.schedule", "cosine", "cosine", "linear", "constant"),
                real(t, "train.weight_decay", 0.1), real(t, "train.beta1", 0.9), real(t, "train.beta2", 0.99), real(t, "train.eps", 1e-8),
                real(t, "train.grad_clip", 1.0), real(t, "train.dropout", 0.0), (long) integral(t, "train.seed", 1337),
                NonFinitePolicy.valueOf(choice(t, "train.on_nonfinite", "skip", "skip", "stop").toUpperCase()), real(t, "train.spike_factor", 2.0),
                integer(t, "train.log_interval", 10), bool(t, "train.measure_gemm_ceiling", true));
        Eval eval = new Eval(integer(e, "eval.interval", 250), integer(e, "eval.batches", 20), integer(e, "eval.sample_interval", 500),
                integer(e, "eval.sample_tokens", 200), real(e, "eval.temperature", 0.8), integer(e, "eval.top_k", 200));
        Checkpoint ckpt = new Checkpoint(integer(c, "checkpoint.interval", 500), integer(c, "checkpoint.keep", 3));
        TrainingConfig config = new TrainingConfig(root.get("model"), data, train, eval, ckpt);
        config.validate();
        return config;
    }

    // Typed fields: a value of the wrong type is an error naming the field, never a silent default.

    /** The field's value, or null when it is absent or YAML null (the default applies). */
    private static JsonNode given(JsonNode section, String field) {
        JsonNode v = section.get(field.substring(field.lastIndexOf('.') + 1));
        return v == null || v.isNull() ? null : v;
    }

    private static double real(JsonNode section, String field, double fallback) {
        JsonNode v = given(section, field);
        return v == null ? fallback : ModelConfigFiles.number(v, "training config: " + field);
    }

    private static double integral(JsonNode section, String field, long fallback) {
        JsonNode v = given(section, field);
        if (v == null) return fallback;
        double x = ModelConfigFiles.number(v, "training config: " + field);
        if (x != Math.rint(x) || Math.abs(x) > 9e15) throw new IllegalArgumentException("training config: " + field + " must be a whole number, got " + v);
        return x;
    }

    private static int integer(JsonNode section, String field, int fallback) {
        double x = integral(section, field, fallback);
        if (Math.abs(x) > Integer.MAX_VALUE) throw new IllegalArgumentException("training config: " + field + " is too large, got " + (long) x);
        return (int) x;
    }

    private static boolean bool(JsonNode section, String field, boolean fallback) {
        JsonNode v = given(section, field);
        return v == null ? fallback : ModelConfigFiles.bool(v, "training config: " + field);
    }

    private static String text(JsonNode section, String field, String fallback) {
        JsonNode v = given(section, field);
        if (v == null) return fallback;
        if (!v.isValueNode() || v.isBoolean()) throw new IllegalArgumentException("training config: " + field + " must be a string, got " + v);
        return v.asText();
    }

    private static String choice(JsonNode section, String field, String fallback, String... allowed) {
        String v = text(section, field, fallback);
        for (String a : allowed) if (a.equalsIgnoreCase(v)) return a;
        throw new IllegalArgumentException("training config: " + field + " must be one of " + String.join(", ", allowed) + ", got '" + v + "'");
    }

    /**
     * The recipe tree with {@code section.key=value} overrides applied ({@code anvil train --set}),
     * each value read as YAML (so {@code 3e-4}, {@code true}, {@code [a, b]} keep their types).
     * Model fields go under {@code model}; the result is checked like a recipe file.
     */
    public static ObjectNode withOverrides(JsonNode root, List<String> overrides) {
        if (root == null || !root.isObject()) throw new IllegalArgumentException("training config must be a mapping with model, data, train, eval, checkpoint");
        ObjectNode tree = (ObjectNode) root.deepCopy();
        Set<String> sections = Set.of("model", "data", "train", "eval", "checkpoint");
        for (String o : overrides) {
            int eq = o.indexOf('=');
            String key = eq > 0 ? o.substring(0, eq) : "";
            int dot = key.indexOf('.');
            if (eq <= 0 || dot <= 0 || dot == key.length() - 1 || key.indexOf('.', dot + 1) >= 0 || !sections.contains(key.substring(0, dot))) {
                throw new IllegalArgumentException("--set " + o + ": expected SECTION.KEY=VALUE with SECTION one of " + new java.util.TreeSet<>(sections)
                        + ", e.g. train.seed=7");
            }
            String section = key.substring(0, dot), field = key.substring(dot + 1), value = o.substring(eq + 1);
            JsonNode parsed;
            try {
                parsed = value.isEmpty() ? null : ModelConfigFiles.yaml().readTree(value);
            } catch (IOException e) {
                parsed = null;
            }
            JsonNode s = tree.get(section);
            if (s != null && !s.isNull() && !s.isObject()) throw new IllegalArgumentException("training config: '" + section + "' must be a mapping");
            ObjectNode target = s instanceof ObjectNode on ? on : tree.putObject(section);
            target.set(field, parsed == null || parsed.isMissingNode() ? com.fasterxml.jackson.databind.node.TextNode.valueOf(value) : parsed);
        }
        return tree;
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
