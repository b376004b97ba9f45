package dev.anvil.model.gguf;

import dev.anvil.core.kernels.Rope;
import dev.anvil.core.tensor.ParameterBuffer;
import dev.anvil.core.tensor.Tensor;
import dev.anvil.core.tensor.Weight;
import dev.anvil.model.Heads;
import dev.anvil.model.WeightSet;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import dev.anvil.model.ModelConfig;
import dev.anvil.model.chat.ChatTemplate;
import dev.anvil.model.TransformerLayout;
import dev.anvil.tokenizer.BpeTokenizer;
import dev.anvil.tokenizer.bpe.TokenTable;
import dev.anvil.tokenizer.format.ByteLevelAlphabet;
import dev.anvil.tokenizer.format.MergeDerivation;
import dev.anvil.tokenizer.pretokenize.PreTokenizer;
import dev.anvil.tokenizer.pretokenize.SplitPattern;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A model to and from GGUF with llama.cpp's names and conventions. GPT-2 family: architecture
 * {@code gpt2}, {@code token_embd}, {@code position_embd}, {@code blk.N.attn_norm / attn_qkv /
 * attn_output / ffn_norm / ffn_up / ffn_down} (weights and biases), {@code output_norm},
 * {@code gpt2.*} hyperparameters; a GPT-2 without biases is written with zero biases (llama.cpp
 * requires them) and {@code anvil.bias = false}. Llama family:
 * {@code token_embd}, {@code blk.N.attn_norm / attn_q / attn_k / attn_v / attn_output / ffn_norm /
 * ffn_gate / ffn_up / ffn_down}, {@code output_norm}, {@code output} (absent when tied), the
 * {@code llama.*} hyperparameters, and a byte-level BPE tokenizer as {@code tokenizer.ggml.*}
 * (model "gpt2": tokens in GPT-2's byte-to-unicode alphabet, merges "left right", token types).
 *
 * <p>RoPE: our checkpoints (as Hugging Face's) rotate channel pairs (i, i + D/2); llama.cpp's
 * llama architecture rotates (2i, 2i + 1). Rotating a query or key is linear in the projection's
 * output rows, so re-ordering the rows of W_q and W_k per head — new row 2i + j = old row
 * j·D/2 + i — turns one convention into the other (convert_hf_to_gguf.py's {@code permute}); the
 * attention scores q·k are unchanged because q and k are permuted alike. Import applies the inverse.
 */
public final class TransformerGguf {

    private TransformerGguf() {}

    /** What a GGUF file gives back: the config, the weights, and the tokenizer (null when the file has none). */
    public record Loaded(ModelConfig config, ParameterBuffer parameters, BpeTokenizer tokenizer) {}

    private static final int TOKEN_NORMAL = 1, TOKEN_CONTROL = 3, TOKEN_UNUSED = 5;

    /** Writes every tensor as F32. */
    public static void write(Path file, ModelConfig c, ParameterBuffer params, BpeTokenizer tokenizer) throws IOException {
        write(file, c, params, tokenizer, Gguf.TensorType.F32);
    }

    /**
     * Writes the weight matrices as {@code matrixType} (F32, F16, BF16, Q8_0 or Q4_0; a quantized type
     * falls back to F16 for a matrix whose rows are not whole blocks of 32, as llama.cpp's quantizer
     * does) and the norm gains as F32.
     */
    public static void write(Path file, ModelConfig c, ParameterBuffer params, BpeTokenizer tokenizer, Gguf.TensorType matrixType) throws IOException {
        write(file, c, params, tokenizer, matrixType, null);
    }

    /** As {@link #write(Path, ModelConfig, ParameterBuffer, BpeTokenizer, Gguf.TensorType)}, plus the chat template (if not null) as {@code tokenizer.chat_template}. */
    public static void write(Path file, ModelConfig c, ParameterBuffer params, BpeTokenizer tokenizer, Gguf.TensorType matrixType,
                             ChatTemplate chatTemplate) throws IOException {
        boolean gpt2 = c.family() == ModelConfig.Family.GPT2;
        if (gpt2 && c.activation() != ModelConfig.Activation.GELU_TANH) {
            // llama.cpp's gpt2 graph always applies ggml_gelu, the tanh approximation, and GGUF has no key to say otherwise.
            throw new IllegalArgumentException("GGUF export: this GPT-2 uses activation '" + c.activation().key()
                    + "' (erf GELU), but GGUF's gpt2 architecture means GPT-2's tanh GELU and has no key for another; "
                    + "export it as a Hugging Face directory (activation_function \"gelu\") or train with activation: gelu_tanh");
        }
        if (gpt2 && !c.bias()) {
            // llama.cpp's gpt2 graph requires every bias: write zeros (the same function) and mark them for import.
            ModelConfig biased = withBias(c, true);
            ParameterBuffer withZeros = TransformerLayout.of(biased).allocate();
            copyByName(params, withZeros);
            params = withZeros;
        }
        Map<String, Gguf.Value> m = new LinkedHashMap<>();
        m.put("general.architecture", Gguf.Value.string(gpt2 ? "gpt2" : "llama"));
        m.put("general.name", Gguf.Value.string("anvil"));
        m.put("general.alignment", Gguf.Value.uint32(Gguf.DEFAULT_ALIGNMENT));
        // llama_ftype: ALL_F32 0, MOSTLY_F16 1, MOSTLY_Q4_0 2, MOSTLY_Q8_0 7, MOSTLY_BF16 32.
        m.put("general.file_type", Gguf.Value.uint32(switch (matrixType) { case F32 -> 0; case F16 -> 1; case Q4_0 -> 2; case Q8_0 -> 7; case BF16 -> 32; case Q6_K -> throw new IllegalArgumentException("Anvil writes F32, F16, BF16, Q8_0 or Q4_0 GGUF files, not Q6_K"); }));
        if (gpt2) {
            m.put("gpt2.context_length", Gguf.Value.uint32(c.contextLength()));
            m.put("gpt2.embedding_length", Gguf.Value.uint32(c.width()));
            m.put("gpt2.feed_forward_length", Gguf.Value.uint32(c.hiddenWidth()));
            m.put("gpt2.block_count", Gguf.Value.uint32(c.layers()));
            m.put("gpt2.attention.head_count", Gguf.Value.uint32(c.heads()));
            m.put("gpt2.attention.layer_norm_epsilon", Gguf.Value.float32((float) c.normEps()));
            if (!c.bias()) m.put("anvil.bias", Gguf.Value.bool(false));
        } else {
        m.put("llama.vocab_size", Gguf.Value.uint32(c.vocabSize()));
        m.put("llama.context_length", Gguf.Value.uint32(c.contextLength()));
        m.put("llama.embedding_length", Gguf.Value.uint32(c.width()));
        m.put("llama.block_count", Gguf.Value.uint32(c.layers()));
        m.put("llama.feed_forward_length", Gguf.Value.uint32(c.hiddenWidth()));
        m.put("llama.attention.head_count", Gguf.Value.uint32(c.heads()));
        m.put("llama.attention.head_count_kv", Gguf.Value.uint32(c.kvHeads()));
        m.put("llama.rope.dimension_count", Gguf.Value.uint32(c.headDim()));
        m.put("llama.rope.freq_base", Gguf.Value.float32((float) c.ropeTheta()));
        m.put("llama.attention.layer_norm_rms_epsilon", Gguf.Value.float32((float) c.normEps()));
        }
        if (tokenizer != null) putTokenizer(m, tokenizer, c.vocabSize());
        if (chatTemplate != null) m.put("tokenizer.chat_template", Gguf.Value.string(chatTemplate.jinja()));

        List<Gguf.TensorToWrite> tensors = new ArrayList<>();
        for (ParameterBuffer.Layout.Entry e : params.layout().entries()) {
            int[] shape = e.shape().dims();
            float[] data = params.data();
            int off = e.offset();
            if (e.name().endsWith("self_attn.q_proj.weight") || e.name().endsWith("self_attn.k_proj.weight")) {
                int heads = e.name().endsWith("q_proj.weight") ? c.heads() : c.kvHeads();
                data = permuteRows(data, off, heads, c.headDim(), c.width(), false);
                off = 0;
            }
            Gguf.TensorType type = shape.length < 2 ? Gguf.TensorType.F32
                    : matrixType.blockElements > 1 && shape[1] % 32 != 0 ? Gguf.TensorType.F16 : matrixType;
            tensors.add(new Gguf.TensorToWrite(ggufName(e.name()), shape, data, off, type));
        }
        Gguf.write(file, m, tensors);
    }

    /** A GGUF model for inference: its config, its weights in their stored dtypes over the mapped file, its tokenizer (or null). */
    public record Mapped(ModelConfig config, WeightSet weights, BpeTokenizer tokenizer) {}

    /**
     * Maps a GGUF file for inference without copying its matrices: each keeps its ggml type (F32,
     * F16, BF16, Q8_0, Q4_0, Q6_K) and is read in place by the kernels; only the norm gains and
     * biases (vectors) are read into float32. Llama's q/k rows stay in llama.cpp's interleaved RoPE
     * order, and the weights say so ({@link Rope.Style#INTERLEAVED}) instead of being permuted
     * back. The mapping lives as long as {@code arena}.
     */
    public static Mapped map(Path file, Arena arena) throws IOException {
        try (Gguf.Reader r = new Gguf.Reader(file)) {
            ModelConfig c = config(r, file);
            MemorySegment bytes = r.map(arena);
            Map<String, Weight> matrices = new LinkedHashMap<>();
            Map<String, Tensor> vectors = new LinkedHashMap<>();
            for (ParameterBuffer.Layout.Entry e : TransformerLayout.of(c).entries()) {
                Gguf.TensorInfo t = checkedInfo(r, file, c, e);
                if (e.shape().rank() == 2) {
                    long at = r.dataStart() + t.offset(), n = t.type().byteSize(t.elements());
                    try {
                        matrices.put(e.name(), Weight.wrap(t.type().dtype(), bytes.asSlice(at, n), e.shape().dims()[0], e.shape().dims()[1]));
                    } catch (IllegalArgumentException ex) {
                        throw new IOException(file + ": tensor " + t.name() + ": " + ex.getMessage(), ex);
                    }
                } else {
                    Tensor v = new Tensor(new float[e.shape().size()], 0, e.shape());
                    r.read(t.name(), v.data(), 0);
                    vectors.put(e.name(), v);
                }
            }
            // A GPT-2 file written without biases still holds zero bias tensors; the model has none and ignores them.
            BpeTokenizer tokenizer = r.metadata().containsKey("tokenizer.ggml.tokens") ? readTokenizer(r, file) : null;
            Rope.Style style = c.family() == ModelConfig.Family.LLAMA ? Rope.Style.INTERLEAVED : Rope.Style.HALF;
            return new Mapped(c, new WeightSet(c, Heads.languageModel(), matrices, vectors, style), tokenizer);
        }
    }

    private static ModelConfig config(Gguf.Reader r, Path file) throws IOException {
        String arch = r.require("general.architecture").asString();
        if (arch.equals("gpt2")) return gpt2Config(r, file);
        if (!arch.equals("llama")) throw new IOException(file + ": architecture '" + arch + "' is not supported (supported: llama, gpt2)");
        return llamaConfig(r, file);
    }

    private static ModelConfig llamaConfig(Gguf.Reader r, Path file) throws IOException {
        int width = u32(r, "llama.embedding_length"), layers = u32(r, "llama.block_count"), ff = u32(r, "llama.feed_forward_length");
        int heads = u32(r, "llama.attention.head_count");
        int kvHeads = r.metadata().containsKey("llama.attention.head_count_kv") ? u32(r, "llama.attention.head_count_kv") : heads;
        int context = u32(r, "llama.context_length");
        Gguf.TensorInfo embed = r.tensors().get("token_embd.weight");
        if (embed == null) throw new IOException(file + ": tensor token_embd.weight is missing");
        int vocab = (int) embed.rowMajorShape()[0];
        double theta = r.metadata().containsKey("llama.rope.freq_base") ? shortest(r.require("llama.rope.freq_base").asDouble()) : 10000;
        double eps = shortest(r.require("llama.attention.layer_norm_rms_epsilon").asDouble());
        boolean tied = !r.tensors().containsKey("output.weight");
        ModelConfig c;
        try {
            c = new ModelConfig(ModelConfig.Family.LLAMA, vocab, context, layers, heads, kvHeads, width, ff, theta, eps, tied, false);
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
        return c;
    }

    public static Loaded read(Path file) throws IOException {
        try (Gguf.Reader r = new Gguf.Reader(file)) {
            String arch = r.require("general.architecture").asString();
            if (arch.equals("gpt2")) return readGpt2(r, file);
            ModelConfig c = config(r, file);
            int heads = c.heads(), kvHeads = c.kvHeads(), width = c.width();
            ParameterBuffer params = TransformerLayout.of(c).allocate();
            readTensors(r, file, c, params);
            // llama.cpp's Q and K rows are in the interleaved RoPE order; undo the permutation the writer applied.
            for (ParameterBuffer.Layout.Entry e : params.layout().entries()) {
                String name = ggufName(e.name());
                if (name.endsWith("attn_q.weight") || name.endsWith("attn_k.weight")) {
                    int h = name.endsWith("attn_q.weight") ? heads : kvHeads;
                    float[] back = permuteRows(params.data(), e.offset(), h, c.headDim(), width, true);
                    System.arraycopy(back, 0, params.data(), e.offset(), back.length);
                }
            }
            BpeTokenizer tokenizer = r.metadata().containsKey("tokenizer.ggml.tokens") ? readTokenizer(r, file) : null;
            return new Loaded(c, params, tokenizer);
        }
    }

    private static Loaded readGpt2(Gguf.Reader r, Path file) throws IOException {
        ModelConfig c = gpt2Config(r, file);
        ModelConfig fileConfig = withBias(c, true);
        ParameterBuffer inFile = TransformerLayout.of(fileConfig).allocate();
        readTensors(r, file, fileConfig, inFile);
        ParameterBuffer params = inFile;
        if (!c.bias()) {
            params = TransformerLayout.of(c).allocate();
            copyByName(inFile, params);
        }
        BpeTokenizer tokenizer = r.metadata().containsKey("tokenizer.ggml.tokens") ? readTokenizer(r, file) : null;
        return new Loaded(c, params, tokenizer);
    }

    private static ModelConfig gpt2Config(Gguf.Reader r, Path file) throws IOException {
        Gguf.TensorInfo embed = r.tensors().get("token_embd.weight");
        if (embed == null) throw new IOException(file + ": tensor token_embd.weight is missing");
        int width = u32(r, "gpt2.embedding_length"), heads = u32(r, "gpt2.attention.head_count");
        boolean bias = !r.metadata().containsKey("anvil.bias") || (Boolean) r.require("anvil.bias").value();
        ModelConfig c;
        try {
            c = new ModelConfig(ModelConfig.Family.GPT2, (int) embed.rowMajorShape()[0], u32(r, "gpt2.context_length"), u32(r, "gpt2.block_count"),
                    heads, heads, width, u32(r, "gpt2.feed_forward_length"), 0, shortest(r.require("gpt2.attention.layer_norm_epsilon").asDouble()),
                    !r.tensors().containsKey("output.weight"), bias);
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
        return c;
    }

    private static void readTensors(Gguf.Reader r, Path file, ModelConfig c, ParameterBuffer params) throws IOException {
        for (ParameterBuffer.Layout.Entry e : params.layout().entries()) r.read(checkedInfo(r, file, c, e).name(), params.data(), e.offset());
    }

    /** The file's tensor for a layout entry, which must exist with the entry's shape (the error names both shapes). */
    private static Gguf.TensorInfo checkedInfo(Gguf.Reader r, Path file, ModelConfig c, ParameterBuffer.Layout.Entry e) throws IOException {
        String name = ggufName(e.name());
        Gguf.TensorInfo t = r.tensors().get(name);
        if (t == null) throw new IOException(file + ": tensor " + name + " is missing (the model is " + c.summary() + ")");
        long[] expected = java.util.Arrays.stream(e.shape().dims()).asLongStream().toArray();
        if (!java.util.Arrays.equals(t.rowMajorShape(), expected)) {
            throw new IOException(file + ": tensor " + name + " has shape " + java.util.Arrays.toString(t.rowMajorShape())
                    + ", expected " + java.util.Arrays.toString(expected) + " for " + c.summary());
        }
        return t;
    }

    private static ModelConfig withBias(ModelConfig c, boolean bias) {
        return new ModelConfig(c.family(), c.vocabSize(), c.contextLength(), c.layers(), c.heads(), c.kvHeads(), c.width(), c.hiddenWidth(),
                c.ropeTheta(), c.normEps(), c.tiedEmbeddings(), bias, c.activation());
    }

    /** Copies every tensor of {@code to}'s layout that {@code from} also has. */
    private static void copyByName(ParameterBuffer from, ParameterBuffer to) {
        for (ParameterBuffer.Layout.Entry e : to.layout().entries()) {
            for (ParameterBuffer.Layout.Entry f : from.layout().entries()) {
                if (f.name().equals(e.name())) System.arraycopy(from.data(), f.offset(), to.data(), e.offset(), e.shape().size());
            }
        }
    }

    /** Our parameter name → llama.cpp's. */
    static String ggufName(String name) {
        switch (name) {
            case "wte.weight": return "token_embd.weight";
            case "wpe.weight": return "position_embd.weight";
            case "ln_f.weight": return "output_norm.weight";
            case "ln_f.bias": return "output_norm.bias";
            default: break;
        }
        if (name.startsWith("h.")) {
            String rest = name.substring(2);
            int dot = rest.indexOf('.');
            String layer = rest.substring(0, dot), part = rest.substring(dot + 1);
            int last = part.lastIndexOf('.');
            String module = part.substring(0, last), kind = part.substring(last + 1);
            String g = switch (module) {
                case "ln_1" -> "attn_norm";
                case "attn.c_attn" -> "attn_qkv";
                case "attn.c_proj" -> "attn_output";
                case "ln_2" -> "ffn_norm";
                case "mlp.c_fc" -> "ffn_up";
                case "mlp.c_proj" -> "ffn_down";
                default -> throw new IllegalArgumentException("no GGUF name for " + name);
            };
            return "blk." + layer + "." + g + "." + kind;
        }
        if (name.equals("model.embed_tokens.weight")) return "token_embd.weight";
        if (name.equals("model.norm.weight")) return "output_norm.weight";
        if (name.equals("lm_head.weight")) return "output.weight";
        if (name.startsWith("model.layers.")) {
            String rest = name.substring("model.layers.".length());
            int dot = rest.indexOf('.');
            String layer = rest.substring(0, dot), part = rest.substring(dot + 1);
            String g = switch (part) {
                case "input_layernorm.weight" -> "attn_norm.weight";
                case "self_attn.q_proj.weight" -> "attn_q.weight";
                case "self_attn.k_proj.weight" -> "attn_k.weight";
                case "self_attn.v_proj.weight" -> "attn_v.weight";
                case "self_attn.o_proj.weight" -> "attn_output.weight";
                case "post_attention_layernorm.weight" -> "ffn_norm.weight";
                case "mlp.gate_proj.weight" -> "ffn_gate.weight";
                case "mlp.up_proj.weight" -> "ffn_up.weight";
                case "mlp.down_proj.weight" -> "ffn_down.weight";
                default -> throw new IllegalArgumentException("no GGUF name for " + name);
            };
            return "blk." + layer + "." + g;
        }
        throw new IllegalArgumentException("no GGUF name for " + name);
    }

    /**
     * The rows of a [heads·D, cols] projection re-ordered per head: half-split pairing (i, i + D/2)
     * → interleaved (2i, 2i + 1), i.e. new row 2i + j = old row j·D/2 + i; {@code inverse} undoes it.
     */
    static float[] permuteRows(float[] w, int off, int heads, int D, int cols, boolean inverse) {
        float[] out = new float[heads * D * cols];
        int half = D / 2;
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < half; i++) {
                for (int j = 0; j < 2; j++) {
                    int interleaved = h * D + 2 * i + j, split = h * D + j * half + i;
                    int from = inverse ? interleaved : split, to = inverse ? split : interleaved;
                    System.arraycopy(w, off + from * cols, out, to * cols, cols);
                }
            }
        }
        return out;
    }

    private static void putTokenizer(Map<String, Gguf.Value> m, BpeTokenizer tok, int modelVocab) {
        if (tok.vocabSize() > modelVocab) {
            throw new IllegalArgumentException("GGUF export: the tokenizer has " + tok.vocabSize() + " tokens, the model " + modelVocab);
        }
        Map<Integer, String> specials = new HashMap<>();
        tok.specialTokens().forEach((s, id) -> specials.put(id, s));
        List<String> tokens = new ArrayList<>(modelVocab);
        List<Integer> types = new ArrayList<>(modelVocab);
        TokenTable table = tok.tokens();
        for (int id = 0; id < modelVocab; id++) {
            if (specials.containsKey(id)) {
                tokens.add(specials.get(id));
                types.add(TOKEN_CONTROL);
            } else if (id < table.idLimit() && table.bytes(id) != null) {
                tokens.add(ByteLevelAlphabet.encode(table.bytes(id)));
                types.add(TOKEN_NORMAL);
            } else {
                tokens.add("[PAD" + id + "]"); // ids past the tokenizer (vocabulary padded for speed): never produced
                types.add(TOKEN_UNUSED);
            }
        }
        List<String> merges = new ArrayList<>();
        for (int[] mg : MergeDerivation.merges(table)) {
            merges.add(ByteLevelAlphabet.encode(table.bytes(mg[0])) + " " + ByteLevelAlphabet.encode(table.bytes(mg[1])));
        }
        SplitPattern pattern = SplitPattern.ofRegex(tok.preTokenizer().pattern());
        m.put("tokenizer.ggml.model", Gguf.Value.string("gpt2"));
        m.put("tokenizer.ggml.pre", Gguf.Value.string(pattern == SplitPattern.GPT2 ? "gpt-2" : pattern == SplitPattern.O200K ? "gpt-4o" : "llama-bpe"));
        m.put("tokenizer.ggml.tokens", Gguf.Value.array(Gguf.ValueType.STRING, tokens));
        m.put("tokenizer.ggml.token_type", Gguf.Value.array(Gguf.ValueType.INT32, types));
        m.put("tokenizer.ggml.merges", Gguf.Value.array(Gguf.ValueType.STRING, merges));
        // The exact split regex, for tokenizers whose pattern llama.cpp has no name for (llama.cpp ignores unknown keys).
        m.put("tokenizer.anvil.pattern", Gguf.Value.string(tok.preTokenizer().pattern()));
        Integer eot = tok.specialTokens().getOrDefault("<|endoftext|>", tok.specialTokens().get("<|end_of_text|>"));
        Integer bos = tok.specialTokens().getOrDefault("<|begin_of_text|>", tok.specialTokens().getOrDefault("<|bos|>", eot));
        if (bos != null) m.put("tokenizer.ggml.bos_token_id", Gguf.Value.uint32(bos));
        if (eot != null) m.put("tokenizer.ggml.eos_token_id", Gguf.Value.uint32(eot));
        m.put("tokenizer.ggml.add_bos_token", Gguf.Value.bool(false));
    }

    private static BpeTokenizer readTokenizer(Gguf.Reader r, Path file) throws IOException {
        String model = r.require("tokenizer.ggml.model").asString();
        if (!model.equals("gpt2")) throw new IOException(file + ": tokenizer.ggml.model '" + model + "' is not supported (supported: gpt2, byte-level BPE)");
        List<Object> tokens = r.require("tokenizer.ggml.tokens").asList();
        List<Object> types = r.metadata().containsKey("tokenizer.ggml.token_type") ? r.require("tokenizer.ggml.token_type").asList() : null;
        List<byte[]> bytes = new ArrayList<>();
        List<Integer> ids = new ArrayList<>();
        Map<String, Integer> specials = new LinkedHashMap<>();
        for (int id = 0; id < tokens.size(); id++) {
            int type = types == null ? TOKEN_NORMAL : ((Number) types.get(id)).intValue();
            String s = (String) tokens.get(id);
            if (type == TOKEN_CONTROL || type == 4 /* user-defined */) specials.put(s, id);
            else if (type != TOKEN_UNUSED) {
                byte[] b = ByteLevelAlphabet.decode(s);
                if (b == null) throw new IOException(file + ": tokenizer.ggml.tokens[" + id + "] '" + s + "' is not in the byte-level alphabet");
                bytes.add(b);
                ids.add(id);
            }
        }
        PreTokenizer pre;
        if (r.metadata().containsKey("tokenizer.anvil.pattern")) {
            pre = SplitPattern.forRegex(r.require("tokenizer.anvil.pattern").asString());
        } else {
            String name = r.metadata().containsKey("tokenizer.ggml.pre") ? r.require("tokenizer.ggml.pre").asString() : "default";
            pre = switch (name) {
                case "gpt-2", "default" -> SplitPattern.GPT2.preTokenizer();
                case "llama-bpe", "llama3", "dbrx", "smaug-bpe" -> SplitPattern.LLAMA3.preTokenizer();
                case "gpt-4o" -> SplitPattern.O200K.preTokenizer();
                default -> throw new IOException(file + ": tokenizer.ggml.pre '" + name + "' is not supported (supported: gpt-2, default, llama-bpe, gpt-4o)");
            };
        }
        try {
            TokenTable table = TokenTable.of(bytes.toArray(byte[][]::new), ids.stream().mapToInt(Integer::intValue).toArray());
            return new BpeTokenizer(file.getFileName().toString(), table, pre, specials);
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": tokenizer: " + e.getMessage(), e);
        }
    }

    private static int u32(Gguf.Reader r, String key) throws IOException {
        long v = r.require(key).asLong();
        if (v <= 0 || v > Integer.MAX_VALUE) throw new IOException(r.file() + ": " + key + " = " + v + " is out of range");
        return (int) v;
    }

    /** A float32 metadata value as the double it was written from: 1e-5f → 1.0E-5, not 9.99999974e-6. */
    private static double shortest(double f32) {
        return Double.parseDouble(Float.toString((float) f32));
    }
}
