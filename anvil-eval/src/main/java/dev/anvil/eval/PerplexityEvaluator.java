package dev.anvil.eval;

import dev.anvil.core.autograd.Tape;
import dev.anvil.core.autograd.Var;
import dev.anvil.core.tensor.Tensor;
import dev.anvil.model.ModelConfig;
import dev.anvil.model.TextTokenizer;
import dev.anvil.model.Transformer;

import java.util.ArrayList;
import java.util.List;

/**
 * Held-out loss, perplexity and bits per byte of a language model on token sequences.
 *
 * <h2>Windows</h2>
 * A sequence of n tokens x₀ … x_{n−1} has n − 1 predictions to score: x_i given what precedes it,
 * for i = 1 … n − 1 (x₀ has no context; {@link TokenSequence#ofText} puts a document-start token
 * there so that every token of a text is scored). The model sees at most {@code windowLength} = T
 * tokens at once, so the sequence is cut into windows that start every {@code stride} = S tokens:
 * window w reads inputs x[wS, wS + T) and its targets are x[wS + 1, wS + T], the last window
 * stopping at the end of the sequence.
 * <ul>
 *   <li>S = T (the default): non-overlapping windows, every target scored once, the j-th target
 *       of a window with j + 1 tokens of context (1 … T, T/2 on average). Cheap: one forward
 *       pass per T tokens. This is what the training loop's validation reports.</li>
 *   <li>S &lt; T (a sliding window, Hugging Face's "perplexity of fixed-length models"): the first
 *       window scores its T targets; each later window scores only its last S targets (the
 *       earlier ones were scored before), so every target after the first window is predicted
 *       from at least T − S + 1 tokens of context. Lower (truer) loss, T/S times the compute;
 *       S = 1 gives every token its full context.</li>
 * </ul>
 * Windows never cross from one sequence into the next. {@code maxTokens} caps the number of
 * targets scored, taken from the start of the sequences in order.
 *
 * <h2>Computation</h2>
 * B windows at a time go through the model's training forward pass ({@link Transformer#forward} on
 * a {@link Tape} with gradients disabled: batched GEMMs, the attention and the fused log-softmax
 * all parallel over the shared compute pool), then log p(target) per position
 * ({@link Tape#tokenLogProbs}); ignored positions (already scored, or padding of a short last
 * window) are masked with the ignore index. Losses are summed in double. Bytes are the UTF-8 bytes
 * each scored token stands for ({@link TextTokenizer#byteLength}; special tokens stand for none).
 */
public final class PerplexityEvaluator {

    private static final int IGNORE = -1;

    /** Called after every batch with the targets scored so far and the total that will be. */
    @FunctionalInterface
    public interface Progress {
        void update(long tokensScored, long tokensTotal);

        Progress NONE = (done, total) -> {};
    }

    /**
     * @param windowLength T, tokens the model sees per window (at most its context)
     * @param stride       S, tokens between window starts (1 … T; T = non-overlapping windows)
     * @param batchSize    windows per forward pass; 0 = as many as fit a memory budget
     * @param maxTokens    targets to score at most; 0 = all
     */
    public record Settings(int windowLength, int stride, int batchSize, long maxTokens) {
        public Settings {
            if (windowLength < 1) throw new IllegalArgumentException("evaluation window length must be positive, got " + windowLength);
            if (stride < 1 || stride > windowLength) {
                throw new IllegalArgumentException("stride must be between 1 and the window length " + windowLength + ", got " + stride);
            }
            if (batchSize < 0) throw new IllegalArgumentException("batch size must be positive (or 0 for automatic), got " + batchSize);
            if (maxTokens < 0) throw new IllegalArgumentException("max tokens must be positive (or 0 for all), got " + maxTokens);
        }

        /** Non-overlapping windows of the model's whole context, automatic batch, every token. */
        public static Settings of(ModelConfig config) {
            return new Settings(config.contextLength(), config.contextLength(), 0, 0);
        }
    }

    /** Per-sequence scores, their pooled total, and how they were measured. */
    public record Report(List<Perplexity> sequences, Perplexity total, int windowLength, int stride, int batchSize, double seconds) {}

    private final Transformer model;
    private final Tape tape;
    private final int[] tokenBytes;
    private final Settings settings;

    /**
     * @param tokenBytes UTF-8 bytes per token id ({@link #tokenBytes(TextTokenizer, int)})
     */
    public PerplexityEvaluator(Transformer model, int[] tokenBytes, Settings settings) {
        this(model, new Tape(), tokenBytes, settings);
    }

    /** Evaluates on {@code tape} (e.g. the training loop's, so its activation buffers are reused). */
    public PerplexityEvaluator(Transformer model, Tape tape, int[] tokenBytes, Settings settings) {
        if (settings.windowLength() > model.config().contextLength()) {
            throw new IllegalArgumentException("evaluation window of " + settings.windowLength() + " tokens is longer than the model's context of "
                    + model.config().contextLength());
        }
        if (tokenBytes.length < model.config().vocabSize()) {
            throw new IllegalArgumentException("token byte lengths cover " + tokenBytes.length + " ids, the model has " + model.config().vocabSize());
        }
        this.model = model;
        this.tape = tape;
        this.tokenBytes = tokenBytes;
        this.settings = settings;
    }

    /** UTF-8 bytes of every id below {@code vocab}; ids the tokenizer does not have (padding of the model's vocabulary) count 0. */
    public static int[] tokenBytes(TextTokenizer tokenizer, int vocab) {
        int[] bytes = new int[vocab];
        for (int id = 0; id < Math.min(vocab, tokenizer.vocabSize()); id++) bytes[id] = tokenizer.byteLength(id);
        return bytes;
    }

    /**
     * Windows per forward pass so that one batch's activations stay within ~256 MB (and 1/8 of the
     * heap): per token the tape holds the logits (V floats) and per layer about 12·C + 3·F floats.
     */
    public static int automaticBatchSize(ModelConfig c, int windowLength) {
        long floatsPerToken = c.vocabSize() + 2L + (long) c.layers() * (12L * c.width() + 3L * c.hiddenWidth()) + 4L * c.width();
        long budgetBytes = Math.min(256L << 20, Runtime.getRuntime().maxMemory() / 8);
        long windows = budgetBytes / (4L * floatsPerToken * windowLength);
        return (int) Math.max(1, Math.min(64, windows));
    }

    public Report evaluate(List<? extends TokenSequence> data, Progress progress) {
        long t0 = System.nanoTime();
        int S = data.size();
        // How much of each sequence is read: enough for its share of the maxTokens budget.
        long budget = settings.maxTokens() == 0 ? Long.MAX_VALUE : settings.maxTokens();
        long[] used = new long[S];
        long planned = 0, longest = 0;
        for (int s = 0; s < S; s++) {
            long scored = Math.min(Math.max(0, data.get(s).length() - 1), budget - planned);
            used[s] = scored == 0 ? 0 : scored + 1;
            planned += scored;
            longest = Math.max(longest, scored);
        }
        // Inputs shorter than a window need no padding to the full window (attention is causal).
        int T = (int) Math.max(1, Math.min(settings.windowLength(), longest));
        int stride = Math.min(settings.stride(), T);
        int B = settings.batchSize() > 0 ? settings.batchSize() : automaticBatchSize(model.config(), T);

        Batch batch = new Batch(B, T, S);
        int[] window = new int[T + 1];
        int vocab = model.config().vocabSize();
        boolean gradWas = tape.gradEnabled();
        tape.setGradEnabled(false);
        try {
            for (int s = 0; s < S; s++) {
                TokenSequence seq = data.get(s);
                long n = used[s];
                if (n < 2) continue;
                long scoredThrough = 0; // targets x_1 … x_scoredThrough are done
                for (long start = 0; ; start += stride) {
                    long end = Math.min(start + T, n - 1); // the window's last target
                    int len = (int) (end - start);
                    seq.read(start, window, 0, len + 1);
                    for (int j = 0; j <= len; j++) {
                        if (window[j] < 0 || window[j] >= vocab) {
                            throw new IllegalArgumentException(seq.name() + ": token " + window[j] + " at position " + (start + j)
                                    + " is outside the model's vocabulary of " + vocab + " (data from another tokenizer?)");
                        }
                    }
                    batch.add(s, window, len, start, scoredThrough);
                    if (batch.full()) {
                        forward(batch);
                        progress.update(batch.scoredSoFar(), planned);
                    }
                    scoredThrough = end;
                    if (end == n - 1) break;
                }
            }
            if (batch.rows > 0) {
                forward(batch);
                progress.update(batch.scoredSoFar(), planned);
            }
        } finally {
            tape.reset();
            tape.setGradEnabled(gradWas);
        }
        List<Perplexity> parts = new ArrayList<>(S);
        Perplexity total = new Perplexity("total", 0, 0, 0);
        for (int s = 0; s < S; s++) {
            Perplexity p = new Perplexity(data.get(s).name(), batch.tokens[s], batch.bytes[s], batch.nats[s]);
            parts.add(p);
            total = total.plus(p, "total");
        }
        return new Report(parts, total, T, stride, B, (System.nanoTime() - t0) / 1e9);
    }

    /** Runs the batch's windows through the model and adds −log p(target) of its scored positions to their sequences. */
    private void forward(Batch b) {
        int T = b.T;
        tape.reset();
        Var logits = model.forward(tape, b.inputs, 0, b.rows, T, 0f, 0);
        Tensor logProbs = tape.tokenLogProbs(logits, b.targets, 0, IGNORE).value();
        float[] lp = logProbs.data();
        int off = logProbs.offset();
        for (int r = 0; r < b.rows; r++) {
            int s = b.owner[r];
            double nats = 0;
            long tokens = 0, bytes = 0;
            for (int j = 0; j < T; j++) {
                int t = b.targets[r * T + j];
                if (t == IGNORE) continue;
                nats -= lp[off + r * T + j];
                tokens++;
                bytes += tokenBytes[t];
            }
            b.nats[s] += nats;
            b.tokens[s] += tokens;
            b.bytes[s] += bytes;
        }
        b.rows = 0;
    }

    /** Up to B windows laid out [B, T], and the running sums per sequence. */
    private static final class Batch {
        final int B, T;
        final int[] inputs, targets, owner;
        final double[] nats;
        final long[] tokens, bytes;
        int rows;

        Batch(int B, int T, int sequences) {
            this.B = B;
            this.T = T;
            this.inputs = new int[B * T];
            this.targets = new int[B * T];
            this.owner = new int[B];
            this.nats = new double[sequences];
            this.tokens = new long[sequences];
            this.bytes = new long[sequences];
        }

        /**
         * Window of {@code len} inputs (window[0, len)) and targets (window[1, len]) starting at
         * {@code start}; targets at or before {@code scoredThrough} were scored by an earlier window.
         */
        void add(int sequence, int[] window, int len, long start, long scoredThrough) {
            int base = rows * T;
            for (int j = 0; j < T; j++) {
                boolean real = j < len;
                inputs[base + j] = real ? window[j] : 0;
                targets[base + j] = real && start + j + 1 > scoredThrough ? window[j + 1] : IGNORE;
            }
            owner[rows++] = sequence;
        }

        boolean full() {
            return rows == B;
        }

        long scoredSoFar() {
            long n = 0;
            for (long t : tokens) n += t;
            return n;
        }
    }
}
