package dev.anvil.model.hf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.anvil.core.tensor.ParameterBuffer;
import dev.anvil.model.ModelConfig;
import dev.anvil.model.chat.ChatTemplate;
import dev.anvil.model.ModelWeights;
import dev.anvil.model.Safetensors;
import dev.anvil.model.TextTokenizer;
import dev.anvil.model.TransformerLayout;

import dev.anvil.model.WeightSet;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A model as a Hugging Face directory: {@code config.json} ({@code GPT2LMHeadModel} or
 * {@code LlamaForCausalLM}), {@code model.safetensors} (transformers' names; GPT-2's Conv1D
 * matrices transposed), {@code tokenizer.json}, {@code tokenizer_config.json},
 * {@code generation_config.json}. Reading also accepts sharded weights
 * ({@code model.safetensors.index.json}) and F16/BF16 tensors.
 *
 * <p>GPT-2 without biases (nanoGPT's {@code bias: false}) has no transformers equivalent, so it is
 * written with zero biases — the same function — and {@code "anvil_bias": false} in config.json,
 * which the reader uses to drop them again.
 */
public final class HuggingFaceDirectory {

    private HuggingFaceDirectory() {}

    public static final String CONFIG = "config.json", WEIGHTS = "model.safetensors", INDEX = "model.safetensors.index.json";

    public record Loaded(ModelConfig config, ParameterBuffer parameters, TextTokenizer tokenizer) {}

    /** True if {@code dir} looks like a Hugging Face model directory. */
    public static boolean isModelDirectory(Path dir) {
        return Files.isRegularFile(dir.resolve(CONFIG)) && (Files.isRegularFile(dir.resolve(WEIGHTS)) || Files.isRegularFile(dir.resolve(INDEX)));
    }

    /** Writes float32 weights and no chat template. */
    public static void write(Path dir, ModelConfig c, ParameterBuffer params, TextTokenizer tokenizer) throws IOException {
        write(dir, c, params, tokenizer, "F32", null);
    }

    /**
     * Writes the weights as {@code dtype} (safetensors' F32, F16 or BF16; {@code torch_dtype} says
     * which) and, when {@code chatTemplate} is not null, its Jinja form as {@code tokenizer_config.json}'s
     * {@code chat_template}.
     */
    public static void write(Path dir, ModelConfig c, ParameterBuffer params, TextTokenizer tokenizer, String dtype, ChatTemplate chatTemplate) throws IOException {
        String torchDtype = switch (dtype) {
            case "F32" -> "float32";
            case "F16" -> "float16";
            case "BF16" -> "bfloat16";
            default -> throw new IllegalArgumentException("Hugging Face export: dtype must be F32, F16 or BF16, got '" + dtype + "'");
        };
        Files.createDirectories(dir);
        ObjectMapper json = new ObjectMapper();
        Integer eos = tokenizer == null || tokenizer.documentSeparator().isEmpty() ? null : tokenizer.documentSeparator().getAsInt();
        ObjectNode config = json.createObjectNode();
        if (c.family() == ModelConfig.Family.GPT2) {
            config.putArray("architectures").add("GPT2LMHeadModel");
            config.put("model_type", "gpt2");
            config.put("vocab_size", c.vocabSize());
            config.put("n_positions", c.contextLength());
            config.put("n_ctx", c.contextLength());
            config.put("n_embd", c.width());
            config.put("n_layer", c.layers());
            config.put("n_head", c.heads());
            config.put("n_inner", c.hiddenWidth());
            // transformers' names: "gelu_new" is GPT-2's tanh form, "gelu" the erf form (torch nn.GELU()).
            config.put("activation_function", c.activation() == ModelConfig.Activation.GELU ? "gelu" : "gelu_new");
            config.put("layer_norm_epsilon", c.normEps());
            config.put("tie_word_embeddings", c.tiedEmbeddings());
            if (!c.bias()) config.put("anvil_bias", false);
        } else {
            config.putArray("architectures").add("LlamaForCausalLM");
            config.put("model_type", "llama");
            config.put("vocab_size", c.vocabSize());
            config.put("hidden_size", c.width());
            config.put("intermediate_size", c.hiddenWidth());
            config.put("num_hidden_layers", c.layers());
            config.put("num_attention_heads", c.heads());
            config.put("num_key_value_heads", c.kvHeads());
            config.put("head_dim", c.headDim());
            config.put("max_position_embeddings", c.contextLength());
            config.put("rms_norm_eps", c.normEps());
            config.put("rope_theta", c.ropeTheta());
            config.put("hidden_act", "silu");
            config.put("attention_bias", false);
            config.put("mlp_bias", false);
            config.put("tie_word_embeddings", c.tiedEmbeddings());
        }
        if (eos != null) {
            config.put("bos_token_id", eos);
            config.put("eos_token_id", eos);
        }
        config.put("torch_dtype", torchDtype);
        json.writerWithDefaultPrettyPrinter().writeValue(dir.resolve(CONFIG).toFile(), config);

        if (c.family() == ModelConfig.Family.GPT2 && !c.bias()) {
            ModelConfig withBias = withBias(c, true);
            ParameterBuffer biased = TransformerLayout.of(withBias).allocate();
            copyByName(params, biased);
            ModelWeights.save(withBias, biased, dir.resolve(WEIGHTS), Map.of(), dtype);
        } else {
            ModelWeights.save(c, params, dir.resolve(WEIGHTS), Map.of(), dtype);
        }

        ObjectNode gen = json.createObjectNode();
        gen.put("_from_model_config", true);
        if (eos != null) {
            gen.put("bos_token_id", eos);
            gen.put("eos_token_id", eos);
        }
        json.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("generation_config.json").toFile(), gen);

        if (tokenizer != null) {
            tokenizer.copyTo(dir); // tokenizer.json (Hugging Face's format for BPE; Anvil's own for character tokenizers)
            ObjectNode tc = json.createObjectNode();
            tc.put("tokenizer_class", "PreTrainedTokenizerFast");
            tc.put("model_max_length", c.contextLength());
            tc.put("clean_up_tokenization_spaces", false);
            tc.put("add_bos_token", false);
            if (eos != null) {
                String name = tokenizer.decode(new int[] {eos});
                tc.put("bos_token", name);
                tc.put("eos_token", name);
            }
            if (chatTemplate != null) tc.put("chat_template", chatTemplate.jinja());
            json.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("tokenizer_config.json").toFile(), tc);
        }
    }

    /** A Hugging Face directory for inference: config, weights mapped in their stored dtypes, tokenizer (or null). */
    public record Mapped(ModelConfig config, WeightSet weights, TextTokenizer tokenizer) {}

    /**
     * Maps the directory's safetensors (one file or the shards its index names) without a float32
     * copy of the matrices (see {@link ModelWeights#map}); the mapping lives as long as {@code arena}.
     */
    public static Mapped map(Path dir, Arena arena) throws IOException {
        Path configFile = dir.resolve(CONFIG);
        if (!Files.isRegularFile(configFile)) throw new IOException(dir + ": no " + CONFIG);
        ModelConfig c;
        try {
            c = configOf(new ObjectMapper().readTree(configFile.toFile()));
        } catch (IllegalArgumentException e) {
            throw new IOException(configFile + ": " + e.getMessage(), e);
        }
        List<Path> shards = new ArrayList<>();
        if (Files.isRegularFile(dir.resolve(WEIGHTS))) {
            shards.add(dir.resolve(WEIGHTS));
        } else {
            Path indexFile = dir.resolve(INDEX);
            if (!Files.isRegularFile(indexFile)) throw new IOException(dir + ": neither " + WEIGHTS + " nor " + INDEX);
            JsonNode map = new ObjectMapper().readTree(indexFile.toFile()).path("weight_map");
            if (!map.isObject()) throw new IOException(indexFile + ": no weight_map");
            java.util.Set<String> files = new java.util.LinkedHashSet<>();
            map.properties().forEach(e -> files.add(e.getValue().asText()));
            for (String f : files) shards.add(dir.resolve(f));
        }
        WeightSet weights = ModelWeights.map(c, ModelWeights.headsIn(c, shards), shards, arena);
        TextTokenizer tokenizer = Files.isRegularFile(dir.resolve(TextTokenizer.FILE)) ? TextTokenizer.load(dir.resolve(TextTokenizer.FILE)) : null;
        return new Mapped(c, weights, tokenizer);
    }

    public static Loaded read(Path dir) throws IOException {
        Path configFile = dir.resolve(CONFIG);
        if (!Files.isRegularFile(configFile)) throw new IOException(dir + ": no " + CONFIG);
        JsonNode n = new ObjectMapper().readTree(configFile.toFile());
        ModelConfig c;
        try {
            c = configOf(n);
        } catch (IllegalArgumentException e) {
            throw new IOException(configFile + ": " + e.getMessage(), e);
        }
        ParameterBuffer params = TransformerLayout.of(c).allocate();
        boolean dropBiases = c.family() == ModelConfig.Family.GPT2 && !c.bias();
        ModelConfig fileConfig = dropBiases ? withBias(c, true) : c;
        ParameterBuffer target = dropBiases ? TransformerLayout.of(fileConfig).allocate() : params;
        if (Files.isRegularFile(dir.resolve(WEIGHTS))) {
            ModelWeights.load(fileConfig, target, dir.resolve(WEIGHTS));
        } else {
            loadSharded(fileConfig, target, dir);
        }
        if (dropBiases) copyByName(target, params);
        TextTokenizer tokenizer = Files.isRegularFile(dir.resolve(TextTokenizer.FILE)) ? TextTokenizer.load(dir.resolve(TextTokenizer.FILE)) : null;
        return new Loaded(c, params, tokenizer);
    }

    static ModelConfig configOf(JsonNode n) {
        String type = n.path("model_type").asText("");
        switch (type) {
            case "gpt2" -> {
                String act = n.path("activation_function").asText("gelu_new");
                ModelConfig.Activation activation = switch (act) {
                    case "gelu_new", "gelu_pytorch_tanh" -> ModelConfig.Activation.GELU_TANH;
                    case "gelu" -> ModelConfig.Activation.GELU;
                    default -> throw new IllegalArgumentException("GPT-2 activation '" + act
                            + "' is not supported (supported: gelu_new and gelu_pytorch_tanh, GPT-2's tanh form; gelu, the erf form)");
                };
                int width = req(n, "n_embd");
                int inner = n.hasNonNull("n_inner") ? n.get("n_inner").asInt() : 4 * width;
                int heads = req(n, "n_head");
                return new ModelConfig(ModelConfig.Family.GPT2, req(n, "vocab_size"), req(n, "n_positions"), req(n, "n_layer"), heads, heads,
                        width, inner, 0, n.path("layer_norm_epsilon").asDouble(1e-5), n.path("tie_word_embeddings").asBoolean(true),
                        n.path("anvil_bias").asBoolean(true), activation);
            }
            case "llama" -> {
                String act = n.path("hidden_act").asText("silu");
                if (!act.equals("silu")) throw new IllegalArgumentException("Llama activation '" + act + "' is not supported (supported: silu)");
                if (n.path("attention_bias").asBoolean(false) || n.path("mlp_bias").asBoolean(false)) {
                    throw new IllegalArgumentException("Llama with attention_bias / mlp_bias is not supported");
                }
                if (n.hasNonNull("rope_scaling")) throw new IllegalArgumentException("rope_scaling " + n.get("rope_scaling") + " is not supported");
                int width = req(n, "hidden_size"), heads = req(n, "num_attention_heads");
                if (n.hasNonNull("head_dim") && n.get("head_dim").asInt() != width / heads) {
                    throw new IllegalArgumentException("head_dim " + n.get("head_dim").asInt() + " ≠ hidden_size / num_attention_heads is not supported");
                }
                return new ModelConfig(ModelConfig.Family.LLAMA, req(n, "vocab_size"), req(n, "max_position_embeddings"), req(n, "num_hidden_layers"),
                        heads, n.hasNonNull("num_key_value_heads") ? n.get("num_key_value_heads").asInt() : heads, width, req(n, "intermediate_size"),
                        n.path("rope_theta").asDouble(10000), n.path("rms_norm_eps").asDouble(1e-6), n.path("tie_word_embeddings").asBoolean(false), false);
            }
            default -> throw new IllegalArgumentException("model_type '" + type + "' is not supported (supported: gpt2, llama)");
        }
    }

    private static int req(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || !v.canConvertToInt()) throw new IllegalArgumentException("'" + field + "' is missing or not an integer");
        return v.asInt();
    }

    private static ModelConfig withBias(ModelConfig c, boolean bias) {
        return new ModelConfig(c.family(), c.vocabSize(), c.contextLength(), c.layers(), c.heads(), c.kvHeads(), c.width(), c.hiddenWidth(),
                c.ropeTheta(), c.normEps(), c.tiedEmbeddings(), bias, c.activation());
    }

    /** Copies every tensor of {@code from} that {@code to} also has (same name and size); the rest of {@code to} is left as it is. */
    private static void copyByName(ParameterBuffer from, ParameterBuffer to) {
        for (ParameterBuffer.Layout.Entry e : to.layout().entries()) {
            ParameterBuffer.Layout.Entry f;
            try {
                f = from.layout().entry(e.name());
            } catch (IllegalArgumentException missing) {
                continue;
            }
            if (f == null) continue;
            System.arraycopy(from.data(), f.offset(), to.data(), e.offset(), e.shape().size());
        }
    }

    /** Weights split over several safetensors files, as listed by the index's weight_map. */
    private static void loadSharded(ModelConfig c, ParameterBuffer params, Path dir) throws IOException {
        Path indexFile = dir.resolve(INDEX);
        if (!Files.isRegularFile(indexFile)) throw new IOException(dir + ": neither " + WEIGHTS + " nor " + INDEX);
        JsonNode map = new ObjectMapper().readTree(indexFile.toFile()).path("weight_map");
        if (!map.isObject()) throw new IOException(indexFile + ": no weight_map");
        Map<String, Safetensors.Reader> readers = new LinkedHashMap<>();
        try {
            Set<String> used = new HashSet<>();
            for (ParameterBuffer.Layout.Entry e : params.layout().entries()) {
                String name = map.has(e.name()) ? e.name() : "transformer." + e.name();
                if (!map.has(name)) throw new IOException(indexFile + ": tensor '" + e.name() + "' is not in the weight_map (" + c.summary() + ")");
                Path shard = dir.resolve(map.get(name).asText());
                Safetensors.Reader r = readers.get(shard.toString());
                if (r == null) {
                    r = new Safetensors.Reader(shard);
                    readers.put(shard.toString(), r);
                }
                boolean conv = TransformerLayout.isConv1D(c, e.name());
                int[] dims = e.shape().dims();
                int[] expected = conv ? new int[] {dims[1], dims[0]} : dims;
                if (!r.tensors().containsKey(name)) throw new IOException(shard + ": tensor '" + name + "' is missing (the index lists it here)");
                if (!Arrays.equals(r.info(name).shape(), expected)) {
                    throw new IOException(shard + ": tensor '" + name + "' has shape " + Arrays.toString(r.info(name).shape()) + ", expected " + Arrays.toString(expected));
                }
                r.read(name, params.data(), e.offset(), conv);
                used.add(name);
            }
            List<String> unexpected = new ArrayList<>();
            for (var it = map.fieldNames(); it.hasNext(); ) {
                String name = it.next();
                boolean buffer = name.endsWith(".attn.bias") || name.endsWith(".attn.masked_bias") || name.endsWith("rotary_emb.inv_freq");
                if (!used.contains(name) && !buffer && !(c.tiedEmbeddings() && name.equals("lm_head.weight"))) unexpected.add(name);
            }
            if (!unexpected.isEmpty()) throw new IOException(indexFile + ": unexpected tensors " + unexpected + " for " + c.summary());
        } finally {
            for (Safetensors.Reader r : readers.values()) r.close();
        }
    }
}
