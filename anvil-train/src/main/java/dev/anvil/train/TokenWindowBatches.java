package dev.anvil.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.anvil.train.data.TokenWindowLoader;

/**
 * Pretraining batches: B windows of T tokens from the token shards ({@link TokenWindowLoader}),
 * inputs x[i, i + T) and targets x[i + 1, i + T + 1]. The position is the loader's (order, generator
 * state, shard, offset, batches served), stored under the same field names as before the trainer
 * was extracted, so older checkpoints resume.
 */
public final class TokenWindowBatches implements Batches<TokenWindowBatches.Windows> {

    /** One micro-batch of windows, row-major [B, T]; the arrays are reused by the next call. */
    public record Windows(int[] inputs, int[] targets, int batchSize, int seqLen) implements TrainingBatch {
        @Override
        public int tokenCount() {
            return batchSize * seqLen;
        }
    }

    private final TokenWindowLoader loader;
    private final Windows windows;

    public TokenWindowBatches(TokenWindowLoader loader) {
        this.loader = loader;
        int n = loader.batchSize() * loader.sequenceLength();
        this.windows = new Windows(new int[n], new int[n], loader.batchSize(), loader.sequenceLength());
    }

    @Override
    public Windows next() {
        loader.next(windows.inputs(), windows.targets());
        return windows;
    }

    @Override
    public ObjectNode position() {
        TokenWindowLoader.Position p = loader.position();
        ObjectNode pos = JsonNodeFactory.instance.objectNode();
        pos.put("order", p.order().name());
        ArrayNode rs = pos.putArray("rng");
        for (long x : p.rngState()) rs.add(x);
        pos.put("shard", p.shard()).put("offset", p.offset()).put("batches", p.batches());
        return pos;
    }

    @Override
    public void restore(JsonNode pos) {
        long[] rs = new long[pos.get("rng").size()];
        for (int i = 0; i < rs.length; i++) rs[i] = pos.get("rng").get(i).asLong();
        loader.restore(new TokenWindowLoader.Position(TokenWindowLoader.Order.valueOf(pos.get("order").asText()), rs,
                pos.get("shard").asInt(), pos.get("offset").asLong(), pos.get("batches").asLong()));
    }
}
