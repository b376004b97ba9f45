package dev.anvil.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The stream of micro-batches a {@link Trainer} consumes, with a position that a checkpoint stores
 * and a resumed run restores: after {@code restore(position())} the stream continues with exactly
 * the batches it would have produced, which is what makes resume bit-identical.
 *
 * @param <B> the batch type its {@link Objective} reads
 */
public interface Batches<B extends TrainingBatch> {

    /** The next micro-batch. It may reuse its buffers, so it is valid until the next call. */
    B next();

    /** Where the stream is, as JSON (written into the checkpoint's {@code state.json}). */
    ObjectNode position();

    /** Continues from a {@link #position()} read back from a checkpoint. */
    void restore(JsonNode position);
}
