package dev.anvil.model;

/**
 * The shape of a decoder-only transformer. Two families share one record:
 * <ul>
 *   <li>{@link Family#GPT2}: learned positions, LayerNorm, GELU (GPT-2's tanh form by default, or
 *       the erf form of nanoGPT's {@code nn.GELU()}), biases (optional, as nanoGPT's {@code bias}
 *       flag), tied input/output embeddings by default;</li>
 *   <li>{@link Family#LLAMA}: RoPE with {@code ropeTheta}, RMSNorm, SwiGLU MLP, grouped-query
 *       attention ({@code kvHeads} dividing {@code heads}), no biases, embeddings tied only if asked.</li>
 * </ul>
 * Files spell the fields in snake_case (see {@link ModelConfigFiles}).
 *
 * @param width       the residual stream width C (d_model)
 * @param hiddenWidth the MLP's inner width (4·C for GPT-2; SwiGLU's hidden size for Llama)
 * @param activation  the MLP's nonlinearity; the constructor without it takes the family's default
 */
public record ModelConfig(Family family, int vocabSize, int contextLength, int layers, int heads, int kvHeads,
                          int width, int hiddenWidth, double ropeTheta, double normEps, boolean tiedEmbeddings,
                          boolean bias, Activation activation) {

    /**
     * The MLP nonlinearity, spelled in config files as {@link #key()}. GPT-2 takes either GELU:
     * OpenAI's GPT-2 and Hugging Face's {@code gelu_new} use the tanh approximation, PyTorch's
     * {@code nn.GELU()} (nanoGPT) the erf form x·Φ(x); they differ by up to ~5·10⁻⁴. Llama's MLP is SwiGLU.
     */
    public enum Activation {
        GELU_TANH("gelu_tanh"), GELU("gelu"), SWIGLU("swiglu");

        private final String key;

        Activation(String key) {
            this.key = key;
        }

        public String key() {
            return key;
        }

        public static Activation parse(String s) {
            for (Activation a : values()) if (a.key.equals(s)) return a;
            throw new IllegalArgumentException("model config: activation must be gelu (erf, as torch nn.GELU()), gelu_tanh (GPT-2's) "
                    + "or swiglu (Llama), got '" + s + "'");
        }

        /** GPT-2's tanh GELU for GPT-2 (OpenAI's weights and Hugging Face's config), SwiGLU for Llama. */
        public static Activation defaultFor(Family family) {
            return family == Family.GPT2 ? GELU_TANH : SWIGLU;
        }
    }

    /** A config with the family's default activation (see {@link Activation#defaultFor}). */
    public ModelConfig(Family family, int vocabSize, int contextLength, int layers, int heads, int kvHeads,
                       int width, int hiddenWidth, double ropeTheta, double normEps, boolean tiedEmbeddings, boolean bias) {
        this(family, vocabSize, contextLength, layers, heads, kvHeads, width, hiddenWidth, ropeTheta, normEps, tiedEmbeddings, bias,
                family == null ? null : Activation.defaultFor(family));
    }

    public enum Family {
        GPT2, LLAMA;

        public static Family parse(String s) {
            return switch (s.toLowerCase().replace("-", "").replace("_", "")) {
                case "gpt2" -> GPT2;
                case "llama" -> LLAMA;
                default -> throw new IllegalArgumentException("model family must be gpt2 or llama, got '" + s + "'");
            };
        }
    }

    public ModelConfig {
        if (family == null) throw new IllegalArgumentException("model config: family is missing");
        requirePositive("vocab_size", vocabSize);
        requirePositive("context_length", contextLength);
        requirePositive("n_layer", layers);
        requirePositive("n_head", heads);
        requirePositive("n_kv_head", kvHeads);
        requirePositive("d_model", width);
        requirePositive("d_ff", hiddenWidth);
        if (width % heads != 0) {
            throw new IllegalArgumentException("model config: n_head = " + heads + " does not divide d_model = " + width);
        }
        if (heads % kvHeads != 0) {
            throw new IllegalArgumentException("model config: n_kv_head = " + kvHeads + " does not divide n_head = " + heads);
        }
        if (family == Family.GPT2 && kvHeads != heads) {
            throw new IllegalArgumentException("model config: GPT-2 has no grouped-query attention (n_kv_head " + kvHeads + " ≠ n_head " + heads + ")");
        }
        if (family == Family.LLAMA && (width / heads) % 2 != 0) {
            throw new IllegalArgumentException("model config: RoPE needs an even head size, d_model / n_head = " + width / heads);
        }
        if (!(normEps > 0)) throw new IllegalArgumentException("model config: norm_eps must be positive, got " + normEps);
        if (family == Family.LLAMA && !(ropeTheta > 0)) throw new IllegalArgumentException("model config: rope_theta must be positive, got " + ropeTheta);
        if (family == Family.LLAMA && bias) throw new IllegalArgumentException("model config: the Llama family has no biases (bias: true)");
        if (activation == null) throw new IllegalArgumentException("model config: activation is missing");
        if ((family == Family.LLAMA) != (activation == Activation.SWIGLU)) {
            throw new IllegalArgumentException("model config: the " + family.name().toLowerCase() + " family has no activation '" + activation.key()
                    + "' (" + (family == Family.LLAMA ? "Llama's MLP is swiglu" : "GPT-2 takes gelu or gelu_tanh") + ")");
        }
    }

    private static void requirePositive(String field, int v) {
        if (v <= 0) throw new IllegalArgumentException("model config: " + field + " must be positive, got " + v);
    }

    /** GPT-2 with the usual defaults: 4·C MLP, LayerNorm ε 1e-5, tied embeddings. */
    public static ModelConfig gpt2(int vocabSize, int contextLength, int layers, int heads, int width, boolean bias) {
        return new ModelConfig(Family.GPT2, vocabSize, contextLength, layers, heads, heads, width, 4 * width, 0, 1e-5, true, bias);
    }

    /** Llama with SwiGLU hidden ≈ 8/3·C rounded up to a multiple of 64, RMSNorm ε 1e-5, θ = 10000. */
    public static ModelConfig llama(int vocabSize, int contextLength, int layers, int heads, int kvHeads, int width) {
        return new ModelConfig(Family.LLAMA, vocabSize, contextLength, layers, heads, kvHeads, width,
                llamaHidden(width), 10000, 1e-5, false, false);
    }

    /** Llama's SwiGLU sizing: two thirds of 4·C (same parameter count as a 4·C GELU MLP), rounded up to 64. */
    public static int llamaHidden(int width) {
        int h = 2 * 4 * width / 3;
        return (h + 63) / 64 * 64;
    }

    /**
     * nanochat's single size dial: width = 64·depth, head size 128 (so heads = ⌈width / 128⌉, at
     * least 1, reduced until it divides the width), one KV head per query head.
     */
    public static ModelConfig fromDepth(Family family, int depth, int vocabSize, int contextLength) {
        if (depth <= 0) throw new IllegalArgumentException("model config: depth must be positive, got " + depth);
        int width = 64 * depth;
        int heads = Math.max(1, (width + 127) / 128);
        while (width % heads != 0) heads--;
        return family == Family.GPT2 ? gpt2(vocabSize, contextLength, depth, heads, width, true)
                : llama(vocabSize, contextLength, depth, heads, heads, width);
    }

    /** OpenAI's GPT-2 small: 12 layers, 12 heads, 768 wide, 50257 tokens, 1024 positions (124M). */
    /** llama2.c's TinyStories stories15M shape: dim 288, 6 layers, 6 heads, vocab 32000, context 256, SwiGLU 768, tied head. */
    public static ModelConfig stories15M() {
        return new ModelConfig(Family.LLAMA, 32000, 256, 6, 6, 6, 288, 768, 10000, 1e-5, true, false);
    }

    /** llama2.c's TinyStories stories110M shape: dim 768, 12 layers, 12 heads, vocab 32000, context 1024, SwiGLU 2048, tied head. */
    public static ModelConfig stories110M() {
        return new ModelConfig(Family.LLAMA, 32000, 1024, 12, 12, 12, 768, 2048, 10000, 1e-5, true, false);
    }

    public static ModelConfig gpt2Small() {
        return gpt2(50257, 1024, 12, 12, 768, true);
    }

    public int headDim() {
        return width / heads;
    }

    public ModelConfig withVocabSize(int v) {
        return new ModelConfig(family, v, contextLength, layers, heads, kvHeads, width, hiddenWidth, ropeTheta, normEps, tiedEmbeddings, bias, activation);
    }

    public ModelConfig withActivation(Activation a) {
        return new ModelConfig(family, vocabSize, contextLength, layers, heads, kvHeads, width, hiddenWidth, ropeTheta, normEps, tiedEmbeddings, bias, a);
    }

    /** Trainable parameters (tied embeddings counted once). */
    public long parameterCount() {
        return TransformerLayout.of(this).totalSize();
    }

    /**
     * Training FLOPs per token at sequence length T, as nanoGPT and the PaLM paper count them:
     * 6 per weight that takes part in a matrix product (forward 2, backward 4; the position table
     * is a lookup and does not count), plus 12·L·C·T for the attention scores and their weighted sum.
     */
    public double trainingFlopsPerToken(int T) {
        long n = parameterCount();
        if (family == Family.GPT2) n -= (long) contextLength * width;
        if (!tiedEmbeddings) n -= (long) vocabSize * width; // the input lookup is not a product; lm_head is
        return 6.0 * n + 12.0 * layers * width * (double) T;
    }

    /** One line for the console, e.g. {@code gpt2 12L 12H 768C ... 124.4M params}. */
    public String summary() {
        return String.format("%s %dL %dH%s %dC ff%d%s vocab %d ctx %d, %.2fM parameters",
                family.name().toLowerCase(), layers, heads, kvHeads != heads ? "/" + kvHeads + "kv" : "", width, hiddenWidth,
                activation == Activation.defaultFor(family) ? "" : " " + activation.key(), vocabSize, contextLength, parameterCount() / 1e6);
    }
}
