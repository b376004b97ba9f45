package dev.anvil.train;

import java.util.ArrayList;
import java.util.List;

/**
 * Every key of a training config, declared once: section, name, type, default and meaning.
 * {@link TrainingConfig} reads its YAML through these keys, and the recipe checker of
 * {@code anvil run} (anvil-cli's {@code RecipeSchema}) builds its {@code train} section from
 * {@link #KEYS}, so the two cannot disagree about which keys exist or what type they have.
 *
 * <p>The {@code model} section is not listed here: its keys are the model config's, read and
 * checked by {@code ModelConfigFiles} (anvil-model), which both readers hand the section to.
 */
public final class TrainingSchema {

    private TrainingSchema() {}

    public enum Type { INT, NUMBER, STRING, BOOL }

    /**
     * @param defaultValue the value when the key is absent or null (Integer, Long, Double, String or
     *                     Boolean); null for a key without one ({@code data.path})
     * @param choices      the allowed values of a STRING key (empty = any)
     */
    public record Key(String section, String name, Type type, Object defaultValue, List<String> choices, String doc) {
        /** {@code section.name}, as messages and {@code --set} spell it. */
        public String path() {
            return section + "." + name;
        }
    }

    /** The sections of a training config, in file order. */
    public static final List<String> SECTIONS = List.of("model", "data", "train", "eval", "checkpoint");

    private static final List<Key> ALL = new ArrayList<>();

    public static final Key DATA_PATH = key("data", "path", Type.STRING, null,
            "a directory of token shards, or a text file (a character vocabulary is fitted and the text split by val_fraction)");
    public static final Key VAL_FRACTION = key("data", "val_fraction", Type.NUMBER, 0.1, "held-out share of a text file given as data.path");
    public static final Key ORDER = choice("data", "order", "random", "the windows' order: random offsets, or sequential through the shards",
            "random", "sequential");

    public static final Key BATCH_SIZE = key("train", "batch_size", Type.INT, 12, "sequences per micro-batch (B)");
    public static final Key SEQ_LEN = key("train", "seq_len", Type.INT, 0, "tokens per sequence (T); 0 = the model's context length");
    public static final Key GRAD_ACCUM = key("train", "grad_accum", Type.INT, 1, "micro-batches per optimizer step");
    public static final Key MAX_STEPS = key("train", "max_steps", Type.INT, 2000, "optimizer steps of the run");
    public static final Key LR = key("train", "lr", Type.NUMBER, 1e-3, "peak learning rate");
    public static final Key MIN_LR = key("train", "min_lr", Type.NUMBER, 1e-4, "learning rate at the end of a cosine or linear decay");
    public static final Key WARMUP_STEPS = key("train", "warmup_steps", Type.INT, 100, "steps of linear warmup from 0 to lr");
    public static final Key SCHEDULE = choice("train", "schedule", "cosine", "decay after warmup", "cosine", "linear", "constant");
    public static final Key WEIGHT_DECAY = key("train", "weight_decay", Type.NUMBER, 0.1, "AdamW decoupled weight decay of the matrices (embeddings included)");
    public static final Key BETA1 = key("train", "beta1", Type.NUMBER, 0.9, "AdamW β₁");
    public static final Key BETA2 = key("train", "beta2", Type.NUMBER, 0.99, "AdamW β₂");
    public static final Key EPS = key("train", "eps", Type.NUMBER, 1e-8, "AdamW ε");
    public static final Key GRAD_CLIP = key("train", "grad_clip", Type.NUMBER, 1.0, "global gradient norm clip; 0 = off");
    public static final Key DROPOUT = key("train", "dropout", Type.NUMBER, 0.0, "dropout probability in [0, 1)");
    public static final Key SEED = key("train", "seed", Type.INT, 1337L, "seed of the initialization, the batch order, dropout and samples");
    public static final Key ON_NONFINITE = choice("train", "on_nonfinite", "skip", "a NaN/∞ loss or gradient norm skips the update or stops the run",
            "skip", "stop");
    public static final Key SPIKE_FACTOR = key("train", "spike_factor", Type.NUMBER, 2.0, "a loss above this × its running average is logged as a spike");
    public static final Key LOG_INTERVAL = key("train", "log_interval", Type.INT, 10, "steps between console lines");
    public static final Key MEASURE_GEMM_CEILING = key("train", "measure_gemm_ceiling", Type.BOOL, true,
            "measure the GEMM kernel's FLOP/s after 20 steps, for the MFU figure");

    public static final Key EVAL_INTERVAL = key("eval", "interval", Type.INT, 250, "steps between validations; 0 = none");
    public static final Key EVAL_BATCHES = key("eval", "batches", Type.INT, 20, "batch_size × seq_len windows of the val split per validation");
    public static final Key SAMPLE_INTERVAL = key("eval", "sample_interval", Type.INT, 500, "steps between samples; 0 = none");
    public static final Key SAMPLE_TOKENS = key("eval", "sample_tokens", Type.INT, 200, "tokens per sample");
    public static final Key TEMPERATURE = key("eval", "temperature", Type.NUMBER, 0.8, "sampling temperature; 0 = greedy");
    public static final Key TOP_K = key("eval", "top_k", Type.INT, 200, "sample from the k most probable tokens; 0 = all");

    public static final Key CHECKPOINT_INTERVAL = key("checkpoint", "interval", Type.INT, 500, "steps between checkpoints (the last step always writes one); 0 = only the last");
    public static final Key CHECKPOINT_KEEP = key("checkpoint", "keep", Type.INT, 3, "newest checkpoints kept");

    /** Every key but the model's, in declaration order. */
    public static final List<Key> KEYS = List.copyOf(ALL);

    /** The keys of one section (none for {@code model}). */
    public static List<Key> section(String section) {
        return KEYS.stream().filter(k -> k.section().equals(section)).toList();
    }

    private static Key key(String section, String name, Type type, Object dflt, String doc) {
        Key k = new Key(section, name, type, dflt, List.of(), doc);
        ALL.add(k);
        return k;
    }

    private static Key choice(String section, String name, String dflt, String doc, String... choices) {
        Key k = new Key(section, name, Type.STRING, dflt, List.of(choices), doc);
        ALL.add(k);
        return k;
    }
}
