package dev.anvil.model;

import dev.anvil.core.autograd.Tape;
import dev.anvil.core.autograd.Var;
import dev.anvil.core.kernels.Rope;
import dev.anvil.core.random.Rng;
import dev.anvil.core.tensor.ParameterBuffer;
import dev.anvil.core.tensor.Tensor;

import java.util.Map;

/**
 * A decoder-only transformer over one flat parameter buffer and a parallel gradient buffer, with
 * its forward pass recorded on a {@link Tape} (the tape provides the backward pass).
 *
 * <p>GPT-2 block:  x += proj(attn(LN₁(x)));  x += proj(GELU(fc(LN₂(x)))), GELU the config's (tanh or erf).
 * Llama block: x += o(attn(RoPE(q(N₁(x))), RoPE(k(N₁(x))), v(N₁(x))));  x += down(silu(gate(N₂(x)))·up(N₂(x))).
 * Attention is causal with scale 1/√head_dim; the output head reuses the token embedding when tied.
 */
public final class Transformer {

    private final ModelConfig config;
    private final ParameterBuffer params;
    private final ParameterBuffer grads;
    private final Map<String, Var> vars;
    private final Rope.Table rope;
    private int[] positions = new int[0];
    private int positionsT = -1;

    public Transformer(ModelConfig config) {
        this.config = config;
        ParameterBuffer.Layout layout = TransformerLayout.of(config);
        this.params = layout.allocate();
        this.grads = layout.allocate();
        this.vars = Var.parameters(params, grads);
        this.rope = config.family() == ModelConfig.Family.LLAMA ? new Rope.Table(config.contextLength(), config.headDim(), config.ropeTheta()) : null;
    }

    /**
     * A forward-only model over weights loaded elsewhere (a checkpoint, GGUF, HF directory): the
     * parameters are shared, not copied, and frozen — no gradient buffer is allocated, so
     * {@link #gradients()} is null and a backward pass computes nothing for them.
     */
    public Transformer(ModelConfig config, ParameterBuffer weights) {
        if (!weights.layout().entries().equals(TransformerLayout.of(config).entries())) {
            throw new IllegalArgumentException("the weights (" + weights.layout().entries().size() + " tensors) do not have the layout of " + config.summary());
        }
        this.config = config;
        this.params = weights;
        this.grads = null;
        Map<String, Var> frozen = new java.util.LinkedHashMap<>();
        for (var e : weights.views().entrySet()) frozen.put(e.getKey(), Var.constant(e.getValue()));
        this.vars = frozen;
        this.rope = config.family() == ModelConfig.Family.LLAMA ? new Rope.Table(config.contextLength(), config.headDim(), config.ropeTheta()) : null;
    }

    public ModelConfig config() {
        return config;
    }

    public ParameterBuffer parameters() {
        return params;
    }

    public ParameterBuffer gradients() {
        return grads;
    }

    public void zeroGradients() {
        if (grads == null) throw new IllegalStateException("a forward-only Transformer (frozen weights) has no gradients");
        java.util.Arrays.fill(grads.data(), 0f);
    }

    /**
     * GPT-2 / nanoGPT initialization: every matrix and embedding ~ N(0, 0.02), the projections into
     * the residual stream ~ N(0, 0.02/√(2·layers)) so the stream's variance does not grow with
     * depth, biases 0, norm gains 1. Tensors are filled in layout order from one generator.
     */
    public void initialize(Rng rng) {
        double residualStd = 0.02 / Math.sqrt(2.0 * config.layers());
        for (ParameterBuffer.Layout.Entry e : params.layout().entries()) {
            Tensor t = params.get(e.name());
            if (e.shape().rank() == 2) {
                rng.fillNormal(t.data(), t.offset(), t.size(), 0, TransformerLayout.isResidualProjection(e.name()) ? residualStd : 0.02);
            } else if (e.name().endsWith(".bias")) {
                t.fill(0f);
            } else {
                t.fill(1f);
            }
        }
    }

    /**
     * Logits[B, T, vocab] for {@code tokens[off, off + B·T)}. {@code dropout} &gt; 0 drops after the
     * embedding and after each residual branch (not inside attention), with masks derived from
     * {@code dropoutSeed}, so a step can be replayed exactly.
     */
    public Var forward(Tape tape, int[] tokens, int off, int B, int T, float dropout, long dropoutSeed) {
        if (T > config.contextLength()) {
            throw new IllegalArgumentException("sequence length " + T + " is longer than the model's context of " + config.contextLength());
        }
        return config.family() == ModelConfig.Family.GPT2
                ? gpt2(tape, tokens, off, B, T, dropout, dropoutSeed)
                : llama(tape, tokens, off, B, T, dropout, dropoutSeed);
    }

    private Var gpt2(Tape tape, int[] tokens, int off, int B, int T, float dropout, long seed) {
        int C = config.width(), H = config.heads(), D = config.headDim();
        float eps = (float) config.normEps(), scale = (float) (1 / Math.sqrt(D));
        Var x = tape.add(tape.embedding(p("wte.weight"), tokens, off, B, T), tape.embedding(p("wpe.weight"), positions(B, T), 0, B, T));
        x = tape.dropout(x, dropout, siteSeed(seed, 0));
        for (int i = 0; i < config.layers(); i++) {
            String l = "h." + i + ".";
            Var h = tape.layerNorm(x, p(l + "ln_1.weight"), b(l + "ln_1.bias"), eps);
            Var[] qkv = tape.split(tape.linear(h, p(l + "attn.c_attn.weight"), b(l + "attn.c_attn.bias")), C, C, C);
            Var y = tape.causalAttention(qkv[0].reshape(B, T, H, D), qkv[1].reshape(B, T, H, D), qkv[2].reshape(B, T, H, D), scale)
                    .reshape(B, T, C);
            x = tape.add(x, tape.dropout(tape.linear(y, p(l + "attn.c_proj.weight"), b(l + "attn.c_proj.bias")), dropout, siteSeed(seed, 2 * i + 1)));
            h = tape.layerNorm(x, p(l + "ln_2.weight"), b(l + "ln_2.bias"), eps);
            Var fc = tape.linear(h, p(l + "mlp.c_fc.weight"), b(l + "mlp.c_fc.bias"));
            h = config.activation() == ModelConfig.Activation.GELU ? tape.geluErf(fc) : tape.gelu(fc);
            x = tape.add(x, tape.dropout(tape.linear(h, p(l + "mlp.c_proj.weight"), b(l + "mlp.c_proj.bias")), dropout, siteSeed(seed, 2 * i + 2)));
        }
        x = tape.layerNorm(x, p("ln_f.weight"), b("ln_f.bias"), eps);
        return tape.linear(x, p(config.tiedEmbeddings() ? "wte.weight" : "lm_head.weight"), null);
    }

    private Var llama(Tape tape, int[] tokens, int off, int B, int T, float dropout, long seed) {
        int C = config.width(), H = config.heads(), Hkv = config.kvHeads(), D = config.headDim();
        float eps = (float) config.normEps(), scale = (float) (1 / Math.sqrt(D));
        Var x = tape.embedding(p("model.embed_tokens.weight"), tokens, off, B, T);
        x = tape.dropout(x, dropout, siteSeed(seed, 0));
        for (int i = 0; i < config.layers(); i++) {
            String l = "model.layers." + i + ".";
            Var h = tape.rmsNorm(x, p(l + "input_layernorm.weight"), eps);
            Var q = tape.rope(tape.linear(h, p(l + "self_attn.q_proj.weight"), null).reshape(B, T, H, D), rope, Rope.Style.HALF, 0);
            Var k = tape.rope(tape.linear(h, p(l + "self_attn.k_proj.weight"), null).reshape(B, T, Hkv, D), rope, Rope.Style.HALF, 0);
            Var v = tape.linear(h, p(l + "self_attn.v_proj.weight"), null).reshape(B, T, Hkv, D);
            Var y = tape.causalAttention(q, k, v, scale).reshape(B, T, H * D);
            x = tape.add(x, tape.dropout(tape.linear(y, p(l + "self_attn.o_proj.weight"), null), dropout, siteSeed(seed, 2 * i + 1)));
            h = tape.rmsNorm(x, p(l + "post_attention_layernorm.weight"), eps);
            Var gated = tape.swiglu(tape.linear(h, p(l + "mlp.gate_proj.weight"), null), tape.linear(h, p(l + "mlp.up_proj.weight"), null));
            x = tape.add(x, tape.dropout(tape.linear(gated, p(l + "mlp.down_proj.weight"), null), dropout, siteSeed(seed, 2 * i + 2)));
        }
        x = tape.rmsNorm(x, p("model.norm.weight"), eps);
        return tape.linear(x, p(config.tiedEmbeddings() ? "model.embed_tokens.weight" : "lm_head.weight"), null);
    }

    /** Mean cross-entropy of the next-token predictions: a scalar on the tape. */
    public Var loss(Tape tape, int[] tokens, int[] targets, int off, int B, int T, float dropout, long dropoutSeed) {
        return tape.crossEntropy(forward(tape, tokens, off, B, T, dropout, dropoutSeed), targets, off, -1);
    }

    private Var p(String name) {
        Var v = vars.get(name);
        if (v == null) throw new IllegalStateException("no parameter " + name + " in " + config.summary());
        return v;
    }

    private Var b(String name) {
        return config.bias() ? p(name) : null;
    }

    private int[] positions(int B, int T) {
        if (positions.length != B * T || positionsT != T) {
            positions = new int[B * T];
            for (int i = 0; i < positions.length; i++) positions[i] = i % T;
            positionsT = T;
        }
        return positions;
    }

    /** A distinct, well-mixed seed per dropout site (SplitMix64's finalizer). */
    private static long siteSeed(long seed, int site) {
        long z = seed + 0x9E3779B97F4A7C15L * (site + 1);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
