package dev.anvil.model.inference;

import dev.anvil.core.kernels.Activations;
import dev.anvil.core.kernels.Attention;
import dev.anvil.core.kernels.Embedding;
import dev.anvil.core.kernels.LayerNorm;
import dev.anvil.core.kernels.Linear;
import dev.anvil.core.kernels.QuantizedMatVec;
import dev.anvil.core.kernels.Residual;
import dev.anvil.core.kernels.RmsNorm;
import dev.anvil.core.kernels.Rope;
import dev.anvil.core.tensor.ParameterBuffer;
import dev.anvil.core.tensor.QuantizedBlocks;
import dev.anvil.core.tensor.Tensor;
import dev.anvil.model.ModelConfig;
import dev.anvil.model.Transformer;

/**
 * Inference over a model's weights with a {@link KvCache}: the same math as {@link Transformer}'s
 * forward, but calling the kernels directly (no tape, no gradients) and only for the new tokens.
 *
 * <p>{@link #append} feeds n new tokens at positions [p, p + n) where p is the cache length: every
 * matrix product runs over all n rows at once (prefill of a prompt is GEMM-shaped; one decoded
 * token is n = 1, where the GEMM takes its matrix-vector path), the new keys and values are written
 * into the cache, and attention runs with Tq = n queries against Tk = p + n keys — the kernel puts
 * the queries at the last positions, which is exactly causal attention over the whole sequence.
 * Prompts longer than {@link #chunkRows()} are fed in chunks of that many rows.
 *
 * <p>Every buffer is allocated once, for {@code chunkRows} rows; decoding a token allocates nothing.
 * A session is not thread-safe; several sessions may share one weight buffer.
 */
public final class InferenceSession {

    private final ModelConfig config;
    private final ParameterBuffer params;
    private final KvCache cache;
    private final Rope.Table rope;
    private final int chunkRows;
    private final Layer[] layers;
    private final Tensor tokenEmbedding, positionEmbedding, finalNormWeight, finalNormBias, head;

    /** Q4_0 copies of weight matrices, by the matrix's offset in the parameter buffer (empty unless Q4_0 decoding was asked for). */
    private final java.util.Map<Integer, byte[]> q4_0 = new java.util.HashMap<>();

    // Scratch for chunkRows rows.
    private final float[] x, normed, q, qkv, attention, projected, hidden, up, lse, logits;
    private final int[] chunkTokens, chunkPositions;

    /** The weights of one block (null entries are absent in that family or without biases). */
    private record Layer(Tensor norm1, Tensor norm1Bias, Tensor qkv, Tensor qkvBias, Tensor q, Tensor k, Tensor v,
                         Tensor out, Tensor outBias, Tensor norm2, Tensor norm2Bias,
                         Tensor fc, Tensor fcBias, Tensor gate, Tensor upProj, Tensor down, Tensor downBias) {}

    public InferenceSession(Transformer model) {
        this(model.config(), model.parameters());
    }

    public InferenceSession(ModelConfig config, ParameterBuffer params) {
        this(config, params, config.contextLength(), Math.min(config.contextLength(), 256));
    }

    /**
     * @param capacity  positions the cache holds (at most the model's context)
     * @param chunkRows tokens processed per batched step of prefill (the scratch buffers' rows)
     */
    public InferenceSession(ModelConfig config, ParameterBuffer params, int capacity, int chunkRows) {
        this(config, params, capacity, chunkRows, false);
    }

    /**
     * With {@code q4_0Decode}, every weight matrix whose rows are whole blocks of 32 is also kept as
     * Q4_0 ({@link QuantizedBlocks}) and single-token steps multiply with those
     * ({@link QuantizedMatVec}): a decoded token reads 4.5 bits per weight instead of 32. Prefill
     * chunks still run the float32 GEMM, so for the two to compute the same function the float
     * weights should already be Q4_0 values (as a Q4_0 GGUF file reads back; quantizing those again
     * gives the same blocks).
     */
    public InferenceSession(ModelConfig config, ParameterBuffer params, int capacity, int chunkRows, boolean q4_0Decode) {
        if (chunkRows < 1) throw new IllegalArgumentException("inference session: chunkRows must be positive, got " + chunkRows);
        this.config = config;
        this.params = params;
        this.cache = new KvCache(config, capacity);
        this.chunkRows = Math.min(chunkRows, capacity);
        boolean gpt2 = config.family() == ModelConfig.Family.GPT2;
        this.rope = gpt2 ? null : new Rope.Table(config.contextLength(), config.headDim(), config.ropeTheta());
        this.layers = new Layer[config.layers()];
        for (int i = 0; i < layers.length; i++) {
            if (gpt2) {
                String l = "h." + i + ".";
                layers[i] = new Layer(t(l + "ln_1.weight"), b(l + "ln_1.bias"), t(l + "attn.c_attn.weight"), b(l + "attn.c_attn.bias"),
                        null, null, null, t(l + "attn.c_proj.weight"), b(l + "attn.c_proj.bias"),
                        t(l + "ln_2.weight"), b(l + "ln_2.bias"), t(l + "mlp.c_fc.weight"), b(l + "mlp.c_fc.bias"),
                        null, null, t(l + "mlp.c_proj.weight"), b(l + "mlp.c_proj.bias"));
            } else {
                String l = "model.layers." + i + ".";
                layers[i] = new Layer(t(l + "input_layernorm.weight"), null, null, null,
                        t(l + "self_attn.q_proj.weight"), t(l + "self_attn.k_proj.weight"), t(l + "self_attn.v_proj.weight"),
                        t(l + "self_attn.o_proj.weight"), null, t(l + "post_attention_layernorm.weight"), null,
                        null, null, t(l + "mlp.gate_proj.weight"), t(l + "mlp.up_proj.weight"), t(l + "mlp.down_proj.weight"), null);
            }
        }
        String embed = gpt2 ? "wte.weight" : "model.embed_tokens.weight";
        this.tokenEmbedding = t(embed);
        this.positionEmbedding = gpt2 ? t("wpe.weight") : null;
        this.finalNormWeight = t(gpt2 ? "ln_f.weight" : "model.norm.weight");
        this.finalNormBias = gpt2 ? b("ln_f.bias") : null;
        this.head = t(config.tiedEmbeddings() ? embed : "lm_head.weight");
        if (q4_0Decode) {
            for (Layer w : layers) {
                for (Tensor m : new Tensor[] {w.qkv, w.q, w.k, w.v, w.out, w.fc, w.gate, w.upProj, w.down}) quantize(m);
            }
            quantize(head);
        }

        int n = this.chunkRows, C = config.width(), H = config.heads(), D = config.headDim(), F = config.hiddenWidth();
        this.x = new float[n * C];
        this.normed = new float[n * C];
        this.q = new float[n * H * D];
        this.qkv = gpt2 ? new float[n * 3 * C] : null;
        this.attention = new float[n * H * D];
        this.projected = new float[n * C];
        this.hidden = new float[n * F];
        this.up = gpt2 ? null : new float[n * F];
        this.lse = new float[n * H];
        this.logits = new float[config.vocabSize()];
        this.chunkTokens = new int[n];
        this.chunkPositions = new int[n];
    }

    public ModelConfig config() {
        return config;
    }

    public KvCache cache() {
        return cache;
    }

    /** Positions processed so far (the next token's position). */
    public int position() {
        return cache.length();
    }

    public int chunkRows() {
        return chunkRows;
    }

    /** Forgets the sequence; the next {@link #append} starts at position 0. */
    public void reset() {
        cache.clear();
    }

    /**
     * Feeds {@code tokens[off, off + n)} and returns the logits [vocab] that predict the token after
     * the last one. The returned array is this session's buffer, overwritten by the next call.
     */
    public float[] append(int[] tokens, int off, int n) {
        run(tokens, off, n, null, 0);
        return logits;
    }

    /** Feeds one token; returns the next-token logits (this session's buffer). */
    public float[] append(int token) {
        chunkTokens[0] = token;
        run(chunkTokens, 0, 1, null, 0);
        return logits;
    }

    /**
     * Feeds {@code tokens[off, off + n)} and writes the logits at every one of the n positions into
     * {@code allLogits[allOff, allOff + n·vocab)} (for scoring a text; generation needs only the last).
     */
    public void appendAll(int[] tokens, int off, int n, float[] allLogits, int allOff) {
        if (allLogits == null || allOff < 0 || (long) allOff + (long) n * config.vocabSize() > allLogits.length) {
            throw new IllegalArgumentException("inference session: allLogits needs " + (long) n * config.vocabSize() + " floats from offset " + allOff);
        }
        run(tokens, off, n, allLogits, allOff);
    }

    private void run(int[] tokens, int off, int n, float[] allLogits, int allOff) {
        if (n < 1) throw new IllegalArgumentException("inference session: need at least one token, got " + n);
        if (off < 0 || (long) off + n > tokens.length) {
            throw new IllegalArgumentException("inference session: tokens [" + off + ", " + ((long) off + n) + ") outside an array of " + tokens.length);
        }
        if (cache.length() + n > cache.capacity()) {
            throw new IllegalArgumentException("inference session: " + cache.length() + " positions + " + n + " new tokens exceed the context of "
                    + cache.capacity() + " positions");
        }
        int V = config.vocabSize();
        for (int start = 0; start < n; start += chunkRows) {
            int rows = Math.min(chunkRows, n - start);
            boolean last = start + rows == n;
            forwardChunk(tokens, off + start, rows);
            if (allLogits != null) {
                finalNormAndHead(0, rows, allLogits, allOff + start * V);
            }
            if (last) {
                if (allLogits != null) System.arraycopy(allLogits, allOff + (n - 1) * V, logits, 0, V);
                else finalNormAndHead(rows - 1, 1, logits, 0);
            }
        }
    }

    /** Runs the blocks over {@code rows} tokens at positions [cache.length(), +rows) and advances the cache; leaves the residual stream in x. */
    private void forwardChunk(int[] tokens, int off, int rows) {
        int C = config.width(), H = config.heads(), Hkv = config.kvHeads(), D = config.headDim(), F = config.hiddenWidth();
        int pos = cache.length(), Tk = pos + rows, kvW = cache.rowWidth();
        float eps = (float) config.normEps(), scale = (float) (1 / Math.sqrt(D));
        int V = config.vocabSize();
        Embedding.forward(x, 0, tokens, off, rows, tokenEmbedding.data(), tokenEmbedding.offset(), V, C);
        if (positionEmbedding != null) {
            for (int i = 0; i < rows; i++) chunkPositions[i] = pos + i;
            Embedding.forward(projected, 0, chunkPositions, 0, rows, positionEmbedding.data(), positionEmbedding.offset(), config.contextLength(), C);
            Residual.forward(x, 0, x, 0, projected, 0, rows * C);
        }
        for (int i = 0; i < layers.length; i++) {
            Layer w = layers[i];
            float[] kc = cache.keys(i), vc = cache.values(i);
            if (config.family() == ModelConfig.Family.GPT2) {
                LayerNorm.forward(normed, 0, null, 0, null, 0, x, 0, w.norm1.data(), w.norm1.offset(), data(w.norm1Bias), off(w.norm1Bias), rows, C, eps);
                linear(qkv, normed, w.qkv, w.qkvBias, rows, C, 3 * C);
                // Split [rows, 3C] into q and the cache's key and value rows.
                for (int r = 0; r < rows; r++) {
                    System.arraycopy(qkv, r * 3 * C, q, r * C, C);
                    System.arraycopy(qkv, r * 3 * C + C, kc, (pos + r) * kvW, C);
                    System.arraycopy(qkv, r * 3 * C + 2 * C, vc, (pos + r) * kvW, C);
                }
            } else {
                RmsNorm.forward(normed, 0, null, 0, x, 0, w.norm1.data(), w.norm1.offset(), rows, C, eps);
                linear(q, normed, w.q, null, rows, C, H * D);
                Rope.forward(q, 0, q, 0, 1, rows, H, D, pos, rope, Rope.Style.HALF);
                // Keys and values are written straight into the cache rows: Linear's [rows, kvW] output is contiguous there.
                project(kc, pos * kvW, normed, w.k, null, rows, C, kvW);
                Rope.forward(kc, pos * kvW, kc, pos * kvW, 1, rows, Hkv, D, pos, rope, Rope.Style.HALF);
                project(vc, pos * kvW, normed, w.v, null, rows, C, kvW);
            }
            Attention.forward(attention, 0, lse, 0, q, 0, kc, 0, vc, 0, 1, rows, Tk, H, Hkv, D, scale);
            linear(projected, attention, w.out, w.outBias, rows, H * D, C);
            Residual.forward(x, 0, x, 0, projected, 0, rows * C);
            if (config.family() == ModelConfig.Family.GPT2) {
                LayerNorm.forward(normed, 0, null, 0, null, 0, x, 0, w.norm2.data(), w.norm2.offset(), data(w.norm2Bias), off(w.norm2Bias), rows, C, eps);
                linear(hidden, normed, w.fc, w.fcBias, rows, C, F);
                if (config.activation() == ModelConfig.Activation.GELU) Activations.geluErfForward(hidden, 0, hidden, 0, rows * F);
                else Activations.geluForward(hidden, 0, hidden, 0, rows * F);
            } else {
                RmsNorm.forward(normed, 0, null, 0, x, 0, w.norm2.data(), w.norm2.offset(), rows, C, eps);
                linear(hidden, normed, w.gate, null, rows, C, F);
                linear(up, normed, w.upProj, null, rows, C, F);
                Activations.swigluForward(hidden, 0, hidden, 0, up, 0, rows * F);
            }
            linear(projected, hidden, w.down, w.downBias, rows, F, C);
            Residual.forward(x, 0, x, 0, projected, 0, rows * C);
        }
        cache.advance(rows);
    }

    /** Final norm of x's rows [first, first + count) and the output head into out[count, vocab]. */
    private void finalNormAndHead(int first, int count, float[] out, int outOff) {
        int C = config.width();
        float eps = (float) config.normEps();
        if (config.family() == ModelConfig.Family.GPT2) {
            LayerNorm.forward(normed, 0, null, 0, null, 0, x, first * C, finalNormWeight.data(), finalNormWeight.offset(),
                    data(finalNormBias), off(finalNormBias), count, C, eps);
        } else {
            RmsNorm.forward(normed, 0, null, 0, x, first * C, finalNormWeight.data(), finalNormWeight.offset(), count, C, eps);
        }
        project(out, outOff, normed, head, null, count, C, config.vocabSize());
    }

    private void linear(float[] out, float[] in, Tensor w, Tensor bias, int rows, int inWidth, int outWidth) {
        project(out, 0, in, w, bias, rows, inWidth, outWidth);
    }

    /** out[rows, outWidth] = in[rows, inWidth]·wᵀ + bias: a GEMM, or for one row with a Q4_0 copy of w, the quantized matrix-vector product. */
    private void project(float[] out, int outOff, float[] in, Tensor w, Tensor bias, int rows, int inWidth, int outWidth) {
        byte[] quantized = rows == 1 ? q4_0.get(w.offset()) : null;
        if (quantized == null) {
            Linear.forward(out, outOff, in, 0, w.data(), w.offset(), data(bias), off(bias), rows, inWidth, outWidth);
            return;
        }
        QuantizedMatVec.q4_0(out, outOff, in, 0, quantized, 0, outWidth, inWidth);
        if (bias != null) for (int o = 0; o < outWidth; o++) out[outOff + o] += bias.data()[bias.offset() + o];
    }

    private void quantize(Tensor m) {
        if (m == null || m.dim(1) % QuantizedBlocks.BLOCK != 0 || q4_0.containsKey(m.offset())) return;
        int rows = m.dim(0), cols = m.dim(1), rowBytes = cols / QuantizedBlocks.BLOCK * QuantizedBlocks.Q4_0_BYTES;
        byte[] q = new byte[rows * rowBytes];
        for (int r = 0; r < rows; r++) QuantizedBlocks.quantizeQ4_0(m.data(), m.offset() + r * cols, cols, q, r * rowBytes);
        q4_0.put(m.offset(), q);
    }

    private static float[] data(Tensor t) {
        return t == null ? null : t.data();
    }

    private static int off(Tensor t) {
        return t == null ? 0 : t.offset();
    }

    private Tensor t(String name) {
        return params.get(name);
    }

    private Tensor b(String name) {
        return config.bias() ? params.get(name) : null;
    }
}
