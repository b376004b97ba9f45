package dev.anvil.cli.recipe;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.anvil.train.TrainingSchema;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every key a recipe may hold, its type and its default. The sections mirror the commands: the
 * options of {@code anvil data run} (a pipeline file's fields, with the input given as a built-in
 * corpus or paths), {@code anvil tokenizer train}, {@code anvil tokenize}, {@code anvil train}
 * (the training recipe's model / train / eval / checkpoint sections, flattened into {@code train},
 * taken from TrainingSchema rather than listed here), and the evaluation, sampling and export stages.
 */
final class RecipeSchema {
    private RecipeSchema() {}

    /** MAPPING: a mapping whose keys its owner checks (the model config's, by ModelConfigFiles); ANY: a value inside one. */
    enum Kind { SECTION, MAPPING, INT, NUMBER, STRING, BOOL, STRINGS, LIST, ANY }

    /** One key: its kind, the fields of a section, the allowed values of a string (empty = any), the default (null = none). */
    record Key(Kind kind, Map<String, Key> fields, List<String> choices, JsonNode dflt) {
        String describe() {
            return switch (kind) {
                case SECTION, MAPPING -> "a mapping";
                case INT -> "a whole number";
                case NUMBER -> "a number";
                case STRING -> choices.isEmpty() ? "a string" : "one of " + String.join(", ", choices);
                case BOOL -> "true or false";
                case STRINGS -> "a list of strings";
                case LIST -> "a list";
                case ANY -> "a value";
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

    static Key number(Double dflt) {
        return new Key(Kind.NUMBER, Map.of(), List.of(), dflt == null ? null : N.numberNode(dflt));
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

    /** A value under a {@link Kind#MAPPING}, e.g. {@code --set train.model.activation=gelu}: its owner checks it. */
    static final Key ANY = new Key(Kind.ANY, Map.of(), List.of(), null);

    /**
     * The training keys, from TrainingSchema (the one declaration TrainingConfig reads too): the
     * train section's keys, the loader's {@code order} (data.order there; data.path and
     * val_fraction come from the tokenize stage), the {@code eval} and {@code checkpoint}
     * sections, {@code model} (checked by ModelConfigFiles, the one list of model keys) and
     * {@code config}, a training config file the keys here override. The defaults are left to
     * TrainingConfig: filled in here they would override the values of a {@code config} file.
     */
    static final Key TRAIN = trainSection();

    private static Key trainSection() {
        Map<String, Key> fields = new LinkedHashMap<>();
        fields.put("config", string(null));
        fields.put("model", new Key(Kind.MAPPING, Map.of(), List.of(), null));
        fields.put(TrainingSchema.ORDER.name(), of(TrainingSchema.ORDER));
        for (TrainingSchema.Key k : TrainingSchema.section("train")) fields.put(k.name(), of(k));
        for (String section : List.of("eval", "checkpoint")) {
            Map<String, Key> keys = new LinkedHashMap<>();
            for (TrainingSchema.Key k : TrainingSchema.section(section)) keys.put(k.name(), of(k));
            fields.put(section, new Key(Kind.SECTION, keys, List.of(), null));
        }
        return new Key(Kind.SECTION, fields, List.of(), null);
    }

    /** A training key as a recipe key, without its default (see {@link #TRAIN}). */
    private static Key of(TrainingSchema.Key k) {
        Kind kind = switch (k.type()) {
            case INT -> Kind.INT;
            case NUMBER -> Kind.NUMBER;
            case STRING -> Kind.STRING;
            case BOOL -> Kind.BOOL;
        };
        return new Key(kind, Map.of(), k.choices(), null);
    }

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
