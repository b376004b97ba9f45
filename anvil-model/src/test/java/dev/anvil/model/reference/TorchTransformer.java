package dev.anvil.model.reference;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.anvil.core.reference.TorchReference;
import dev.anvil.model.ModelConfig;

import java.util.Map;

/**
 * The production {@link dev.anvil.model.Transformer}'s architecture written once more with libtorch
 * ops, the way Hugging Face's {@code GPT2LMHeadModel} (nanoGPT for the erf GELU and bias=False) and
 * {@code LlamaForCausalLM} write it, reading the weights by their Hugging Face names. Nothing here
 * shares code with Anvil: the names are spelled out rather than taken from
 * {@link dev.anvil.model.TransformerLayout}, and every hyperparameter (ε, θ, GELU form, heads) comes
 * from the {@link ModelConfig}.
 *
 * <p>Matrices are [out, in] (torch.nn.Linear), GPT-2's fused {@code c_attn} included ([3C, C],
 * rows q, then k, then v).
 */
final class TorchTransformer {

    private TorchTransformer() {}

    /** Hidden states [B, T, C] after the final norm for B windows of T tokens. */
    static NDArray hidden(NDManager m, ModelConfig c, Map<String, NDArray> p, int[] tokens, int B, int T) {
        return c.family() == ModelConfig.Family.GPT2 ? gpt2(m, c, p, tokens, B, T) : llama(m, c, p, tokens, B, T);
    }

    /** Vocabulary logits [B, T, V] of the hidden states: lm_head, or the token embedding when tied. */
    static NDArray logits(ModelConfig c, Map<String, NDArray> p, NDArray hidden) {
        String head = c.tiedEmbeddings() ? (c.family() == ModelConfig.Family.GPT2 ? "wte.weight" : "model.embed_tokens.weight") : "lm_head.weight";
        return TorchReference.linear(hidden, w(p, head), null);
    }

    /** A tensor the architecture needs: missing is a layout error, not a silent zero. */
    private static NDArray w(Map<String, NDArray> p, String name) {
        NDArray a = p.get(name);
        if (a == null) throw new IllegalArgumentException("the weights have no " + name + " (have " + p.keySet() + ")");
        return a;
    }

    /** A GPT-2 bias: present exactly when the config has biases. */
    private static NDArray bias(ModelConfig c, Map<String, NDArray> p, String name) {
        if (!c.bias() && p.containsKey(name)) throw new IllegalArgumentException("bias=false, yet the weights hold " + name);
        return c.bias() ? w(p, name) : null;
    }

    private static NDArray gpt2(NDManager m, ModelConfig c, Map<String, NDArray> p, int[] tokens, int B, int T) {
        int C = c.width(), H = c.heads(), D = c.headDim();
        float eps = (float) c.normEps(), scale = (float) (1 / Math.sqrt(D));
        NDArray x = TorchReference.embedding(m, w(p, "wte.weight"), tokens).reshape(B, T, C)
                .add(w(p, "wpe.weight").get("0:{}, :", T));
        for (int i = 0; i < c.layers(); i++) {
            String l = "h." + i + ".";
            NDArray h = TorchReference.layerNorm(x, w(p, l + "ln_1.weight"), bias(c, p, l + "ln_1.bias"), eps);
            NDArray qkv = TorchReference.linear(h, w(p, l + "attn.c_attn.weight"), bias(c, p, l + "attn.c_attn.bias"));
            NDArray q = qkv.get("..., 0:{}", C).reshape(B, T, H, D);
            NDArray k = qkv.get("..., {}:{}", C, 2 * C).reshape(B, T, H, D);
            NDArray v = qkv.get("..., {}:{}", 2 * C, 3 * C).reshape(B, T, H, D);
            NDArray y = TorchReference.causalAttention(m, q, k, v, scale);
            x = x.add(TorchReference.linear(y, w(p, l + "attn.c_proj.weight"), bias(c, p, l + "attn.c_proj.bias")));

            h = TorchReference.layerNorm(x, w(p, l + "ln_2.weight"), bias(c, p, l + "ln_2.bias"), eps);
            NDArray fc = TorchReference.linear(h, w(p, l + "mlp.c_fc.weight"), bias(c, p, l + "mlp.c_fc.bias"));
            NDArray a = switch (c.activation()) {
                case GELU -> TorchReference.geluErf(fc);
                case GELU_TANH -> TorchReference.geluTanh(fc);
                case SWIGLU -> throw new IllegalArgumentException("GPT-2 has no SwiGLU");
            };
            x = x.add(TorchReference.linear(a, w(p, l + "mlp.c_proj.weight"), bias(c, p, l + "mlp.c_proj.bias")));
        }
        return TorchReference.layerNorm(x, w(p, "ln_f.weight"), bias(c, p, "ln_f.bias"), eps);
    }

    private static NDArray llama(NDManager m, ModelConfig c, Map<String, NDArray> p, int[] tokens, int B, int T) {
        int C = c.width(), H = c.heads(), Hkv = c.kvHeads(), D = c.headDim();
        float eps = (float) c.normEps(), scale = (float) (1 / Math.sqrt(D));
        NDArray x = TorchReference.embedding(m, w(p, "model.embed_tokens.weight"), tokens).reshape(B, T, C);
        for (int i = 0; i < c.layers(); i++) {
            String l = "model.layers." + i + ".";
            NDArray h = TorchReference.rmsNorm(x, w(p, l + "input_layernorm.weight"), eps);
            NDArray q = TorchReference.linear(h, w(p, l + "self_attn.q_proj.weight"), null).reshape(B, T, H, D);
            NDArray k = TorchReference.linear(h, w(p, l + "self_attn.k_proj.weight"), null).reshape(B, T, Hkv, D);
            NDArray v = TorchReference.linear(h, w(p, l + "self_attn.v_proj.weight"), null).reshape(B, T, Hkv, D);
            q = TorchReference.ropeHalf(m, q, c.ropeTheta());
            k = TorchReference.ropeHalf(m, k, c.ropeTheta());
            NDArray y = TorchReference.causalAttention(m, q, k, v, scale);
            x = x.add(TorchReference.linear(y, w(p, l + "self_attn.o_proj.weight"), null));

            h = TorchReference.rmsNorm(x, w(p, l + "post_attention_layernorm.weight"), eps);
            NDArray gate = TorchReference.linear(h, w(p, l + "mlp.gate_proj.weight"), null);
            NDArray up = TorchReference.linear(h, w(p, l + "mlp.up_proj.weight"), null);
            x = x.add(TorchReference.linear(TorchReference.silu(gate).mul(up), w(p, l + "mlp.down_proj.weight"), null));
        }
        return TorchReference.rmsNorm(x, w(p, "model.norm.weight"), eps);
    }
}
