package dev.anvil.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * Model configs as YAML or JSON (JSON is read by the same parser). Explicit form:
 * <pre>
 * family: gpt2            # or llama
 * vocab_size: 65
 * context_length: 64
 * n_layer: 4
 * n_head: 4
 * d_model: 128
 * # optional: n_kv_head, d_ff, rope_theta, norm_eps, tie_embeddings, bias,
 * #           activation (gpt2: gelu_tanh (default) or gelu; llama: swiglu)
 * </pre>
 * or nanochat's dial: {@code family}, {@code depth}, {@code vocab_size}, {@code context_length}
 * (width = 64·depth, head size 128), optionally overriding any explicit field.
 */
public final class ModelConfigFiles {

    private static final Set<String> FIELDS = Set.of("family", "depth", "vocab_size", "context_length", "n_layer", "n_head",
            "n_kv_head", "d_model", "d_ff", "rope_theta", "norm_eps", "tie_embeddings", "bias", "activation");

    private ModelConfigFiles() {}

    public static ObjectMapper yaml() {
        return new YAMLMapper();
    }

    public static ModelConfig read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new IOException("model config " + file + ": no such file");
        JsonNode root = yaml().readTree(file.toFile());
        try {
            return fromTree(root);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }

    /** A config from a parsed tree; {@code vocab_size} may be absent if {@code defaultVocab} &gt; 0. */
    public static ModelConfig fromTree(JsonNode n) {
        return fromTree(n, 0);
    }

    public static ModelConfig fromTree(JsonNode n, int defaultVocab) {
        if (n == null || !n.isObject()) throw new IllegalArgumentException("model config must be a mapping of fields");
        List<String> unknown = new ArrayList<>();
        for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!FIELDS.contains(f)) unknown.add(f);
        }
        if (!unknown.isEmpty()) throw new IllegalArgumentException("model config: unknown field(s) " + unknown + "; known: " + new java.util.TreeSet<>(FIELDS));
        if (!n.hasNonNull("family")) throw new IllegalArgumentException("model config: 'family' (gpt2 or llama) is missing");
        ModelConfig.Family family = ModelConfig.Family.parse(n.get("family").asText());
        int vocab = n.hasNonNull("vocab_size") ? intField(n, "vocab_size") : defaultVocab;
        if (vocab <= 0) throw new IllegalArgumentException("model config: 'vocab_size' is missing");
        int context = intField(n, "context_length");
        ModelConfig base;
        if (n.hasNonNull("depth")) {
            base = ModelConfig.fromDepth(family, intField(n, "depth"), vocab, context);
        } else {
            int layers = intField(n, "n_layer"), heads = intField(n, "n_head"), width = intField(n, "d_model");
            base = family == ModelConfig.Family.GPT2 ? ModelConfig.gpt2(vocab, context, layers, heads, width, true)
                    : ModelConfig.llama(vocab, context, layers, heads, heads, width);
        }
        int layers = n.hasNonNull("n_layer") ? intField(n, "n_layer") : base.layers();
        int heads = n.hasNonNull("n_head") ? intField(n, "n_head") : base.heads();
        int width = n.hasNonNull("d_model") ? intField(n, "d_model") : base.width();
        int kv = n.hasNonNull("n_kv_head") ? intField(n, "n_kv_head") : heads;
        int ff = n.hasNonNull("d_ff") ? intField(n, "d_ff")
                : family == ModelConfig.Family.GPT2 ? 4 * width : ModelConfig.llamaHidden(width);
        return new ModelConfig(family, vocab, context, layers, heads, kv, width, ff,
                doubleField(n, "rope_theta", base.ropeTheta()),
                doubleField(n, "norm_eps", base.normEps()),
                boolField(n, "tie_embeddings", base.tiedEmbeddings()),
                boolField(n, "bias", base.bias()),
                n.hasNonNull("activation") ? ModelConfig.Activation.parse(n.get("activation").asText()) : ModelConfig.Activation.defaultFor(family));
    }

    /**
     * The explicit form of a config (every field spelled out, except an activation that is the
     * family's default: configs and checkpoints written before the field existed stay equal).
     */
    public static ObjectNode toTree(ModelConfig c) {
        ObjectNode n = new ObjectMapper().createObjectNode();
        n.put("family", c.family().name().toLowerCase());
        n.put("vocab_size", c.vocabSize());
        n.put("context_length", c.contextLength());
        n.put("n_layer", c.layers());
        n.put("n_head", c.heads());
        n.put("n_kv_head", c.kvHeads());
        n.put("d_model", c.width());
        n.put("d_ff", c.hiddenWidth());
        if (c.family() == ModelConfig.Family.LLAMA) n.put("rope_theta", c.ropeTheta());
        n.put("norm_eps", c.normEps());
        n.put("tie_embeddings", c.tiedEmbeddings());
        n.put("bias", c.bias());
        if (c.activation() != ModelConfig.Activation.defaultFor(c.family())) n.put("activation", c.activation().key());
        return n;
    }

    public static void write(ModelConfig c, Path file) throws IOException {
        yaml().writeValue(file.toFile(), toTree(c));
    }

    private static double doubleField(JsonNode n, String field, double fallback) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? fallback : number(v, "model config: '" + field + "'");
    }

    private static boolean boolField(JsonNode n, String field, boolean fallback) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? fallback : bool(v, "model config: '" + field + "'");
    }

    /**
     * A config value that must be a number; YAML 1.1 hands some over as text ("3e-4", "1e4": an
     * exponent without a decimal point), which count. Anything else is an error naming {@code what},
     * never a silent default.
     */
    public static double number(JsonNode v, String what) {
        if (v.isNumber()) return v.asDouble();
        if (v.isTextual()) {
            try {
                return Double.parseDouble(v.asText().trim());
            } catch (NumberFormatException ignored) {
                // reported below
            }
        }
        throw new IllegalArgumentException(what + " must be a number, got " + v);
    }

    /** A config value that must be true or false (a YAML boolean, or the text "true" / "false"). */
    public static boolean bool(JsonNode v, String what) {
        if (v.isBoolean()) return v.asBoolean();
        if (v.isTextual() && (v.asText().equals("true") || v.asText().equals("false"))) return Boolean.parseBoolean(v.asText());
        throw new IllegalArgumentException(what + " must be true or false, got " + v);
    }

    private static int intField(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) throw new IllegalArgumentException("model config: '" + field + "' is missing");
        if (!v.canConvertToInt() || !v.isIntegralNumber()) throw new IllegalArgumentException("model config: '" + field + "' must be an integer, got " + v);
        return v.asInt();
    }
}
