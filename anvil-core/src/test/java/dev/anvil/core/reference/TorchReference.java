package dev.anvil.core.reference;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;

/**
 * The transformer pieces written once more with libtorch tensor ops (through DJL), the way the
 * PyTorch reference implementations (nanoGPT, Hugging Face's Llama) write them. libtorch's
 * autograd differentiates this; nothing here shares code with Anvil's kernels. Published in
 * anvil-core's test-jar: anvil-model's pin of the production Transformer builds on these.
 */
public final class TorchReference {

    private TorchReference() {}

    /** x[…, C]·Wᵀ + b, W stored [OC, C] (torch.nn.Linear). */
    public static NDArray linear(NDArray x, NDArray w, NDArray bias) {
        NDArray y = x.matMul(w.transpose());
        return bias == null ? y : y.add(bias);
    }

    /** LayerNorm over the last axis; {@code b} may be null (nanoGPT's bias=False). */
    public static NDArray layerNorm(NDArray x, NDArray w, NDArray b, float eps) {
        NDArray mean = x.mean(new int[] {-1}, true);
        NDArray centered = x.sub(mean);
        NDArray var = centered.square().mean(new int[] {-1}, true);
        NDArray y = centered.div(var.add(eps).sqrt()).mul(w);
        return b == null ? y : y.add(b);
    }

    public static NDArray rmsNorm(NDArray x, NDArray w, float eps) {
        NDArray meanSquare = x.square().mean(new int[] {-1}, true);
        return x.div(meanSquare.add(eps).sqrt()).mul(w);
    }

    /** GELU, tanh approximation: nn.GELU(approximate='tanh'). */
    public static NDArray geluTanh(NDArray x) {
        NDArray inner = x.add(x.pow(3).mul(0.044715f)).mul((float) Math.sqrt(2 / Math.PI));
        return x.mul(0.5f).mul(inner.tanh().add(1f));
    }

    /** GELU, erf form: torch.gelu (approximate='none'), nanoGPT's nn.GELU(). */
    public static NDArray geluErf(NDArray x) {
        return Activation.gelu(x);
    }

    public static NDArray silu(NDArray x) {
        return x.div(x.neg().exp().add(1f));
    }

    /**
     * Causal softmax attention with grouped-query heads: q[B, T, H, D], k and v [B, T, Hkv, D];
     * query head h reads key/value head h / (H / Hkv). Returns [B, T, H·D].
     */
    public static NDArray causalAttention(NDManager manager, NDArray q, NDArray k, NDArray v, float scale) {
        long B = q.getShape().get(0), T = q.getShape().get(1), H = q.getShape().get(2), D = q.getShape().get(3);
        long Hkv = k.getShape().get(2);
        long group = H / Hkv;
        NDList ks = new NDList(), vs = new NDList();
        for (long h = 0; h < H; h++) {
            long kvHead = h / group;
            ks.add(k.get(":, :, {}:{}, :", kvHead, kvHead + 1));
            vs.add(v.get(":, :, {}:{}, :", kvHead, kvHead + 1));
        }
        NDArray kk = Hkv == H ? k : NDArrays.concat(ks, 2);
        NDArray vv = Hkv == H ? v : NDArrays.concat(vs, 2);
        NDArray qh = q.transpose(0, 2, 1, 3);                    // [B, H, T, D]
        NDArray kh = kk.transpose(0, 2, 3, 1);                   // [B, H, D, T]
        NDArray vh = vv.transpose(0, 2, 1, 3);                   // [B, H, T, D]
        float[] mask = new float[(int) (T * T)];
        for (int i = 0; i < T; i++) for (int j = i + 1; j < T; j++) mask[(int) (i * T + j)] = -1e9f;
        NDArray scores = qh.matMul(kh).mul(scale).add(manager.create(mask, new Shape(T, T)));
        NDArray y = scores.softmax(-1).matMul(vh);               // [B, H, T, D]
        return y.transpose(0, 2, 1, 3).reshape(B, T, H * D);
    }

    /**
     * Rotary embedding, Hugging Face's rotate_half pairing (i, i + D/2): x·cos + rotate_half(x)·sin
     * with angle t·θ^(−2i/D), on x[B, T, H, D].
     */
    public static NDArray ropeHalf(NDManager manager, NDArray x, double theta) {
        int T = (int) x.getShape().get(1), D = (int) x.getShape().get(3), half = D / 2;
        float[] cos = new float[T * D], sin = new float[T * D];
        for (int t = 0; t < T; t++) {
            for (int i = 0; i < half; i++) {
                float invFreq = (float) (1.0 / Math.pow(theta, (2.0 * i) / D));
                double angle = (float) t * invFreq;
                cos[t * D + i] = cos[t * D + i + half] = (float) Math.cos(angle);
                sin[t * D + i] = sin[t * D + i + half] = (float) Math.sin(angle);
            }
        }
        // rotate_half(x) = cat(−x₂, x₁) as a constant D×D matrix applied on the right.
        float[] rotate = new float[D * D];
        for (int i = 0; i < half; i++) {
            rotate[(i + half) * D + i] = -1f; // out[i] = −x[i + half]
            rotate[i * D + i + half] = 1f;    // out[i + half] = x[i]
        }
        NDArray c = manager.create(cos, new Shape(T, 1, D)), s = manager.create(sin, new Shape(T, 1, D));
        NDArray rotated = x.matMul(manager.create(rotate, new Shape(D, D)));
        return x.mul(c).add(rotated.mul(s));
    }

    /** Mean cross-entropy over rows whose target is not ignoreIndex; logits [N, V]. */
    public static NDArray crossEntropy(NDManager manager, NDArray logits, int[] targets, int ignoreIndex) {
        long V = logits.getShape().get(logits.getShape().dimension() - 1);
        int N = targets.length;
        float[] oneHot = new float[(int) (N * V)];
        int count = 0;
        for (int i = 0; i < N; i++) {
            if (targets[i] == ignoreIndex) continue;
            oneHot[(int) (i * V + targets[i])] = 1f;
            count++;
        }
        NDArray logp = logits.reshape(N, V).logSoftmax(-1);
        return logp.mul(manager.create(oneHot, new Shape(N, V))).sum().neg().div(count);
    }

    /** Rows of table[V, C] picked by ids, as a one-hot product so autograd scatters the gradient. */
    public static NDArray embedding(NDManager manager, NDArray table, int[] ids) {
        long V = table.getShape().get(0);
        float[] oneHot = new float[(int) (ids.length * V)];
        for (int i = 0; i < ids.length; i++) oneHot[(int) (i * V + ids[i])] = 1f;
        return manager.create(oneHot, new Shape(ids.length, V)).matMul(table);
    }

    /**
     * torch.optim.AdamW's single-tensor update, written out: returns the new parameter and
     * updates m and v in place (arrays index-aligned with the parameter).
     */
    public static float[] adamW(NDManager manager, float[] param, float[] grad, float[] m, float[] v, long step,
                                 double lr, double beta1, double beta2, double eps, double weightDecay) {
        Shape s = new Shape(param.length);
        NDArray p = manager.create(param, s), g = manager.create(grad, s);
        NDArray mm = manager.create(m, s), vv = manager.create(v, s);
        p = p.mul((float) (1 - lr * weightDecay));
        mm = mm.mul((float) beta1).add(g.mul((float) (1 - beta1)));
        vv = vv.mul((float) beta2).add(g.mul(g).mul((float) (1 - beta2)));
        double bc1 = 1 - Math.pow(beta1, step), bc2 = 1 - Math.pow(beta2, step);
        NDArray denom = vv.sqrt().div((float) Math.sqrt(bc2)).add((float) eps);
        p = p.sub(mm.div(denom).mul((float) (lr / bc1)));
        System.arraycopy(mm.toFloatArray(), 0, m, 0, m.length);
        System.arraycopy(vv.toFloatArray(), 0, v, 0, v.length);
        return p.toFloatArray();
    }
}
