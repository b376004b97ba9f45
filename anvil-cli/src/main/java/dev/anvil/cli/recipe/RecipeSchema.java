package dev.anvil.cli.recipe;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every key a recipe may hold, its type and its default. The sections mirror the commands: the
 * options of {@code anvil data run} (a pipeline file's fields, with the input given as a built-in
 * corpus or paths), {@code anvil tokenizer train}, {@code anvil tokenize}, {@code anvil train}
 * (the training recipe's model / train / eval / checkpoint sections, flattened into {@code train}),
 * and the evaluation, sampling and export stages.
 */
final class RecipeSchema {
    private RecipeSchema() {}

    enum Kind { SECTION, INT, NUMBER, STRING, BOOL, STRINGS, LIST }

    /** One key: its kind, the fields of a section, the allowed values of a string (empty = any), the default (null = none). */
    record Key(Kind kind, Map<String, Key> fields, List<String> choices, JsonNode dflt) {
        String describe() {
            return switch (kind) {
                case SECTION -> "a mapping";
                case INT -> "a whole number";
                case NUMBER -> "a number";
                case STRING -> choices.isEmpty() ? "a string" : "one of " + String.join(", ", choices);
                case BOOL -> "true or false";
                case STRINGS -> "a list of strings";
                case LIST -> "a list";
            };
        }
    }

    private static final JsonNodeFactory N = JsonNodeFactory.instance;

    static Key section(Object... namesAndKeys) {
        Map<String, Key> fields = new LinkedHashMap<>();
        for (int i = 0; i < namesAndKeys.length; i += 2) fields.put((String) namesAndKeys[i], (Key) namesAndKeys[i + 1]);
        return new Key(Kind.SECTION, fields, List.of(), null);
    }

    static Key integer(Long dflt) {
        return new Key(Kind.INT, Map.of(), List.of(), dflt == null ? null : N.numberNode(dflt));
    }

    static Key integer() {
        return integer(null);
    }

    static Key number(Double dflt) {
        return new Key(Kind.NUMBER, Map.of(), List.of(), dflt == null ? null : N.numberNode(dflt));
    }

    static Key number() {
        return number(null);
    }

    static Key string(String dflt, String... choices) {
        return new Key(Kind.STRING, Map.of(), List.of(choices), dflt == null ? null : N.textNode(dflt));
    }

    static Key bool(Boolean dflt) {
        return new Key(Kind.BOOL, Map.of(), List.of(), dflt == null ? null : N.booleanNode(dflt));
    }

    static Key strings(String... dflt) {
        var a = N.arrayNode();
        for (String s : dflt) a.add(s);
        return new Key(Kind.STRINGS, Map.of(), List.of(), dflt.length == 0 ? null : a);
    }

    static Key list() {
        return new Key(Kind.LIST, Map.of(), List.of(), null);
    }

    /** The training keys: TrainingConfig's train section plus model, eval, checkpoint and the loader order; defaults are TrainingConfig's. */
    static final Key TRAIN = section(
            "config", string(null),
            "model", section("family", string(null, "gpt2", "llama"), "depth", integer(), "vocab_size", integer(),
                    "context_length", integer(), "n_layer", integer(), "n_head", integer(), "n_kv_head", integer(), "d_model", integer(),
                    "d_ff", integer(), "rope_theta", number(), "norm_eps", number(), "tie_embeddings", bool(null), "bias", bool(null)),
            "order", string(null, "random", "sequential"),
            "batch_size", integer(), "seq_len", integer(), "grad_accum", integer(), "max_steps", integer(), "lr", number(),
            "min_lr", number(), "warmup_steps", integer(), "schedule", string(null, "cosine", "linear", "constant"),
            "weight_decay", number(), "beta1", number(), "beta2", number(), "eps", number(), "grad_clip", number(),
            "dropout", number(), "seed", integer(), "on_nonfinite", string(null, "skip", "stop"), "spike_factor", number(),
            "log_interval", integer(), "measure_gemm_ceiling", bool(null),
            "eval", section("interval", integer(), "batches", integer(), "sample_interval", integer(), "sample_tokens", integer(),
                    "temperature", number(), "top_k", integer()),
            "checkpoint", section("interval", integer(), "keep", integer()));

    static final Key RECIPE = section(
            "name", string(null),
            "run_dir", string(null),
            "data", section(
                    "corpus", string(null, BuiltinCorpus.NAMES.toArray(String[]::new)),
                    "inputs", strings(),
                    "max_documents", integer(0L),
                    "format", string("auto"),
                    "jsonl", section("text_field", string("text"), "id_field", string("id")),
                    "shard_mb", number(64.0),
                    "steps", list()),
            "tokenizer", section(
                    "type", string("bpe", "bpe", "char"),
                    "vocab_size", integer(4096L),
                    "pattern", string("cl100k"),
                    "special_tokens", strings("<|endoftext|>"),
                    "min_frequency", integer(2L),
                    "doc_cap", integer(0L),
                    "heldout_documents", integer(100L)),
            "tokenize", section(
                    "val_fraction", number(0.05),
                    "shard_tokens", integer(100_000_000L)),
            "train", TRAIN,
            "eval", section(
                    "batches", integer(0L)),
            "sample", section(
                    "prompts", strings("The"),
                    "max_tokens", integer(120L),
                    "temperature", number(0.8),
                    "top_k", integer(40L),
                    "top_p", number(1.0),
                    "min_p", number(0.0),
                    "repetition_penalty", number(1.0),
                    "seed", integer(1L)),
            "export", section(
                    "format", string("none", "none", "gguf", "hf"),
                    "dtype", string("f32", "f32", "f16", "bf16", "q8_0")));
}
