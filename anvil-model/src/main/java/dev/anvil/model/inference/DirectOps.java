package dev.anvil.model.inference;

import dev.anvil.core.kernels.Activations;
import dev.anvil.core.kernels.LayerNorm;
import dev.anvil.core.kernels.PagedAttention;
import dev.anvil.core.kernels.Residual;
import dev.anvil.core.kernels.RmsNorm;
import dev.anvil.core.kernels.Rope;
import dev.anvil.core.tensor.Tensor;
import dev.anvil.core.tensor.Weight;
import dev.anvil.model.ModelConfig;
import dev.anvil.model.WeightSet;
import dev.anvil.model.exec.LinearAttachment;
import dev.anvil.model.exec.Ops;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@link Ops} that run the kernels at once over the rows of one engine step: the rows of several
 * sequences side by side (a prefill chunk of one, the next token of another), each at its own
 * position, with keys and values appended to each sequence's paged {@link KvCache}. Every weight
 * is multiplied once per step for all rows: a matrix-vector product when the step has one row,
 * a GEMM otherwise, whatever the weight's dtype.
 *
 * <p>Activations live in a step scratch: the i-th buffer a step asks for is the i-th buffer of
 * the previous step, grown when needed, so a steady decode allocates nothing; at each
 * {@link #blockOutput} the residual stream is kept in the first buffer and the rest are reused
 * by the next block, so the scratch holds one block's activations. {@link #add},
 * {@link #gelu}, {@link #swiglu}, {@link #scale} and {@link #rope} write their result over their
 * first argument (the residual stream is updated in place, as in every inference engine).
 */
final class DirectOps implements Ops<DirectOps.Rows> {

    /** {@code rows × width} floats at {@code data[off…]}, row-major. */
    record Rows(float[] data, int off, int rows, int width) {}

    private final ModelConfig config;
    private final WeightSet weights;
    private final Map<String, List<LinearAttachment>> attachments;
    /** The attachments' own tensors, resolved before the model's. */
    private final Map<String, Weight> attachedMatrices = new java.util.HashMap<>();
    private final Map<String, Tensor> attachedVectors = new java.util.HashMap<>();
    private final KvBlockPool pool;
    private final Rope.Table rope;
    private final float scale;
    private final List<float[]> scratch = new ArrayList<>();
    private int nextScratch;

    // The step: rows, and for each its token, position and sequence.
    private int rows;
    private int[] tokens = new int[0], positions = new int[0], sequenceOf = new int[0];
    private float[][][] tables = new float[0][][];
    /** Runs of consecutive rows of one sequence at consecutive positions: [start, count) pairs. */
    private int[] runStart = new int[0], runCount = new int[0];
    private int runs;

    DirectOps(ModelConfig config, WeightSet weights, Map<String, List<LinearAttachment>> attachments, KvBlockPool pool) {
        this.config = config;
        this.weights = weights;
        this.attachments = attachments;
        this.pool = pool;
        this.rope = config.family() == ModelConfig.Family.LLAMA ? new Rope.Table(config.contextLength(), config.headDim(), config.ropeTheta()) : null;
        this.scale = (float) (1 / Math.sqrt(config.headDim()));
    }

    /** Sets up a step over {@code feeds}: the rows, their positions, and the caches they append to. */
    void begin(List<BatchedEngine.Feed> feeds, int totalRows) {
        rows = totalRows;
        if (tokens.length < rows) {
            tokens = new int[rows];
            positions = new int[rows];
            sequenceOf = new int[rows];
        }
        if (tables.length < feeds.size()) {
            tables = new float[feeds.size()][][];
            runStart = new int[feeds.size()];
            runCount = new int[feeds.size()];
        }
        int r = 0;
        runs = feeds.size();
        for (int f = 0; f < feeds.size(); f++) {
            BatchedEngine.Feed feed = feeds.get(f);
            tables[f] = feed.sequence().blocks();
            runStart[f] = r;
            runCount[f] = feed.count();
            int pos = feed.sequence().length();
            for (int i = 0; i < feed.count(); i++, r++) {
                tokens[r] = feed.tokens()[feed.offset() + i];
                positions[r] = pos + i;
                sequenceOf[r] = f;
            }
        }
        nextScratch = 0;
    }

    int rows() {
        return rows;
    }

    void addAttachmentTensors(dev.anvil.core.tensor.ParameterBuffer params) {
        for (var e : params.views().entrySet()) {
            if (e.getValue().shape().rank() == 2) attachedMatrices.put(e.getKey(), Weight.of(e.getValue()));
            else attachedVectors.put(e.getKey(), e.getValue());
        }
    }

    private Weight matrix(String name) {
        Weight w = attachedMatrices.get(name);
        return w != null ? w : weights.matrix(name);
    }

    private Tensor vector(String name) {
        Tensor t = attachedVectors.get(name);
        return t != null ? t : weights.vector(name);
    }

    private Rows allocate(int n, int width) {
        int size = n * width;
        float[] buf;
        if (nextScratch < scratch.size()) {
            buf = scratch.get(nextScratch);
            if (buf.length < size) {
                buf = new float[size];
                scratch.set(nextScratch, buf);
            }
        } else {
            buf = new float[size];
            scratch.add(buf);
        }
        nextScratch++;
        return new Rows(buf, 0, n, width);
    }

    /** Floats held by the step scratch. */
    long scratchFloats() {
        long n = 0;
        for (float[] b : scratch) n += b.length;
        return n;
    }

    @Override
    public Rows tokenEmbedding(String table) {
        Weight w = weights.matrix(table);
        Rows out = allocate(rows, w.cols());
        for (int r = 0; r < rows; r++) {
            int t = tokens[r];
            if (t < 0 || t >= w.rows()) throw new IllegalArgumentException("token id " + t + " is outside the vocabulary of " + w.rows());
            w.dequantizeRows(t, 1, out.data, r * w.cols());
        }
        return out;
    }

    @Override
    public Rows addPositionEmbedding(Rows x, String table) {
        Weight w = weights.matrix(table);
        float[] row = allocate(1, w.cols()).data;
        for (int r = 0; r < rows; r++) {
            w.dequantizeRows(positions[r], 1, row, 0);
            Residual.forward(x.data, x.off + r * x.width, x.data, x.off + r * x.width, row, 0, x.width);
        }
        return x;
    }

    @Override
    public Rows linear(Rows x, String weight, String bias) {
        Weight w = matrix(weight);
        if (x.width != w.cols()) throw new IllegalArgumentException(weight + " is [" + w.rows() + ", " + w.cols() + "], its input has width " + x.width);
        Rows y = allocate(x.rows, w.rows());
        if (x.rows == 1) w.matVec(x.data, x.off, y.data, 0);
        else w.matMul(x.data, x.off, x.rows, y.data, 0);
        if (bias != null) {
            Tensor b = vector(bias);
            for (int r = 0; r < y.rows; r++) Residual.forward(y.data, r * y.width, y.data, r * y.width, b.data(), b.offset(), y.width);
        }
        List<LinearAttachment> attached = attachments.get(weight);
        if (attached != null) for (LinearAttachment a : attached) y = a.apply(this, weight, x, y);
        return y;
    }

    @Override
    public Rows layerNorm(Rows x, String weight, String bias, float eps) {
        Tensor w = weights.vector(weight), b = bias == null ? null : weights.vector(bias);
        Rows out = allocate(x.rows, x.width);
        LayerNorm.forward(out.data, 0, null, 0, null, 0, x.data, x.off, w.data(), w.offset(), b == null ? null : b.data(), b == null ? 0 : b.offset(),
                x.rows, x.width, eps);
        return out;
    }

    @Override
    public Rows rmsNorm(Rows x, String weight, float eps) {
        Tensor w = weights.vector(weight);
        Rows out = allocate(x.rows, x.width);
        RmsNorm.forward(out.data, 0, null, 0, x.data, x.off, w.data(), w.offset(), x.rows, x.width, eps);
        return out;
    }

    @Override
    public Rows gelu(Rows x, ModelConfig.Activation form) {
        int n = x.rows * x.width;
        if (form == ModelConfig.Activation.GELU) Activations.geluErfForward(x.data, x.off, x.data, x.off, n);
        else Activations.geluForward(x.data, x.off, x.data, x.off, n);
        return x;
    }

    @Override
    public Rows swiglu(Rows gate, Rows up) {
        Activations.swigluForward(gate.data, gate.off, gate.data, gate.off, up.data, up.off, gate.rows * gate.width);
        return gate;
    }

    @Override
    public Rows add(Rows a, Rows b) {
        Residual.forward(a.data, a.off, a.data, a.off, b.data, b.off, a.rows * a.width);
        return a;
    }

    @Override
    public Rows scale(Rows x, float s) {
        for (int i = x.off, end = x.off + x.rows * x.width; i < end; i++) x.data[i] *= s;
        return x;
    }

    @Override
    public Rows dropout(Rows x, float p, long seed) {
        return x;
    }

    @Override
    public Rows[] split(Rows x, int... widths) {
        Rows[] parts = new Rows[widths.length];
        int start = 0;
        for (int i = 0; i < widths.length; i++) {
            parts[i] = allocate(x.rows, widths[i]);
            for (int r = 0; r < x.rows; r++) System.arraycopy(x.data, x.off + r * x.width + start, parts[i].data, r * widths[i], widths[i]);
            start += widths[i];
        }
        return parts;
    }

    @Override
    public Rows rope(Rows x, int heads) {
        int D = config.headDim();
        for (int f = 0; f < runs; f++) {
            if (runCount[f] == 0) continue;
            int at = x.off + runStart[f] * x.width;
            Rope.forward(x.data, at, x.data, at, 1, runCount[f], heads, D, positions[runStart[f]], rope, weights.ropeStyle());
        }
        return x;
    }

    @Override
    public Rows attention(int layer, Rows q, Rows k, Rows v, int heads, int kvHeads) {
        int kvW = pool.rowWidth(), S = pool.blockSize(), D = config.headDim(), keyOff = pool.keyOffset(layer), valueOff = pool.valueOffset(layer);
        for (int r = 0; r < rows; r++) {
            PagedAttention.store(tables[sequenceOf[r]][positions[r] / S], keyOff, valueOff, S, positions[r] % S,
                    k.data, k.off + r * kvW, v.data, v.off + r * kvW, kvHeads, D);
        }
        Rows out = allocate(rows, heads * config.headDim());
        PagedAttention.forward(out.data, 0, q.data, q.off, rows, positions, sequenceOf, tables, S, keyOff, valueOff,
                heads, kvHeads, config.headDim(), scale);
        return out;
    }

    /** The residual stream moves to (or stays in) the step's first buffer; every later buffer is free for the next block. */
    @Override
    public Rows blockOutput(Rows x) {
        float[] first = scratch.get(0);
        if (x.data != first || x.off != 0) {
            if (first.length < x.rows * x.width) {
                first = new float[x.rows * x.width];
                scratch.set(0, first);
            }
            System.arraycopy(x.data, x.off, first, 0, x.rows * x.width);
        }
        nextScratch = 1;
        return new Rows(first, 0, x.rows, x.width);
    }

    @Override
    public Rows rows(Rows x, int[] rowIndices) {
        Rows out = allocate(rowIndices.length, x.width);
        for (int i = 0; i < rowIndices.length; i++) System.arraycopy(x.data, x.off + rowIndices[i] * x.width, out.data, i * x.width, x.width);
        return out;
    }
}
