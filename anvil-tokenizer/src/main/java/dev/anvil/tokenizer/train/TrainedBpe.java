package dev.anvil.tokenizer.train;

import dev.anvil.tokenizer.BpeTokenizer;
import java.util.List;

/**
 * A trained tokenizer with the merges in the order they were learned ({left id, right id} → the id after
 * the 256 byte tokens, in order) and a few statistics.
 */
public record TrainedBpe(BpeTokenizer tokenizer, List<int[]> merges, int distinctChunks, long chunkOccurrences,
                         double countSeconds, double mergeSeconds) {}
