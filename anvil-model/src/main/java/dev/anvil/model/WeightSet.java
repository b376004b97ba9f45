package dev.anvil.model;

import dev.anvil.core.kernels.Rope;
import dev.anvil.core.tensor.DType;
import dev.anvil.core.tensor.ParameterBuffer;
import dev.anvil.core.tensor.Tensor;
import dev.anvil.core.tensor.Weight;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A model's tensors for inference: every matrix (projections, embedding tables, heads) as a
 * {@link Weight} of whatever dtype it was stored in — heap or memory-mapped, never expanded to a
 * float32 copy — and the vectors (norm gains, biases) as float32 tensors. Also how the q/k rows
 * pair for RoPE: Hugging Face checkpoints rotate halves; GGUF files keep Meta's interleaved pairs,
 * and are used as they are rather than permuted into a copy.
 */
public final class WeightSet {

    private final ModelConfig config;
    private final Heads heads;
    private final Map<String, Weight> matrices;
    private final Map<String, Tensor> vectors;
    private final Rope.Style ropeStyle;

    public WeightSet(ModelConfig config, Heads heads, Map<String, Weight> matrices, Map<String, Tensor> vectors, Rope.Style ropeStyle) {
        this.config = config;
        this.heads = heads;
        this.matrices = Collections.unmodifiableMap(new LinkedHashMap<>(matrices));
        this.vectors = Collections.unmodifiableMap(new LinkedHashMap<>(vectors));
        this.ropeStyle = ropeStyle;
        for (ParameterBuffer.Layout.Entry e : TransformerLayout.of(config, heads).entries()) {
            int[] d = e.shape().dims();
            if (d.length == 2) {
                Weight w = this.matrices.get(e.name());
                if (w == null) throw new IllegalArgumentException("weights: matrix " + e.name() + " is missing (" + config.summary() + ")");
                if (w.rows() != d[0] || w.cols() != d[1]) {
                    throw new IllegalArgumentException("weights: " + e.name() + " is [" + w.rows() + ", " + w.cols() + "], " + config.summary() + " needs " + e.shape());
                }
            } else {
                Tensor t = this.vectors.get(e.name());
                if (t == null) throw new IllegalArgumentException("weights: tensor " + e.name() + " is missing (" + config.summary() + ")");
                if (!t.shape().equals(e.shape())) throw new IllegalArgumentException("weights: " + e.name() + " is " + t.shape() + ", " + config.summary() + " needs " + e.shape());
            }
        }
    }

    /** Zero-copy float32 views of a model's tensors (an in-training model's weights, as they move). */
    public static WeightSet of(Transformer model) {
        return of(model.config(), model.heads(), model.tensors());
    }

    /** Zero-copy float32 views of a parameter buffer with the model's layout. */
    public static WeightSet of(ModelConfig config, ParameterBuffer params) {
        return of(config, Transformer.headsOf(config, params.layout()), params.views());
    }

    private static WeightSet of(ModelConfig config, Heads heads, Map<String, Tensor> tensors) {
        Map<String, Weight> m = new LinkedHashMap<>();
        Map<String, Tensor> v = new LinkedHashMap<>();
        for (var e : tensors.entrySet()) {
            if (e.getValue().shape().rank() == 2) m.put(e.getKey(), Weight.of(e.getValue()));
            else v.put(e.getKey(), e.getValue());
        }
        return new WeightSet(config, heads, m, v, Rope.Style.HALF);
    }

    /**
     * The same model with its matrices stored as {@code dtype} (rounded the way that dtype rounds);
     * a matrix whose rows are not whole blocks of the dtype stays as it is. Vectors stay float32.
     */
    public WeightSet converted(DType dtype) {
        Map<String, Weight> m = new LinkedHashMap<>();
        for (var e : matrices.entrySet()) {
            Weight w = e.getValue();
            if (w.dtype() == dtype || w.cols() % dtype.blockSize() != 0) {
                m.put(e.getKey(), w);
                continue;
            }
            float[] values = new float[w.rows() * w.cols()];
            w.dequantizeRows(0, w.rows(), values, 0);
            m.put(e.getKey(), Weight.quantize(dtype, values, 0, w.rows(), w.cols()));
        }
        return new WeightSet(config, heads, m, vectors, ropeStyle);
    }

    public ModelConfig config() {
        return config;
    }

    public Heads heads() {
        return heads;
    }

    public Rope.Style ropeStyle() {
        return ropeStyle;
    }

    public Weight matrix(String name) {
        Weight w = matrices.get(name);
        if (w == null) throw new IllegalArgumentException("weights: no matrix " + name + " in " + config.summary());
        return w;
    }

    public Tensor vector(String name) {
        Tensor t = vectors.get(name);
        if (t == null) throw new IllegalArgumentException("weights: no tensor " + name + " in " + config.summary());
        return t;
    }

    public Map<String, Weight> matrices() {
        return matrices;
    }

    public Map<String, Tensor> vectors() {
        return vectors;
    }

    /** Bytes stored in all tensors. */
    public long bytes() {
        long b = 0;
        for (Weight w : matrices.values()) b += w.byteSize();
        for (Tensor t : vectors.values()) b += 4L * t.size();
        return b;
    }

    /**
     * Bytes one decoded token reads: every matrix once, except embedding tables, of which a token
     * reads one row (the token table is read whole only when it doubles as the LM head); vectors too.
     */
    public long bytesPerDecodedToken() {
        TransformerLayout.Names n = TransformerLayout.names(config);
        long b = 0;
        for (var e : matrices.entrySet()) {
            boolean tokenTable = e.getKey().equals(n.tokenEmbedding());
            boolean positionTable = e.getKey().equals(n.positionEmbedding());
            boolean whole = tokenTable ? n.lmHead().equals(n.tokenEmbedding()) : !positionTable;
            b += whole ? e.getValue().byteSize() : e.getValue().byteSize() / e.getValue().rows();
        }
        for (Tensor t : vectors.values()) b += 4L * t.size();
        return b;
    }
}
