package dev.anvil.tokenizer.train;

import dev.anvil.tokenizer.pretokenize.PreTokenizer;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * What to train.
 *
 * @param name               the tokenizer's name (written into its files)
 * @param vocabSize          total ids wanted: 256 byte tokens + merges + special tokens
 * @param preTokenizer       how text is cut into chunks before merging (SplitPattern.*.preTokenizer() or a regex)
 * @param specialTokens      special tokens; a null id means "the next id after the mergeable tokens",
 *                           an explicit id is reserved (mergeable tokens skip it)
 * @param minPairFrequency   stop merging when the most frequent pair occurs fewer times than this
 * @param documentCapBytes   count only the first this-many bytes of each document (0: no cap)
 * @param threads            worker threads for counting
 */
public record BpeTrainerConfig(String name, int vocabSize, PreTokenizer preTokenizer, Map<String, Integer> specialTokens,
                               long minPairFrequency, int documentCapBytes, int threads) {
    public BpeTrainerConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(preTokenizer, "preTokenizer");
        specialTokens = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(specialTokens == null ? Map.of() : specialTokens));
        if (vocabSize < 256 + specialTokens.size())
            throw new IllegalArgumentException("vocabulary size " + vocabSize + " is below 256 byte tokens + " + specialTokens.size() + " special tokens");
        if (minPairFrequency < 1) throw new IllegalArgumentException("minimum pair frequency must be ≥ 1, got " + minPairFrequency);
        if (documentCapBytes < 0) throw new IllegalArgumentException("document cap must be ≥ 0, got " + documentCapBytes);
        if (threads < 1) throw new IllegalArgumentException("threads must be ≥ 1, got " + threads);
        for (var e : specialTokens.entrySet())
            if (e.getValue() != null && (e.getValue() < 0 || e.getValue() >= vocabSize))
                throw new IllegalArgumentException("special token " + e.getKey() + " id " + e.getValue() + " is outside [0, " + vocabSize + ")");
    }

    public static BpeTrainerConfig of(int vocabSize, PreTokenizer preTokenizer) {
        return new BpeTrainerConfig("anvil-bpe", vocabSize, preTokenizer, Map.of(), 1, 0, Runtime.getRuntime().availableProcessors());
    }

    public BpeTrainerConfig withSpecialTokens(Map<String, Integer> specials) {
        return new BpeTrainerConfig(name, vocabSize, preTokenizer, specials, minPairFrequency, documentCapBytes, threads);
    }

    public BpeTrainerConfig withThreads(int threads) {
        return new BpeTrainerConfig(name, vocabSize, preTokenizer, specialTokens, minPairFrequency, documentCapBytes, threads);
    }

    public BpeTrainerConfig withMinPairFrequency(long f) {
        return new BpeTrainerConfig(name, vocabSize, preTokenizer, specialTokens, f, documentCapBytes, threads);
    }

    public BpeTrainerConfig withDocumentCapBytes(int cap) {
        return new BpeTrainerConfig(name, vocabSize, preTokenizer, specialTokens, minPairFrequency, cap, threads);
    }

    public BpeTrainerConfig withName(String n) {
        return new BpeTrainerConfig(n, vocabSize, preTokenizer, specialTokens, minPairFrequency, documentCapBytes, threads);
    }
}
