package dev.anvil.model;

import dev.anvil.model.exec.Ops;

/**
 * The transformer's forward, written once for both families and every executor: token ids in,
 * hidden states out (after the final norm, as Hugging Face's {@code LlamaModel} / {@code GPT2Model}
 * return them). Heads ({@link Heads}) turn hidden states into logits, class scores or values.
 *
 * <pre>
 * GPT-2 block:  x += proj(attn(LN₁(x)));  x += proj(GELU(fc(LN₂(x))))
 * Llama block:  x += o(attn(RoPE(q(N₁(x))), RoPE(k(N₁(x))), v(N₁(x))));  x += down(silu(gate(N₂(x)))·up(N₂(x)))
 * </pre>
 * Attention is causal with scale 1/√head_dim (inside {@link Ops#attention}). Dropout (training
 * only) follows the embedding and each residual branch, with a distinct seed per site so a step
 * can be replayed exactly.
 */
public final class TransformerBody {

    private TransformerBody() {}

    public static <A> A hiddenStates(Ops<A> ops, ModelConfig c, TransformerLayout.Names n, float dropout, long seed) {
        int C = c.width(), H = c.heads(), Hkv = c.kvHeads();
        float eps = (float) c.normEps();
        A x = ops.tokenEmbedding(n.tokenEmbedding());
        if (n.positionEmbedding() != null) x = ops.addPositionEmbedding(x, n.positionEmbedding());
        x = ops.dropout(x, dropout, siteSeed(seed, 0));
        for (int i = 0; i < c.layers(); i++) {
            TransformerLayout.BlockNames b = n.blocks()[i];
            A h = norm(ops, c, x, b.attnNorm(), b.attnNormBias(), eps);
            A q, k, v;
            if (b.qkv() != null) {
                A[] qkv = ops.split(ops.linear(h, b.qkv(), b.qkvBias()), C, C, C);
                q = qkv[0];
                k = qkv[1];
                v = qkv[2];
            } else {
                q = ops.linear(h, b.q(), null);
                k = ops.linear(h, b.k(), null);
                v = ops.linear(h, b.v(), null);
            }
            if (c.family() == ModelConfig.Family.LLAMA) {
                q = ops.rope(q, H);
                k = ops.rope(k, Hkv);
            }
            A y = ops.attention(i, q, k, v, H, Hkv);
            x = ops.add(x, ops.dropout(ops.linear(y, b.out(), b.outBias()), dropout, siteSeed(seed, 2 * i + 1)));
            h = norm(ops, c, x, b.mlpNorm(), b.mlpNormBias(), eps);
            A m = c.family() == ModelConfig.Family.GPT2
                    ? ops.gelu(ops.linear(h, b.fc(), b.fcBias()), c.activation())
                    : ops.swiglu(ops.linear(h, b.gate(), null), ops.linear(h, b.up(), null));
            x = ops.blockOutput(ops.add(x, ops.dropout(ops.linear(m, b.down(), b.downBias()), dropout, siteSeed(seed, 2 * i + 2))));
        }
        return norm(ops, c, x, n.finalNorm(), n.finalNormBias(), eps);
    }

    private static <A> A norm(Ops<A> ops, ModelConfig c, A x, String weight, String bias, float eps) {
        return c.family() == ModelConfig.Family.GPT2 ? ops.layerNorm(x, weight, bias, eps) : ops.rmsNorm(x, weight, eps);
    }

    /** A distinct, well-mixed seed per dropout site (SplitMix64's finalizer). */
    static long siteSeed(long seed, int site) {
        long z = seed + 0x9E3779B97F4A7C15L * (site + 1);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
