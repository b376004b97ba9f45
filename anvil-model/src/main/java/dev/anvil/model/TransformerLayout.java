package dev.anvil.model;

import dev.anvil.core.tensor.ParameterBuffer;

/**
 * The parameter buffer's layout for a {@link ModelConfig}, with Hugging Face's tensor names, so a
 * checkpoint is a valid {@code model.safetensors} for {@code GPT2LMHeadModel} or
 * {@code LlamaForCausalLM}. Matrices are stored as a Linear layer holds them, [out, in]; GPT-2's
 * Hugging Face checkpoints use Conv1D, [in, out], so {@link #isConv1D} tells the safetensors
 * writer and reader to transpose those.
 */
public final class TransformerLayout {

    private TransformerLayout() {}

    /** The layout of a causal language model (body and LM head). */
    public static ParameterBuffer.Layout of(ModelConfig c) {
        return of(c, Heads.languageModel());
    }

    /** The body's tensors, then the heads': an untied LM head, a score head, a value head. */
    public static ParameterBuffer.Layout of(ModelConfig c, Heads heads) {
        ParameterBuffer.Layout l = c.family() == ModelConfig.Family.GPT2 ? gpt2(c) : llama(c);
        if (heads.lm() && !c.tiedEmbeddings()) l.add("lm_head.weight", c.vocabSize(), c.width());
        if (heads.scoreLabels() > 0) l.add(SCORE_HEAD, heads.scoreLabels(), c.width());
        if (heads.value()) l.add(VALUE_HEAD, 1, c.width()).add(VALUE_HEAD_BIAS, 1);
        return l;
    }

    private static ParameterBuffer.Layout gpt2(ModelConfig c) {
        int C = c.width(), F = c.hiddenWidth();
        var l = new ParameterBuffer.Layout().add("wte.weight", c.vocabSize(), C).add("wpe.weight", c.contextLength(), C);
        for (int i = 0; i < c.layers(); i++) {
            String p = "h." + i + ".";
            l.add(p + "ln_1.weight", C);
            if (c.bias()) l.add(p + "ln_1.bias", C);
            l.add(p + "attn.c_attn.weight", 3 * C, C);
            if (c.bias()) l.add(p + "attn.c_attn.bias", 3 * C);
            l.add(p + "attn.c_proj.weight", C, C);
            if (c.bias()) l.add(p + "attn.c_proj.bias", C);
            l.add(p + "ln_2.weight", C);
            if (c.bias()) l.add(p + "ln_2.bias", C);
            l.add(p + "mlp.c_fc.weight", F, C);
            if (c.bias()) l.add(p + "mlp.c_fc.bias", F);
            l.add(p + "mlp.c_proj.weight", C, F);
            if (c.bias()) l.add(p + "mlp.c_proj.bias", C);
        }
        l.add("ln_f.weight", C);
        if (c.bias()) l.add("ln_f.bias", C);
        return l;
    }

    private static ParameterBuffer.Layout llama(ModelConfig c) {
        int C = c.width(), F = c.hiddenWidth(), D = c.headDim();
        var l = new ParameterBuffer.Layout().add("model.embed_tokens.weight", c.vocabSize(), C);
        for (int i = 0; i < c.layers(); i++) {
            String p = "model.layers." + i + ".";
            l.add(p + "input_layernorm.weight", C)
                    .add(p + "self_attn.q_proj.weight", c.heads() * D, C)
                    .add(p + "self_attn.k_proj.weight", c.kvHeads() * D, C)
                    .add(p + "self_attn.v_proj.weight", c.kvHeads() * D, C)
                    .add(p + "self_attn.o_proj.weight", C, c.heads() * D)
                    .add(p + "post_attention_layernorm.weight", C)
                    .add(p + "mlp.gate_proj.weight", F, C)
                    .add(p + "mlp.up_proj.weight", F, C)
                    .add(p + "mlp.down_proj.weight", C, F);
        }
        l.add("model.norm.weight", C);
        return l;
    }

    /**
     * The tensor names of one block, in one place: the forward ({@link TransformerBody}) and every
     * format reader and writer look names up here. Entries a family does not have are null
     * (GPT-2 fuses q, k and v into {@code qkv}; Llama has separate projections and a gated MLP).
     */
    public record BlockNames(String attnNorm, String attnNormBias, String qkv, String qkvBias, String q, String k, String v,
                             String out, String outBias, String mlpNorm, String mlpNormBias,
                             String fc, String fcBias, String gate, String up, String down, String downBias) {}

    /** The names outside the blocks, and the head the LM logits come from. */
    public record Names(String tokenEmbedding, String positionEmbedding, String finalNorm, String finalNormBias,
                        String lmHead, BlockNames[] blocks) {}

    /** Head tensors beyond the LM head (Hugging Face's names: {@code *ForSequenceClassification.score}, TRL's value head). */
    public static final String SCORE_HEAD = "score.weight";
    public static final String VALUE_HEAD = "v_head.summary.weight";
    public static final String VALUE_HEAD_BIAS = "v_head.summary.bias";

    public static Names names(ModelConfig c) {
        BlockNames[] blocks = new BlockNames[c.layers()];
        boolean gpt2 = c.family() == ModelConfig.Family.GPT2;
        for (int i = 0; i < blocks.length; i++) {
            if (gpt2) {
                String p = "h." + i + ".";
                blocks[i] = new BlockNames(p + "ln_1.weight", bias(c, p + "ln_1.bias"), p + "attn.c_attn.weight", bias(c, p + "attn.c_attn.bias"),
                        null, null, null, p + "attn.c_proj.weight", bias(c, p + "attn.c_proj.bias"),
                        p + "ln_2.weight", bias(c, p + "ln_2.bias"), p + "mlp.c_fc.weight", bias(c, p + "mlp.c_fc.bias"),
                        null, null, p + "mlp.c_proj.weight", bias(c, p + "mlp.c_proj.bias"));
            } else {
                String p = "model.layers." + i + ".";
                blocks[i] = new BlockNames(p + "input_layernorm.weight", null, null, null,
                        p + "self_attn.q_proj.weight", p + "self_attn.k_proj.weight", p + "self_attn.v_proj.weight",
                        p + "self_attn.o_proj.weight", null, p + "post_attention_layernorm.weight", null,
                        null, null, p + "mlp.gate_proj.weight", p + "mlp.up_proj.weight", p + "mlp.down_proj.weight", null);
            }
        }
        String embed = gpt2 ? "wte.weight" : "model.embed_tokens.weight";
        return new Names(embed, gpt2 ? "wpe.weight" : null, gpt2 ? "ln_f.weight" : "model.norm.weight",
                gpt2 ? bias(c, "ln_f.bias") : null, c.tiedEmbeddings() ? embed : "lm_head.weight", blocks);
    }

    private static String bias(ModelConfig c, String name) {
        return c.bias() ? name : null;
    }

    /** GPT-2's Conv1D weights, stored [in, out] by Hugging Face. */
    public static boolean isConv1D(ModelConfig c, String name) {
        return c.family() == ModelConfig.Family.GPT2 && name.startsWith("h.") && name.endsWith(".weight")
                && (name.contains(".c_attn.") || name.contains(".c_proj.") || name.contains(".c_fc."));
    }

    /** Weight matrices (decayed by AdamW); norms and biases are not. Embeddings decay, as in nanoGPT. */
    public static boolean isMatrix(ParameterBuffer.Layout.Entry e) {
        return e.shape().rank() == 2;
    }

    /** The projections that write into the residual stream, whose init is scaled by 1/√(2·layers). */
    public static boolean isResidualProjection(String name) {
        return name.endsWith("attn.c_proj.weight") || name.endsWith("mlp.c_proj.weight")
                || name.endsWith("self_attn.o_proj.weight") || name.endsWith("mlp.down_proj.weight");
    }
}
