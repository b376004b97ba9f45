package dev.anvil.core.reference;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.anvil.core.autograd.Tape;
import dev.anvil.core.autograd.Var;
import dev.anvil.core.kernels.Rope;
import dev.anvil.core.random.Rng;
import dev.anvil.core.tensor.ParameterBuffer;

import java.util.Map;

/**
 * Llama with one block: embedding → RMSNorm → q, k, v projections without bias (grouped-query:
 * nKvHead &lt; nHead) → RoPE (rotate_half pairing, θ = 10000) → causal attention → o proj →
 * residual → RMSNorm → SwiGLU MLP (gate, up, down) → residual → RMSNorm → untied lm_head → CE.
 */
record TinyLlama(int vocab, int C, int nHead, int nKvHead, int hidden, int maxT) implements ReferenceModel {

    static final float EPS = 1e-5f;
    static final double THETA = 10000;

    @Override
    public ParameterBuffer.Layout layout() {
        int D = C / nHead;
        return new ParameterBuffer.Layout()
                .add("embed_tokens", vocab, C)
                .add("l0.input_layernorm", C)
                .add("l0.q_proj", nHead * D, C).add("l0.k_proj", nKvHead * D, C).add("l0.v_proj", nKvHead * D, C)
                .add("l0.o_proj", C, nHead * D)
                .add("l0.post_attention_layernorm", C)
                .add("l0.gate_proj", hidden, C).add("l0.up_proj", hidden, C).add("l0.down_proj", C, hidden)
                .add("norm", C)
                .add("lm_head", vocab, C);
    }

    @Override
    public void initialize(ParameterBuffer params, Rng rng) {
        for (var e : params.layout().entries()) {
            String n = e.name();
            if (e.shape().rank() == 1) ReferenceModel.fill(params, n, rng, 1.0, 0.1);
            else if (n.equals("embed_tokens")) ReferenceModel.fill(params, n, rng, 0.0, 0.5);
            else ReferenceModel.fill(params, n, rng, 0.0, 0.08);
        }
    }

    @Override
    public Output<Var> anvil(Tape tape, Map<String, Var> p, int[] tokens, int[] targets, int B, int T) {
        int D = C / nHead;
        Rope.Table rope = new Rope.Table(maxT, D, THETA);
        Var x = tape.embedding(p.get("embed_tokens"), tokens, 0, B, T);

        Var h = tape.rmsNorm(x, p.get("l0.input_layernorm"), EPS);
        Var q = tape.linear(h, p.get("l0.q_proj"), null).reshape(B, T, nHead, D);
        Var k = tape.linear(h, p.get("l0.k_proj"), null).reshape(B, T, nKvHead, D);
        Var v = tape.linear(h, p.get("l0.v_proj"), null).reshape(B, T, nKvHead, D);
        q = tape.rope(q, rope, Rope.Style.HALF, 0);
        k = tape.rope(k, rope, Rope.Style.HALF, 0);
        Var y = tape.causalAttention(q, k, v, (float) (1 / Math.sqrt(D))).reshape(B, T, nHead * D);
        x = tape.add(x, tape.linear(y, p.get("l0.o_proj"), null));

        h = tape.rmsNorm(x, p.get("l0.post_attention_layernorm"), EPS);
        Var gated = tape.swiglu(tape.linear(h, p.get("l0.gate_proj"), null), tape.linear(h, p.get("l0.up_proj"), null));
        x = tape.add(x, tape.linear(gated, p.get("l0.down_proj"), null));

        x = tape.rmsNorm(x, p.get("norm"), EPS);
        Var logits = tape.linear(x, p.get("lm_head"), null);
        return new Output<>(logits, tape.crossEntropy(logits, targets, 0, IGNORE_INDEX));
    }

    @Override
    public Output<NDArray> torch(NDManager m, Map<String, NDArray> p, int[] tokens, int[] targets, int B, int T) {
        int D = C / nHead;
        NDArray x = TorchReference.embedding(m, p.get("embed_tokens"), tokens).reshape(B, T, C);

        NDArray h = TorchReference.rmsNorm(x, p.get("l0.input_layernorm"), EPS);
        NDArray q = TorchReference.linear(h, p.get("l0.q_proj"), null).reshape(B, T, nHead, D);
        NDArray k = TorchReference.linear(h, p.get("l0.k_proj"), null).reshape(B, T, nKvHead, D);
        NDArray v = TorchReference.linear(h, p.get("l0.v_proj"), null).reshape(B, T, nKvHead, D);
        q = TorchReference.ropeHalf(m, q, THETA);
        k = TorchReference.ropeHalf(m, k, THETA);
        NDArray y = TorchReference.causalAttention(m, q, k, v, (float) (1 / Math.sqrt(D)));
        x = x.add(TorchReference.linear(y, p.get("l0.o_proj"), null));

        h = TorchReference.rmsNorm(x, p.get("l0.post_attention_layernorm"), EPS);
        NDArray gate = TorchReference.linear(h, p.get("l0.gate_proj"), null);
        NDArray up = TorchReference.linear(h, p.get("l0.up_proj"), null);
        x = x.add(TorchReference.linear(TorchReference.silu(gate).mul(up), p.get("l0.down_proj"), null));

        x = TorchReference.rmsNorm(x, p.get("norm"), EPS);
        NDArray logits = TorchReference.linear(x, p.get("lm_head"), null);
        return new Output<>(logits, TorchReference.crossEntropy(m, logits, targets, IGNORE_INDEX));
    }
}
