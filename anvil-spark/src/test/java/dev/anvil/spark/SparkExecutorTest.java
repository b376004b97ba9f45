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
