package dev.anvil.model.sampling;

import java.util.List;
import java.util.Set;

/**
 * When generation stops and how tokens are picked.
 *
 * @param maxTokens   tokens to generate at most (the context's end stops earlier)
 * @param stopTokens  ids that end the completion (not part of the text), e.g. end-of-text
 * @param stopStrings texts that end the completion where they first appear (not part of the text)
 */
public record GenerationConfig(SamplingParams sampling, int maxTokens, Set<Integer> stopTokens, List<String> stopStrings) {

    public GenerationConfig {
        if (sampling == null) throw new IllegalArgumentException("generation: sampling parameters are missing");
        if (maxTokens < 0) throw new IllegalArgumentException("generation: max tokens must not be negative, got " + maxTokens);
        stopTokens = Set.copyOf(stopTokens == null ? Set.of() : stopTokens);
        stopStrings = List.copyOf(stopStrings == null ? List.of() : stopStrings);
        for (String s : stopStrings) if (s.isEmpty()) throw new IllegalArgumentException("generation: a stop string is empty");
    }

    public GenerationConfig(SamplingParams sampling, int maxTokens) {
        this(sampling, maxTokens, Set.of(), List.of());
    }

    public GenerationConfig withStopTokens(Set<Integer> ids) {
        return new GenerationConfig(sampling, maxTokens, ids, stopStrings);
    }

    public GenerationConfig withStopStrings(List<String> strings) {
        return new GenerationConfig(sampling, maxTokens, stopTokens, strings);
    }
}
