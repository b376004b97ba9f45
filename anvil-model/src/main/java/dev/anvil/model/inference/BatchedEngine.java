package dev.anvil.model.inference;

import dev.anvil.model.Heads;
import dev.anvil.model.ModelConfig;
import dev.anvil.model.TransformerBody;
import dev.anvil.model.TransformerLayout;
import dev.anvil.model.WeightSet;
import dev.anvil.model.exec.LinearAttachment;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Inference over many sequences at once. A {@link #step} takes, for any set of open sequences,
 * the next tokens of each — a chunk of a prompt, or the one token just sampled — and runs them
 * through the model as one batch of rows: one matrix product per weight for all rows (a GEMM, so a
 * weight's bytes are read once for the whole batch), attention per row against its own sequence's
 * cache. Sequences are {@link #open}ed and {@link KvCache#release}d between steps; their caches grow
 * in blocks from one {@link KvBlockPool} with a byte budget.
 *
 * <p>A row's result does not depend on which other rows share its step beyond float32 rounding of
 * the GEMM (whose blocking may differ with the row count). Not thread-safe: one step at a time.
 */
public final class BatchedEngine {

    /**
     * @param kvBudgetBytes the KV cache's memory for all sequences together
     * @param blockSize     positions per KV block
     * @param maxStepRows   rows (tokens) one step may carry; bounds the activation scratch
     */
    public record Options(long kvBudgetBytes, int blockSize, int maxStepRows) {
        public Options {
            if (blockSize < 1 || maxStepRows < 1) throw new IllegalArgumentException("engine: block size and step rows must be positive");
        }

        /** Room for {@code sequences} sequences of the model's full context, blocks of 16, steps of up to 256 rows. */
        public static Options forSequences(ModelConfig config, int sequences) {
            return new Options(KvBlockPool.bytesFor(config, 16, (long) config.contextLength()) * sequences, 16, 256);
        }
    }

    /**
     * The tokens {@code tokens[offset, offset + count)} for {@code sequence}; the logits of the
     * last one (or of all, when {@code everyPosition}) go to {@code logits[logitsOffset…]}, or
     * nowhere when {@code logits} is null (a prompt chunk that is not the last).
     */
    public record Feed(KvCache sequence, int[] tokens, int offset, int count, float[] logits, int logitsOffset, boolean everyPosition) {
        public Feed {
            if (count < 1) throw new IllegalArgumentException("engine: a feed needs at least one token, got " + count);
            if (offset < 0 || (long) offset + count > tokens.length) {
                throw new IllegalArgumentException("engine: tokens [" + offset + ", " + ((long) offset + count) + ") outside an array of " + tokens.length);
            }
        }

        public static Feed last(KvCache sequence, int[] tokens, int offset, int count, float[] logits) {
            return new Feed(sequence, tokens, offset, count, logits, 0, false);
        }
    }

    private final ModelConfig config;
    private final WeightSet weights;
    private final TransformerLayout.Names names;
    private final Options options;
    private final KvBlockPool pool;
    private final Map<String, List<LinearAttachment>> attachments = new LinkedHashMap<>();
    private final DirectOps ops;

    public BatchedEngine(WeightSet weights, Options options) {
        this.config = weights.config();
        this.weights = weights;
        this.names = TransformerLayout.names(config);
        this.options = options;
        this.pool = new KvBlockPool(config, options.blockSize(), options.kvBudgetBytes());
        this.ops = new DirectOps(config, weights, attachments, pool);
    }

    public ModelConfig config() {
        return config;
    }

    public WeightSet weights() {
        return weights;
    }

    public Options options() {
        return options;
    }

    public KvBlockPool pool() {
        return pool;
    }

    /** Floats of activation scratch the steps have grown to. */
    public long scratchBytes() {
        return 4 * ops.scratchFloats();
    }

    /** A new, empty sequence that may grow to {@code capacity} positions (at most the model's context). */
    public KvCache open(int capacity) {
        if (capacity < 1 || capacity > config.contextLength()) {
            throw new IllegalArgumentException("engine: a sequence's capacity must be in [1, " + config.contextLength() + "], got " + capacity);
        }
        return new KvCache(pool, capacity);
    }

    public KvCache open() {
        return open(config.contextLength());
    }

    /**
     * Attaches an inference-time module (an unmerged adapter) to the Linear named {@code weight};
     * its own tensors are {@code params} (float32 views, shared with whoever trains them).
     */
    public void attach(String weight, LinearAttachment attachment, dev.anvil.core.tensor.ParameterBuffer params) {
        weights.matrix(weight);
        ops.addAttachmentTensors(params);
        attachments.computeIfAbsent(weight, k -> new ArrayList<>()).add(attachment);
    }

    /**
     * Runs one step over {@code feeds} (each sequence at most once). Checks everything first —
     * capacities, the step's row limit, the KV blocks the step needs against the budget — and
     * changes nothing if a check fails.
     */
    public void step(List<Feed> feeds) {
        if (feeds.isEmpty()) return;
        if (!weights.heads().lm()) throw Heads.missing("LM head", config.summary(), weights.heads());
        int rows = 0, blocks = 0;
        java.util.IdentityHashMap<KvCache, Boolean> seen = new java.util.IdentityHashMap<>();
        for (Feed f : feeds) {
            KvCache s = f.sequence();
            if (seen.put(s, true) != null) throw new IllegalArgumentException("engine: a sequence appears twice in one step");
            if (s.length() + f.count() > s.capacity()) {
                throw new IllegalArgumentException("engine: " + s.length() + " positions + " + f.count() + " new tokens exceed the sequence's capacity of "
                        + s.capacity() + " positions");
            }
            int withLogits = f.logits() == null ? 0 : f.everyPosition() ? f.count() : 1;
            if (f.logits() != null && (long) f.logitsOffset() + (long) withLogits * config.vocabSize() > f.logits().length) {
                throw new IllegalArgumentException("engine: the logits array needs " + (long) withLogits * config.vocabSize() + " floats from offset " + f.logitsOffset());
            }
            for (int i = 0; i < f.count(); i++) {
                int t = f.tokens()[f.offset() + i];
                if (t < 0 || t >= config.vocabSize()) throw new IllegalArgumentException("engine: token id " + t + " is outside the vocabulary of " + config.vocabSize());
            }
            rows += f.count();
            blocks += s.blocksNeeded(s.length() + f.count());
        }
        if (rows > options.maxStepRows()) throw new IllegalArgumentException("engine: a step of " + rows + " rows exceeds the limit of " + options.maxStepRows());
        pool.require(blocks, "this step (" + feeds.size() + " sequences, " + rows + " tokens)");
        for (Feed f : feeds) f.sequence().reserve(f.sequence().length() + f.count());

        ops.begin(feeds, rows);
        DirectOps.Rows hidden = TransformerBody.hiddenStates(ops, config, names, 0f, 0L);
        // Only the rows whose logits are wanted go through the head (decode: one per sequence).
        int wanted = 0;
        for (Feed f : feeds) if (f.logits() != null) wanted += f.everyPosition() ? f.count() : 1;
        if (wanted > 0) {
            int[] pick = new int[wanted];
            int r = 0, i = 0;
            for (Feed f : feeds) {
                if (f.logits() != null) {
                    if (f.everyPosition()) for (int j = 0; j < f.count(); j++) pick[i++] = r + j;
                    else pick[i++] = r + f.count() - 1;
                }
                r += f.count();
            }
            DirectOps.Rows logits = Heads.logits(ops, names, ops.rows(hidden, pick));
            int V = config.vocabSize();
            i = 0;
            for (Feed f : feeds) {
                if (f.logits() == null) continue;
                int n = f.everyPosition() ? f.count() : 1;
                System.arraycopy(logits.data(), logits.off() + i * V, f.logits(), f.logitsOffset(), n * V);
                i += n;
            }
        }
        for (Feed f : feeds) f.sequence().advance(f.count());
    }
}
