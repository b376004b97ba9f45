package dev.anvil.spark;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.anvil.data.Document;
import dev.anvil.data.exec.LocalExecutor;
import dev.anvil.data.pipeline.PipelineYaml;
import dev.anvil.data.stats.PipelineStats;
import dev.anvil.data.write.ShardWriter;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Spark executor against the local executor on the same real corpus and the same pipeline
 * definition: SpamAssassin mails and Tiny Shakespeare, with exact copies, near-duplicate clusters
 * (chains of edited copies, so some members only pass verification against a later member) and
 * damaged input planted. Kept documents (in order), stats.json and the removed sample must match.
 */
class SparkExecutorTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path tmp;
    static Path corpus;

    @BeforeAll
    static void corpus() throws IOException {
        Path data = LocalSpark.sharedData();
        corpus = Files.createDirectories(tmp.resolve("in"));
        Path mails = Files.createDirectories(corpus.resolve("mail"));
        List<Path> picked = new ArrayList<>();
        for (String kind : new String[] {"ham", "spam"}) {
            try (Stream<Path> s = Files.list(data.resolve("spamassassin").resolve(kind))) {
                picked.addAll(s.sorted().limit(kind.equals("ham") ? 60 : 30).toList());
            }
        }
        for (Path p : picked) Files.copy(p, mails.resolve(p.getParent().getFileName() + "-" + p.getFileName()));
        Files.copy(picked.get(3), mails.resolve("zz-copy.txt"));

        String shakespeare = Files.readString(data.resolve("tinyshakespeare.txt"));
        String[] words = shakespeare.split("\\s+");
        SplittableRandom rng = new SplittableRandom(11);
        // Clusters of edited copies: each variant edits the previous one, so the last can be far from the first.
        StringBuilder variants = new StringBuilder();
        for (int c = 0; c < 120; c++) {
            int start = rng.nextInt(words.length - 300);
            List<String> text = new ArrayList<>(Arrays.asList(words).subList(start, start + 300));
            variants.append(jsonLine("passage-" + c, String.join(" ", text)));
            int copies = rng.nextInt(4);
            for (int v = 1; v <= copies; v++) {
                text = DedupVsSparkMinHashLsh.edited(text, words, rng.nextDouble() * 0.12, rng);
                variants.append(jsonLine("passage-" + c + "-v" + v, String.join(" ", text)));
            }
        }
        Files.writeString(corpus.resolve("variants.jsonl"), variants);
        // Whole plays split into pieces, one exact and one near copy among them, gzip-compressed.
        StringBuilder plays = new StringBuilder();
        for (int i = 0; i < 30; i++) {
            String text = shakespeare.substring(400_000 + i * 3000, 400_000 + i * 3000 + 2500);
            plays.append(jsonLine("play-" + i, text));
            if (i == 5) plays.append(jsonLine("dup-5", text));
            if (i == 4) plays.append(jsonLine("near-4", text.replaceFirst("the", "thee").replaceFirst("and", "und")));
        }
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(corpus.resolve("plays.jsonl.gz")))) {
            out.write(plays.toString().getBytes(StandardCharsets.UTF_8));
        }
        // Damaged input: a malformed line, and a gzip file cut in half.
        Files.writeString(corpus.resolve("bad.jsonl"), jsonLine("ok", shakespeare.substring(900_000, 902_000)) + "{not json\n");
        ByteArrayOutputStream gz = new ByteArrayOutputStream();
        try (OutputStream out = new GZIPOutputStream(gz)) {
            out.write(shakespeare.substring(0, 200_000).getBytes(StandardCharsets.UTF_8));
        }
        Files.write(corpus.resolve("cut.txt.gz"), Arrays.copyOf(gz.toByteArray(), gz.size() / 2));
        plantRepeatedSpans(words);
    }

    static final String PLANTED = "The quick brown fox was seen in the market today. Nobody could say where it had come from. "
            + "The children followed it all the way to the river.";
    static final String PLANTED_TWICE = "A letter came for the captain this morning. He read it twice and burned it. "
            + "Then he sent for his horse and rode away.";

    /**
     * Documents sharing 3-sentence spans: a near copy that MinHash removes and that is the first to
     * hold {@link #PLANTED} (a removed document's spans must not count as the first occurrence), the
     * first surviving holder, later holders (cut), one holding another span twice (its second copy
     * is cut), and one with too little left once its span is cut.
     */
    private static void plantRepeatedSpans(String[] words) throws IOException {
        // Each passage opens a sentence of its own (a capital after the full stop), so the planted spans stay whole sentences.
        java.util.function.IntFunction<String> passage = start -> "Meanwhile " + String.join(" ", Arrays.asList(words).subList(start, start + 120)) + ".";
        String original = String.join(" ", Arrays.asList(words).subList(50_000, 50_400)) + ".";
        Files.writeString(corpus.resolve("spans.jsonl"), jsonLine("span-original", original)
                + jsonLine("span-near-copy", original + " " + PLANTED)
                + jsonLine("span-first", passage.apply(60_000) + " " + PLANTED)
                + jsonLine("span-second", PLANTED + " " + passage.apply(61_000))
                + jsonLine("span-twice", passage.apply(62_000) + " " + PLANTED_TWICE + " " + passage.apply(63_000) + " " + PLANTED_TWICE)
                + jsonLine("span-too-little", PLANTED + " Meanwhile " + String.join(" ", Arrays.asList(words).subList(64_000, 64_030)) + ".")
                + jsonLine("span-third", passage.apply(65_000) + " " + PLANTED.toUpperCase().replace(".", "!") + " " + passage.apply(66_000)));
    }

    private static String jsonLine(String id, String text) throws IOException {
        return JSON.writeValueAsString(Map.of("id", id, "text", text)) + "\n";
    }

    private static String pipelineYaml(String output, String dedup) {
        return """
                inputs: [in]
                output: %s
                shard_mb: 0.05
                threads: 2
                steps:
                  - normalize
                  - gopher_quality: {min_doc_words: 20, min_stop_words: 2}
                  - pii
                %s
                """.formatted(output, dedup);
    }

    /** Every shard's lines, in shard order: the document sequence an output holds. */
    private static List<String> documentLines(List<Path> shards) throws IOException {
        List<String> lines = new ArrayList<>();
        for (Path shard : shards) for (Document d : ShardWriter.readShard(shard)) lines.add(new String(ShardWriter.jsonLine(d), StandardCharsets.UTF_8));
        return lines;
    }

    private static void assertSameOutput(String dedup, String name) throws IOException {
        LocalExecutor.Result local = new LocalExecutor(PipelineYaml.parse(pipelineYaml("local-" + name, dedup), tmp), null).run();
        SparkExecutor.Result spark = new SparkExecutor(LocalSpark.context(), pipelineYaml("spark-" + name, dedup), tmp).run();
        System.out.print(name + ", Spark executor:\n" + spark.stats().summaryTable());

        assertThat(spark.tasks()).isEqualTo(local.tasks());
        List<String> localDocs = documentLines(local.shards());
        List<String> sparkDocs = documentLines(spark.shards());
        assertThat(sparkDocs).hasSize(localDocs.size());
        assertThat(sparkDocs).isEqualTo(localDocs);
        assertThat(PipelineStats.read(tmp.resolve("spark-" + name + "/stats.json")).toMap())
                .isEqualTo(PipelineStats.read(tmp.resolve("local-" + name + "/stats.json")).toMap());
        assertThat(Files.readString(tmp.resolve("spark-" + name + "/removed-sample.jsonl")))
                .isEqualTo(Files.readString(tmp.resolve("local-" + name + "/removed-sample.jsonl")));
    }

    @Test
    void keepsTheSameDocumentsAndCountsAsTheLocalExecutor() throws IOException {
        assertSameOutput("  - exact_dedup\n  - minhash_dedup\n", "defaults");
        PipelineStats stats = PipelineStats.read(tmp.resolve("spark-defaults/stats.json"));
        // The planted duplicates were found, the damaged input counted, and the removals add up.
        assertThat(stats.step("exact_dedup").removed.get("exact_duplicate")).isGreaterThanOrEqualTo(2L);
        assertThat(stats.step("minhash_dedup").removed.get("near_duplicate")).isGreaterThan(50L);
        assertThat(stats.badInput).anyMatch(b -> b.file().equals("in/bad.jsonl") && b.line() == 2)
                .anyMatch(b -> b.file().equals("in/cut.txt.gz"));
        List<String> ids = new ArrayList<>();
        try (Stream<Path> shards = Files.list(tmp.resolve("spark-defaults"))) {
            for (Path s : shards.filter(p -> p.getFileName().toString().startsWith("shard-")).sorted().toList()) {
                for (Document d : ShardWriter.readShard(s)) ids.add(d.id());
            }
        }
        assertThat(ids).doesNotHaveDuplicates().contains("play-4", "play-5").doesNotContain("dup-5", "near-4");
    }

    @Test
    void sentenceDedupCutsTheSameSpansAsTheLocalExecutor() throws IOException {
        assertSameOutput("  - exact_dedup\n  - minhash_dedup\n  - sentence_dedup\n", "sentences");
        Map<String, String> texts = new java.util.HashMap<>();
        try (Stream<Path> shards = Files.list(tmp.resolve("spark-sentences"))) {
            for (Path s : shards.filter(p -> p.getFileName().toString().startsWith("shard-")).sorted().toList()) {
                for (Document d : ShardWriter.readShard(s)) texts.put(d.id(), d.text());
            }
        }
        // The near copy was removed, so the first surviving holder keeps the planted span and later holders lose it.
        assertThat(texts).doesNotContainKeys("span-near-copy", "span-too-little").containsKeys("span-original");
        assertThat(texts.get("span-first")).contains("quick brown fox");
        assertThat(texts.get("span-second")).doesNotContain("quick brown fox").isNotEmpty();
        assertThat(texts.get("span-third")).doesNotContainIgnoringCase("quick brown fox");
        assertThat(texts.get("span-twice").split("A letter came for the captain", -1)).hasSize(2);
        PipelineStats stats = PipelineStats.read(tmp.resolve("spark-sentences/stats.json"));
        assertThat(stats.step("sentence_dedup").removed.get("too_little_left")).isGreaterThanOrEqualTo(1L);
        assertThat(stats.step("sentence_dedup").bytesOut).isLessThan(stats.step("sentence_dedup").bytesIn);
    }

    @Test
    void sentenceDedupAloneOnLinesAlsoMatches() throws IOException {
        // No document dedup: every edited copy competes for its spans; lines instead of sentences, a low word floor.
        assertSameOutput("  - sentence_dedup: {split: lines, min_doc_words: 10}\n", "sentence-lines");
    }

    @Test
    void pureLshWithWiderBucketsAlsoMatches() throws IOException {
        // 5 rows per band and no verification: large buckets, long chains, many components merged.
        assertSameOutput("  - minhash_dedup: {bands: 9, rows: 5, verify_jaccard: null}\n", "pure-lsh");
    }

    @Test
    void rerunSkipsFinishedTasksAndWritesTheSameShards() throws IOException {
        String yaml = pipelineYaml("spark-rerun", "  - exact_dedup\n  - minhash_dedup\n");
        SparkExecutor.Result first = new SparkExecutor(LocalSpark.context(), yaml, tmp).run();
        List<String> before = documentLines(first.shards());
        String stats = Files.readString(tmp.resolve("spark-rerun/stats.json"));
        SparkExecutor.Result again = new SparkExecutor(LocalSpark.context(), yaml, tmp).run();
        assertThat(first.tasksResumed()).isZero();
        assertThat(again.tasksResumed()).isEqualTo(again.tasks());
        assertThat(documentLines(again.shards())).isEqualTo(before);
        assertThat(Files.readString(tmp.resolve("spark-rerun/stats.json"))).isEqualTo(stats);
    }
}
