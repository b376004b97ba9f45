package dev.anvil.tokenizer.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.anvil.tokenizer.BpeTokenizer;
import dev.anvil.tokenizer.pretokenize.SplitPattern;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BpeTrainerTest {

    /** A small corpus with repetition, several scripts and whitespace runs. */
    static String corpus() {
        StringBuilder sb = new StringBuilder();
        SplittableRandom rnd = new SplittableRandom(11);
        String[] words = {"the", "cat", "sat", "on", "mat", "hat", "that", "then", "there", "aaaa", "abab", "über", "naïve",
                "日本", "日本語", "😀😀", "  ", "\n", "\n\n", "ing", "thing", "sing", "singing", "123", "4567", "'s", "don't"};
        for (int i = 0; i < 6000; i++) {
            sb.append(words[rnd.nextInt(words.length)]);
            sb.append(rnd.nextInt(5) == 0 ? "" : " ");
        }
        return sb.toString();
    }

    static ChunkCounts count(String text) throws IOException {
        try (CorpusChunkCounter counter = new CorpusChunkCounter(SplitPattern.CL100K.preTokenizer(), 2, 0)) {
            counter.addPlainText(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)));
            return counter.finish();
        }
    }

    /** Straightforward BPE: after every merge, recount every pair of every word from scratch. */
    static List<long[]> referenceMerges(ChunkCounts chunks, int wanted, long minFrequency) {
        List<int[]> words = new ArrayList<>();
        List<Long> weights = new ArrayList<>();
        for (int i = 0; i < chunks.size(); i++) {
            byte[] b = chunks.chunk(i);
            int[] w = new int[b.length];
            for (int j = 0; j < b.length; j++) w[j] = b[j] & 0xFF;
            words.add(w);
            weights.add(chunks.count(i));
        }
        List<long[]> merges = new ArrayList<>();
        for (int m = 0; m < wanted; m++) {
            Map<Long, Long> pairCounts = new HashMap<>();
            for (int i = 0; i < words.size(); i++) {
                int[] w = words.get(i);
                for (int j = 0; j + 1 < w.length; j++) pairCounts.merge(((long) w[j] << 32) | w[j + 1], weights.get(i), Long::sum);
            }
            long bestKey = -1, bestCount = 0;
            for (var e : pairCounts.entrySet()) {
                if (e.getValue() > bestCount || (e.getValue() == bestCount && e.getKey() < bestKey)) {
                    bestKey = e.getKey();
                    bestCount = e.getValue();
                }
            }
            if (bestKey < 0 || bestCount < minFrequency) break;
            int a = (int) (bestKey >>> 32), b = (int) bestKey, c = 256 + m;
            merges.add(new long[] {a, b, bestCount});
            for (int i = 0; i < words.size(); i++) {
                int[] w = words.get(i);
                int[] out = new int[w.length];
                int o = 0;
                for (int j = 0; j < w.length; ) {
                    if (j + 1 < w.length && w[j] == a && w[j + 1] == b) { out[o++] = c; j += 2; }
                    else out[o++] = w[j++];
                }
                words.set(i, java.util.Arrays.copyOf(out, o));
            }
        }
        return merges;
    }

    @Test
    void incrementalMergesEqualTheNaiveReference() throws IOException {
        ChunkCounts chunks = count(corpus());
        List<long[]> expected = referenceMerges(chunks, 400, 1);
        BpeTrainer.Merges actual = BpeTrainer.merge(chunks, 400, 1, TrainingProgress.NONE);
        assertThat(expected).hasSizeGreaterThan(100); // the corpus runs out of pairs before 400 merges or not: both must agree
        assertThat(actual.count()).isEqualTo(expected.size());
        for (int k = 0; k < expected.size(); k++) {
            assertThat(new int[] {actual.left()[k], actual.right()[k]}).as("merge %d", k)
                    .containsExactly((int) expected.get(k)[0], (int) expected.get(k)[1]);
        }
    }

    @Test
    void minimumPairFrequencyStopsMerging() throws IOException {
        ChunkCounts chunks = count(corpus());
        List<long[]> expected = referenceMerges(chunks, 10_000, 50);
        BpeTrainer.Merges actual = BpeTrainer.merge(chunks, 10_000, 50, TrainingProgress.NONE);
        assertThat(actual.count()).isEqualTo(expected.size()).isLessThan(10_000);
        assertThat(expected.get(expected.size() - 1)[2]).isGreaterThanOrEqualTo(50);
    }

    @Test
    void countingIsTheSameOnOneOrManyThreadsAndBlocks() throws IOException {
        String text = corpus().repeat(40); // several MB, several blocks
        ChunkCounts one, many;
        try (CorpusChunkCounter counter = new CorpusChunkCounter(SplitPattern.CL100K.preTokenizer(), 1, 0)) {
            counter.addDocument(text.getBytes(StandardCharsets.UTF_8));
            one = counter.finish();
        }
        try (CorpusChunkCounter counter = new CorpusChunkCounter(SplitPattern.CL100K.preTokenizer(), 3, 0)) {
            counter.addPlainText(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)));
            many = counter.finish();
        }
        assertThat(many.size()).isEqualTo(one.size());
        Map<String, Long> a = new HashMap<>(), b = new HashMap<>();
        for (int i = 0; i < one.size(); i++) a.put(new String(one.chunk(i), StandardCharsets.ISO_8859_1), one.count(i));
        for (int i = 0; i < many.size(); i++) b.put(new String(many.chunk(i), StandardCharsets.ISO_8859_1), many.count(i));
        assertThat(b).isEqualTo(a);
    }

    @Test
    void trainedTokenizerRoundTripsAndPlacesSpecialTokens(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("corpus.txt");
        Files.writeString(file, corpus());
        Map<String, Integer> specials = new java.util.LinkedHashMap<>();
        specials.put("<|bos|>", 0);
        specials.put("<|endoftext|>", null);
        BpeTrainerConfig config = BpeTrainerConfig.of(300, SplitPattern.GPT2.preTokenizer()).withSpecialTokens(specials).withThreads(2);
        TrainedBpe trained = BpeTrainer.train(List.of(file), config, TrainingProgress.NONE);
        BpeTokenizer tok = trained.tokenizer();
        assertThat(tok.vocabSize()).isEqualTo(300);
        assertThat(tok.specialTokens()).containsEntry("<|bos|>", 0).containsEntry("<|endoftext|>", 299);
        assertThat(tok.tokens().bytes(1)).containsExactly(0); // byte 0 moved past the reserved id 0
        assertThat(trained.merges()).hasSize(300 - 256 - 2);
        String text = "the cat sat on the mat, naïve 日本語 😀 <|endoftext|>";
        assertThat(tok.decode(tok.encodeOrdinary(text))).isEqualTo(text);
        assertThat(tok.encode(text, java.util.Set.of("<|endoftext|>"))).endsWith(299);
        assertThat(tok.encodeOrdinary(" the").length).isEqualTo(1);
    }

    @Test
    void rejectsImpossibleConfigs() {
        assertThatThrownBy(() -> BpeTrainerConfig.of(100, SplitPattern.GPT2.preTokenizer())).hasMessageContaining("below 256");
        assertThatThrownBy(() -> BpeTrainerConfig.of(1000, SplitPattern.GPT2.preTokenizer()).withSpecialTokens(Map.of("<|x|>", 5000)))
                .hasMessageContaining("outside");
    }
}
