package dev.anvil.train.data;

import dev.anvil.core.random.Rng;

import java.util.Arrays;
import java.util.List;

/**
 * Batches of B windows of T + 1 consecutive tokens from a set of shards: inputs are the first T,
 * targets the last T (the next token at each position). A window never crosses a shard boundary.
 * <ul>
 *   <li>{@link Order#RANDOM}: each window starts at a uniformly drawn position among all valid
 *       starts of all shards (nanoGPT's {@code get_batch}), from a seeded generator;</li>
 *   <li>{@link Order#SEQUENTIAL}: windows follow each other through the shards in order (llm.c's
 *       loader), stepping T tokens, wrapping around at the end.</li>
 * </ul>
 * {@link #position()} / {@link #restore} capture everything that decides the next batch, so a
 * resumed run reads exactly the batches an uninterrupted one would.
 */
public final class TokenWindowLoader {

    public enum Order { RANDOM, SEQUENTIAL }

    /** Where the loader stands: the generator state (random order) or the cursor (sequential order). */
    public record Position(Order order, long[] rngState, int shard, long offset, long batches) {}

    private final List<TokenShardReader> shards;
    private final int B, T;
    private final Order order;
    private final int vocabSize;
    private final long[] cumulativeStarts; // cumulativeStarts[i] = valid starts in shards [0, i)
    private Rng rng;
    private int shard;
    private long offset;
    private long batches;

    /**
     * @param vocabSize every token read is checked against it (an id outside is a clear error, not
     *                  an out-of-bounds embedding read)
     */
    public TokenWindowLoader(List<TokenShardReader> shards, int B, int T, Order order, long seed, int vocabSize) {
        if (shards.isEmpty()) throw new IllegalArgumentException("loader: no token shards");
        if (B <= 0 || T <= 0) throw new IllegalArgumentException("loader: batch " + B + " and sequence length " + T + " must be positive");
        this.shards = List.copyOf(shards);
        this.B = B;
        this.T = T;
        this.order = order;
        this.vocabSize = vocabSize;
        this.cumulativeStarts = new long[shards.size() + 1];
        for (int i = 0; i < shards.size(); i++) {
            long n = shards.get(i).tokenCount();
            if (n < T + 1) {
                throw new IllegalArgumentException("token shard " + shards.get(i).file() + " has " + n + " tokens, fewer than one window of "
                        + (T + 1) + " (sequence length " + T + " + 1)");
            }
            cumulativeStarts[i + 1] = cumulativeStarts[i] + (n - T);
        }
        this.rng = new Rng(seed);
    }

    public int batchSize() {
        return B;
    }

    public int sequenceLength() {
        return T;
    }

    /** Fills inputs[0, B·T) and targets[0, B·T) with the next batch. */
    public void next(int[] inputs, int[] targets) {
        int[] window = new int[T + 1];
        for (int b = 0; b < B; b++) {
            int s;
            long start;
            if (order == Order.RANDOM) {
                long r = Math.unsignedMultiplyHigh(rng.nextLong(), cumulativeStarts[shards.size()]);
                s = Arrays.binarySearch(cumulativeStarts, r);
                s = s >= 0 ? s : -s - 2;
                while (cumulativeStarts[s + 1] <= r) s++; // skip shards with equal cumulative counts
                start = r - cumulativeStarts[s];
            } else {
                if (offset + T + 1 > shards.get(shard).tokenCount()) {
                    shard = (shard + 1) % shards.size();
                    offset = 0;
                }
                s = shard;
                start = offset;
                offset += T;
            }
            TokenShardReader reader = shards.get(s);
            reader.read(start, window, 0, T + 1);
            for (int i = 0; i <= T; i++) {
                if (window[i] >= vocabSize) {
                    throw new IllegalArgumentException("token shard " + reader.file() + ": token " + window[i] + " at position " + (start + i)
                            + " is outside the model's vocabulary of " + vocabSize + " (shards from another tokenizer?)");
                }
            }
            System.arraycopy(window, 0, inputs, b * T, T);
            System.arraycopy(window, 1, targets, b * T, T);
        }
        batches++;
    }

    public Position position() {
        return new Position(order, rng.state(), shard, offset, batches);
    }

    public void restore(Position p) {
        if (p.order() != order) throw new IllegalArgumentException("loader position is for " + p.order() + " order, this loader reads " + order);
        if (p.shard() < 0 || p.shard() >= shards.size() || p.offset() < 0 || p.offset() > shards.get(p.shard()).tokenCount()) {
            throw new IllegalArgumentException("loader position shard " + p.shard() + " offset " + p.offset() + " does not fit these " + shards.size() + " shards");
        }
        this.rng = Rng.fromState(p.rngState());
        this.shard = p.shard();
        this.offset = p.offset();
        this.batches = p.batches();
    }
}
