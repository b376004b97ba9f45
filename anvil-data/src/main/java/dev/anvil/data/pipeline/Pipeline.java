package dev.anvil.data.pipeline;

import dev.anvil.data.DocumentStep;
import dev.anvil.data.clean.PiiRedactor;
import dev.anvil.data.clean.UnicodeNormalizer;
import dev.anvil.data.dedup.MinHashDeduplicator;
import dev.anvil.data.dedup.SentenceDeduplicator;
import dev.anvil.data.filter.C4QualityFilter;
import dev.anvil.data.filter.FineWebQualityFilter;
import dev.anvil.data.filter.GopherQualityFilter;
import dev.anvil.data.filter.GopherRepetitionFilter;
import dev.anvil.data.filter.LanguageFilter;
import dev.anvil.data.read.ReaderOptions;

import java.nio.file.Path;
import java.text.Normalizer;
import java.util.List;

/**
 * A whole pipeline definition, the Java equivalent of a pipeline YAML file: where to read, how,
 * the per-document steps in order, then the corpus-wide deduplication (exact, then MinHash when
 * {@code minhash} is non-null, then C4's sentence-span dedup when {@code sentenceDedup} is
 * non-null), and how to write.
 *
 * @param shardBytes upper bound on a shard's uncompressed size
 * @param threads    parallel tasks at once; 0 means all cores
 * @param taskBytes  uncompressed line-based files larger than this are read as several tasks of about this size
 */
public record Pipeline(List<Path> inputs, Path output, ReaderOptions reader, List<DocumentStep> steps,
                       boolean exactDedup, MinHashDeduplicator.Config minhash, long shardBytes, int threads,
                       SentenceDeduplicator.Config sentenceDedup, long taskBytes) {
    public static final long DEFAULT_SHARD_BYTES = 64L << 20;
    public static final long DEFAULT_TASK_BYTES = 32L << 20;

    /** Without sentence dedup, default task size. */
    public Pipeline(List<Path> inputs, Path output, ReaderOptions reader, List<DocumentStep> steps,
                    boolean exactDedup, MinHashDeduplicator.Config minhash, long shardBytes, int threads) {
        this(inputs, output, reader, steps, exactDedup, minhash, shardBytes, threads, null, DEFAULT_TASK_BYTES);
    }

    public Pipeline {
        if (inputs == null || inputs.isEmpty()) throw new IllegalArgumentException("pipeline needs at least one input");
        if (output == null) throw new IllegalArgumentException("pipeline needs an output directory");
        inputs = List.copyOf(inputs);
        steps = List.copyOf(steps);
        if (reader == null) reader = ReaderOptions.DEFAULT;
        if (shardBytes <= 0) throw new IllegalArgumentException("shard size must be positive, got " + shardBytes);
        if (threads < 0) throw new IllegalArgumentException("threads must be >= 0, got " + threads);
        if (taskBytes <= 0) throw new IllegalArgumentException("task size must be positive, got " + taskBytes);
    }

    /** The per-document steps of the default pipeline, in FineWeb's order. */
    public static List<DocumentStep> defaultSteps() {
        return List.of(new UnicodeNormalizer(Normalizer.Form.NFC), LanguageFilter.defaults(), GopherRepetitionFilter.defaults(),
                GopherQualityFilter.defaults(), C4QualityFilter.defaults(), FineWebQualityFilter.defaults(), PiiRedactor.defaults());
    }

    /** The default pipeline: normalize, language id, Gopher, C4, FineWeb filters, PII redaction, exact and MinHash dedup. */
    public static Pipeline defaults(List<Path> inputs, Path output) {
        return new Pipeline(inputs, output, ReaderOptions.DEFAULT, defaultSteps(), true, MinHashDeduplicator.Config.DEFAULT,
                DEFAULT_SHARD_BYTES, 0);
    }

    public Pipeline withReader(ReaderOptions r) {
        return new Pipeline(inputs, output, r, steps, exactDedup, minhash, shardBytes, threads, sentenceDedup, taskBytes);
    }

    public Pipeline withThreads(int t) {
        return new Pipeline(inputs, output, reader, steps, exactDedup, minhash, shardBytes, t, sentenceDedup, taskBytes);
    }

    public Pipeline withShardBytes(long b) {
        return new Pipeline(inputs, output, reader, steps, exactDedup, minhash, b, threads, sentenceDedup, taskBytes);
    }

    public Pipeline withSteps(List<DocumentStep> s, boolean exact, MinHashDeduplicator.Config mh) {
        return new Pipeline(inputs, output, reader, s, exact, mh, shardBytes, threads, sentenceDedup, taskBytes);
    }

    public Pipeline withSentenceDedup(SentenceDeduplicator.Config c) {
        return new Pipeline(inputs, output, reader, steps, exactDedup, minhash, shardBytes, threads, c, taskBytes);
    }

    public Pipeline withTaskBytes(long b) {
        return new Pipeline(inputs, output, reader, steps, exactDedup, minhash, shardBytes, threads, sentenceDedup, b);
    }
}
