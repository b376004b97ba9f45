package dev.anvil.model.inference;

import dev.anvil.core.tensor.DType;
import dev.anvil.core.tensor.ParameterBuffer;
import dev.anvil.model.ModelConfig;
import dev.anvil.model.Transformer;
import dev.anvil.model.WeightSet;

import java.util.List;

/**
 * One sequence through the {@link BatchedEngine}: the batch-of-one case, for generation, chat and
 * scoring one text. {@link #append} feeds n new tokens at positions [p, p + n) where p is the
 * cache length; prompts longer than {@link #chunkRows()} go through in chunks of that many rows
 * (prefill is GEMM-shaped; a decoded token is one row, a matrix-vector product per weight).
 *
 * <p>A session is not thread-safe; sessions made from one {@link WeightSet} share its weights.
 */
public final class InferenceSession {

    private final BatchedEngine engine;
    private final KvCache cache;
    private final int chunkRows;
    private final float[] logits;

    public InferenceSession(Transformer model) {
        this(WeightSet.of(model), model.config().contextLength(), Math.min(model.config().contextLength(), 256));
    }

    public InferenceSession(ModelConfig config, ParameterBuffer params) {
        this(config, params, config.contextLength(), Math.min(config.contextLength(), 256));
    }

    /**
     * @param capacity  positions the cache may hold (at most the model's context)
     * @param chunkRows tokens per prefill step
     */
    public InferenceSession(ModelConfig config, ParameterBuffer params, int capacity, int chunkRows) {
        this(WeightSet.of(config, params), capacity, chunkRows);
    }

    /**
     * With {@code q4_0}, the weight matrices whose rows are whole blocks of 32 are stored as Q4_0
     * and every product (prefill GEMM and decode matrix-vector) dequantizes them inside the kernel.
     */
    public InferenceSession(ModelConfig config, ParameterBuffer params, int capacity, int chunkRows, boolean q4_0) {
        this(q4_0 ? WeightSet.of(config, params).converted(DType.Q4_0) : WeightSet.of(config, params), capacity, chunkRows);
    }

    public InferenceSession(WeightSet weights, int capacity, int chunkRows) {
        this(new BatchedEngine(weights, new BatchedEngine.Options(KvBlockPool.bytesFor(weights.config(), 16, capacity), 16,
                Math.max(1, Math.min(chunkRows, capacity)))), capacity);
    }

    /** A sequence on an engine shared with others (it steps alone). */
    public InferenceSession(BatchedEngine engine, int capacity) {
        if (capacity < 1 || capacity > engine.config().contextLength()) {
            throw new IllegalArgumentException("inference session: capacity must be in [1, " + engine.config().contextLength() + "], got " + capacity);
        }
        this.engine = engine;
        this.cache = engine.open(capacity);
        this.chunkRows = Math.min(engine.options().maxStepRows(), capacity);
        this.logits = new float[engine.config().vocabSize()];
    }

    public ModelConfig config() {
        return engine.config();
    }

    public BatchedEngine engine() {
        return engine;
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
        return append(new int[] {token}, 0, 1);
    }

    /**
     * Feeds {@code tokens[off, off + n)} and writes the logits at every one of the n positions into
     * {@code allLogits[allOff, allOff + n·vocab)} (for scoring a text; generation needs only the last).
     */
    public void appendAll(int[] tokens, int off, int n, float[] allLogits, int allOff) {
        int V = config().vocabSize();
        if (allLogits == null || allOff < 0 || (long) allOff + (long) n * V > allLogits.length) {
            throw new IllegalArgumentException("inference session: allLogits needs " + (long) n * V + " floats from offset " + allOff);
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
        int V = config().vocabSize();
        for (int start = 0; start < n; start += chunkRows) {
            int rows = Math.min(chunkRows, n - start);
            boolean last = start + rows == n;
            BatchedEngine.Feed feed = allLogits != null
                    ? new BatchedEngine.Feed(cache, tokens, off + start, rows, allLogits, allOff + start * V, true)
                    : new BatchedEngine.Feed(cache, tokens, off + start, rows, last ? logits : null, 0, false);
            engine.step(List.of(feed));
        }
        if (allLogits != null) System.arraycopy(allLogits, allOff + (n - 1) * V, logits, 0, V);
    }
}
