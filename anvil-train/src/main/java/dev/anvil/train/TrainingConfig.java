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

import static dev.anvil.train.TrainingSchema.*;

/**
 * A training recipe, read from YAML with the sections {@code model} (a model config, read by
 * {@code ModelConfigFiles}; vocab_size defaults to the tokenizer's), {@code data}, {@code train},
 * {@code eval} and {@code checkpoint}, whose keys, types and defaults (nanoGPT's where it has one)
 * are declared once in {@link TrainingSchema}. {@code data.path} may be left out and given on the
 * command line.
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
        checkFields("", root, TrainingSchema.SECTIONS);
        if (!root.hasNonNull("model")) throw new IllegalArgumentException("training config: the 'model' section is missing");
        JsonNode d = section(root, "data"), t = section(root, "train"), e = section(root, "eval"), c = section(root, "checkpoint");

        Data data = new Data(text(d, DATA_PATH), real(d, VAL_FRACTION), TokenWindowLoader.Order.valueOf(choice(d, ORDER).toUpperCase()));
        Train train = new Train(integer(t, BATCH_SIZE), integer(t, SEQ_LEN), integer(t, GRAD_ACCUM), integer(t, MAX_STEPS),
                real(t, LR), real(t, MIN_LR), integer(t, WARMUP_STEPS), choice(t, SCHEDULE), real(t, WEIGHT_DECAY),
                real(t, BETA1), real(t, BETA2), real(t, EPS), real(t, GRAD_CLIP), real(t, DROPOUT), (long) integral(t, SEED),
                NonFinitePolicy.valueOf(choice(t, ON_NONFINITE).toUpperCase()), real(t, SPIKE_FACTOR), integer(t, LOG_INTERVAL),
                bool(t, MEASURE_GEMM_CEILING));
        Eval eval = new Eval(integer(e, EVAL_INTERVAL), integer(e, EVAL_BATCHES), integer(e, SAMPLE_INTERVAL), integer(e, SAMPLE_TOKENS),
                real(e, TEMPERATURE), integer(e, TOP_K));
        Checkpoint ckpt = new Checkpoint(integer(c, CHECKPOINT_INTERVAL), integer(c, CHECKPOINT_KEEP));
        TrainingConfig config = new TrainingConfig(root.get("model"), data, train, eval, ckpt);
        config.validate();
        return config;
    }

    // Typed fields: a value of the wrong type is an error naming the field, never a silent default;
    // an absent one takes the key's declared default.

    /** The field's value, or null when it is absent or YAML null (the default applies). */
    private static JsonNode given(JsonNode section, TrainingSchema.Key key) {
        JsonNode v = section.get(key.name());
        return v == null || v.isNull() ? null : v;
    }

    private static double real(JsonNode section, TrainingSchema.Key key) {
        JsonNode v = given(section, key);
        return v == null ? ((Number) key.defaultValue()).doubleValue() : ModelConfigFiles.number(v, "training config: " + key.path());
    }

    private static double integral(JsonNode section, TrainingSchema.Key key) {
        JsonNode v = given(section, key);
        if (v == null) return ((Number) key.defaultValue()).longValue();
        double x = ModelConfigFiles.number(v, "training config: " + key.path());
        if (x != Math.rint(x) || Math.abs(x) > 9e15) throw new IllegalArgumentException("training config: " + key.path() + " must be a whole number, got " + v);
        return x;
    }

    private static int integer(JsonNode section, TrainingSchema.Key key) {
        double x = integral(section, key);
        if (Math.abs(x) > Integer.MAX_VALUE) throw new IllegalArgumentException("training config: " + key.path() + " is too large, got " + (long) x);
        return (int) x;
    }

    private static boolean bool(JsonNode section, TrainingSchema.Key key) {
        JsonNode v = given(section, key);
        return v == null ? (Boolean) key.defaultValue() : ModelConfigFiles.bool(v, "training config: " + key.path());
    }

    private static String text(JsonNode section, TrainingSchema.Key key) {
        JsonNode v = given(section, key);
        if (v == null) return (String) key.defaultValue();
        if (!v.isValueNode() || v.isBoolean()) throw new IllegalArgumentException("training config: " + key.path() + " must be a string, got " + v);
        return v.asText();
    }

    private static String choice(JsonNode section, TrainingSchema.Key key) {
        String v = text(section, key);
        for (String a : key.choices()) if (a.equalsIgnoreCase(v)) return a;
        throw new IllegalArgumentException("training config: " + key.path() + " must be one of " + String.join(", ", key.choices()) + ", got '" + v + "'");
    }

    /**
     * The recipe tree with {@code section.key=value} overrides applied ({@code anvil train --set}),
     * each value read as YAML (so {@code 3e-4}, {@code true}, {@code [a, b]} keep their types).
     * Model fields go under {@code model}; the result is checked like a recipe file.
     */
    public static ObjectNode withOverrides(JsonNode root, List<String> overrides) {
        if (root == null || !root.isObject()) throw new IllegalArgumentException("training config must be a mapping with model, data, train, eval, checkpoint");
        ObjectNode tree = (ObjectNode) root.deepCopy();
        List<String> sections = TrainingSchema.SECTIONS;
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
        if (!(eval.temperature() >= 0) || Double.isInfinite(eval.temperature())) problems.add("eval.temperature must be ≥ 0 (0 = greedy), got " + eval.temperature());
        if (eval.topK() < 0) problems.add("eval.top_k must be ≥ 0 (0 = all tokens), got " + eval.topK());
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

    private static JsonNode section(JsonNode root, String name) {
        JsonNode s = root.get(name);
        if (s == null || s.isNull()) return ModelConfigFiles.yaml().createObjectNode();
        if (!s.isObject()) throw new IllegalArgumentException("training config: '" + name + "' must be a mapping");
        checkFields(name + ".", s, TrainingSchema.section(name).stream().map(TrainingSchema.Key::name).toList());
        return s;
    }

    private static void checkFields(String prefix, JsonNode n, List<String> known) {
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
        if (data.path() != null) d.put(DATA_PATH.name(), data.path());
        d.put(VAL_FRACTION.name(), data.valFraction());
        d.put(ORDER.name(), data.order().name().toLowerCase());
        ObjectNode t = root.putObject("train");
        t.put(BATCH_SIZE.name(), train.batchSize()).put(SEQ_LEN.name(), train.seqLen()).put(GRAD_ACCUM.name(), train.gradAccum())
                .put(MAX_STEPS.name(), train.maxSteps()).put(LR.name(), train.lr()).put(MIN_LR.name(), train.minLr())
                .put(WARMUP_STEPS.name(), train.warmupSteps()).put(SCHEDULE.name(), train.schedule()).put(WEIGHT_DECAY.name(), train.weightDecay())
                .put(BETA1.name(), train.beta1()).put(BETA2.name(), train.beta2()).put(EPS.name(), train.eps())
                .put(GRAD_CLIP.name(), train.gradClip()).put(DROPOUT.name(), train.dropout()).put(SEED.name(), train.seed())
                .put(ON_NONFINITE.name(), train.onNonFinite().name().toLowerCase()).put(SPIKE_FACTOR.name(), train.spikeFactor())
                .put(LOG_INTERVAL.name(), train.logInterval()).put(MEASURE_GEMM_CEILING.name(), train.measureGemmCeiling());
        ObjectNode e = root.putObject("eval");
        e.put(EVAL_INTERVAL.name(), eval.interval()).put(EVAL_BATCHES.name(), eval.batches()).put(SAMPLE_INTERVAL.name(), eval.sampleInterval())
                .put(SAMPLE_TOKENS.name(), eval.sampleTokens()).put(TEMPERATURE.name(), eval.temperature()).put(TOP_K.name(), eval.topK());
        root.putObject("checkpoint").put(CHECKPOINT_INTERVAL.name(), checkpoint.interval()).put(CHECKPOINT_KEEP.name(), checkpoint.keep());
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
