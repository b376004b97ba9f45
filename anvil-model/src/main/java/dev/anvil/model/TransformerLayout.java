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

    public static ParameterBuffer.Layout of(ModelConfig c) {
        return c.family() == ModelConfig.Family.GPT2 ? gpt2(c) : llama(c);
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
        if (!c.tiedEmbeddings()) l.add("lm_head.weight", c.vocabSize(), C);
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
        if (!c.tiedEmbeddings()) l.add("lm_head.weight", c.vocabSize(), C);
        return l;
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
