package dev.anvil.core.reference;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Activation;
import dev.anvil.core.autograd.Tape;
import dev.anvil.core.autograd.Var;
import dev.anvil.core.random.Rng;
import dev.anvil.core.tensor.ParameterBuffer;

import java.util.Map;

/**
 * GPT-2 with one block: token + position embedding → LayerNorm → fused qkv (bias) → causal MHA →
 * proj → residual → LayerNorm → fc → GELU → proj → residual → final LayerNorm → lm_head tied
 * to the token embedding → cross-entropy. GELU is GPT-2's tanh form, or with {@code erfGelu} the
 * erf form of nanoGPT's {@code nn.GELU()} (libtorch's own gelu on the reference side).
 */
record TinyGpt2(int vocab, int C, int nHead, int maxT, boolean erfGelu) implements ReferenceModel {

    static final float EPS = 1e-5f;

    @Override
    public ParameterBuffer.Layout layout() {
        return new ParameterBuffer.Layout()
                .add("wte", vocab, C)
                .add("wpe", maxT, C)
                .add("h0.ln_1.weight", C).add("h0.ln_1.bias", C)
                .add("h0.attn.c_attn.weight", 3 * C, C).add("h0.attn.c_attn.bias", 3 * C)
                .add("h0.attn.c_proj.weight", C, C).add("h0.attn.c_proj.bias", C)
                .add("h0.ln_2.weight", C).add("h0.ln_2.bias", C)
                .add("h0.mlp.c_fc.weight", 4 * C, C).add("h0.mlp.c_fc.bias", 4 * C)
                .add("h0.mlp.c_proj.weight", C, 4 * C).add("h0.mlp.c_proj.bias", C)
                .add("ln_f.weight", C).add("ln_f.bias", C);
    }

    @Override
    public void initialize(ParameterBuffer params, Rng rng) {
        for (var e : params.layout().entries()) {
            String n = e.name();
            if (n.contains("ln_") && n.endsWith("weight")) ReferenceModel.fill(params, n, rng, 1.0, 0.1);
            else if (n.endsWith("bias")) ReferenceModel.fill(params, n, rng, 0.0, 0.02);
            else if (n.startsWith("wte") || n.startsWith("wpe")) ReferenceModel.fill(params, n, rng, 0.0, 0.1);
            else ReferenceModel.fill(params, n, rng, 0.0, 0.06);
        }
    }

    /** The key part of the qkv bias: q·(k + b) shifts a query's scores by the constant q·b. */
    @Override
    public int[] zeroGradientRange(String name) {
        return name.equals("h0.attn.c_attn.bias") ? new int[] {C, 2 * C} : null;
    }

    @Override
    public Output<Var> anvil(Tape tape, Map<String, Var> p, int[] tokens, int[] targets, int B, int T) {
        int D = C / nHead;
        int[] positions = new int[B * T];
        for (int i = 0; i < positions.length; i++) positions[i] = i % T;
        Var x = tape.add(tape.embedding(p.get("wte"), tokens, 0, B, T), tape.embedding(p.get("wpe"), positions, 0, B, T));

        Var h = tape.layerNorm(x, p.get("h0.ln_1.weight"), p.get("h0.ln_1.bias"), EPS);
        Var[] qkv = tape.split(tape.linear(h, p.get("h0.attn.c_attn.weight"), p.get("h0.attn.c_attn.bias")), C, C, C);
        Var q = qkv[0].reshape(B, T, nHead, D), k = qkv[1].reshape(B, T, nHead, D), v = qkv[2].reshape(B, T, nHead, D);
        Var y = tape.causalAttention(q, k, v, (float) (1 / Math.sqrt(D))).reshape(B, T, C);
        x = tape.add(x, tape.linear(y, p.get("h0.attn.c_proj.weight"), p.get("h0.attn.c_proj.bias")));

        h = tape.layerNorm(x, p.get("h0.ln_2.weight"), p.get("h0.ln_2.bias"), EPS);
        Var fc = tape.linear(h, p.get("h0.mlp.c_fc.weight"), p.get("h0.mlp.c_fc.bias"));
        h = erfGelu ? tape.geluErf(fc) : tape.gelu(fc);
        x = tape.add(x, tape.linear(h, p.get("h0.mlp.c_proj.weight"), p.get("h0.mlp.c_proj.bias")));

        x = tape.layerNorm(x, p.get("ln_f.weight"), p.get("ln_f.bias"), EPS);
        Var logits = tape.linear(x, p.get("wte"), null);
        return new Output<>(logits, tape.crossEntropy(logits, targets, 0, IGNORE_INDEX));
    }

    @Override
    public Output<NDArray> torch(NDManager m, Map<String, NDArray> p, int[] tokens, int[] targets, int B, int T) {
        int D = C / nHead;
        NDArray x = TorchReference.embedding(m, p.get("wte"), tokens).reshape(B, T, C)
                .add(p.get("wpe").get("0:{}, :", T));

        NDArray h = TorchReference.layerNorm(x, p.get("h0.ln_1.weight"), p.get("h0.ln_1.bias"), EPS);
        NDArray qkv = TorchReference.linear(h, p.get("h0.attn.c_attn.weight"), p.get("h0.attn.c_attn.bias"));
        NDArray q = qkv.get("..., 0:{}", C).reshape(B, T, nHead, D);
        NDArray k = qkv.get("..., {}:{}", C, 2 * C).reshape(B, T, nHead, D);
        NDArray v = qkv.get("..., {}:{}", 2 * C, 3 * C).reshape(B, T, nHead, D);
        NDArray y = TorchReference.causalAttention(m, q, k, v, (float) (1 / Math.sqrt(D)));
        x = x.add(TorchReference.linear(y, p.get("h0.attn.c_proj.weight"), p.get("h0.attn.c_proj.bias")));

        h = TorchReference.layerNorm(x, p.get("h0.ln_2.weight"), p.get("h0.ln_2.bias"), EPS);
        NDArray fc = TorchReference.linear(h, p.get("h0.mlp.c_fc.weight"), p.get("h0.mlp.c_fc.bias"));
        h = erfGelu ? Activation.gelu(fc) : TorchReference.geluTanh(fc);
        x = x.add(TorchReference.linear(h, p.get("h0.mlp.c_proj.weight"), p.get("h0.mlp.c_proj.bias")));

        x = TorchReference.layerNorm(x, p.get("ln_f.weight"), p.get("ln_f.bias"), EPS);
        NDArray logits = TorchReference.linear(x, p.get("wte"), null);
        return new Output<>(logits, TorchReference.crossEntropy(m, logits, targets, IGNORE_INDEX));
    }
}
