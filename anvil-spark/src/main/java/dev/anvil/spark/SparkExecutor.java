package dev.anvil.spark;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.luben.zstd.ZstdInputStream;
import dev.anvil.data.Document;
import dev.anvil.data.dedup.MinHashDeduplicator;
import dev.anvil.data.dedup.SentenceDeduplicator;
import dev.anvil.data.exec.LocalExecutor;
import dev.anvil.data.pipeline.Pipeline;
import dev.anvil.data.pipeline.PipelineYaml;
import dev.anvil.data.stats.PipelineStats;
import dev.anvil.data.stats.StepStats;
import dev.anvil.data.write.ShardWriter;
import org.apache.spark.HashPartitioner;
import org.apache.spark.Partitioner;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.storage.StorageLevel;
import scala.Tuple2;
import scala.Tuple3;

import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.IntStream;
import java.util.stream.Stream;

/**
 * Runs a pipeline definition (the same YAML the local executor reads) on Apache Spark, keeping
 * exactly the documents the {@link LocalExecutor} keeps and writing the same {@code stats.json}.
 *
 * <ol>
 *   <li><b>documents</b> — one Spark task per local task (input file), each running the local
 *       executor's own per-document code ({@link LocalExecutor#runTask}) on an executor, so reading,
 *       steps, bad-input handling and dedup keys are the same code, not a copy. Task outputs go to
 *       {@code OUTPUT/.work} and are committed by rename with a completion marker: a failed Spark
 *       task is simply rerun, and a rerun job skips tasks already done.</li>
 *   <li><b>exact dedup</b> — a shuffle on the 128-bit content key; in each group the document
 *       earliest in corpus order is kept, as the local executor keeps the first one it meets.</li>
 *   <li><b>MinHash dedup</b> — signatures → one row per (band, band key) → group by bucket →
 *       the local executor's join rule inside each bucket (members in corpus order, each joined
 *       to the first member whose estimated Jaccard passes {@code verify_jaccard}) → edges →
 *       {@link ConnectedComponents} → every document but its component's earliest is removed,
 *       which is what the local union-find (root = smallest index) removes.</li>
 *   <li><b>sentence dedup</b> — the span hashes of the surviving documents ({@code task-N.spans})
 *       as (hash, corpus order + start sentence) rows → the first occurrence per hash → every other
 *       occurrence is a repeated span, sent to its task's write range (see {@link #repeatedSpans}).</li>
 *   <li><b>write</b> — tasks in corpus order are split into contiguous ranges; each range streams
 *       its task outputs minus the removed documents into its own shards, which the driver then
 *       renames to {@code shard-00000.jsonl.zst, ...} in order; repeated spans are cut there with
 *       {@link SentenceDeduplicator#removeRepeated}, as in the local write phase. Reading the shards in order gives
 *       the local executor's document sequence; only shard boundaries can differ.</li>
 * </ol>
 *
 * Only dedup keys (16 + 8 bytes and the signature per document) and span hashes are shuffled, never texts.
 * Inputs and output are plain paths: on a cluster they must be on a filesystem every node mounts
 * at the same place (NFS, Lustre, a FUSE mount of object storage).
 */
public final class SparkExecutor {
    /** What a run produced; {@code tasksResumed} counts tasks whose completion marker existed before the run. */
    public record Result(PipelineStats stats, List<Path> shards, int tasks, int tasksResumed) {}

    private final JavaSparkContext spark;
    private final PipelineSource source;

    /**
     * @param pipelineYaml the pipeline definition; it is parsed again on every executor, since steps
     *                     are not serializable but their definition is
     * @param baseDir      the directory relative paths in the definition are resolved against
     */
    public SparkExecutor(JavaSparkContext spark, String pipelineYaml, Path baseDir) {
        this.spark = spark;
        this.source = new PipelineSource(pipelineYaml, baseDir.toAbsolutePath().normalize().toString());
    }

    public static SparkExecutor forFile(JavaSparkContext spark, Path pipelineFile) throws IOException {
        return new SparkExecutor(spark, Files.readString(pipelineFile), pipelineFile.toAbsolutePath().getParent());
    }

    /** The YAML text and its base directory: what a Spark executor needs to rebuild the pipeline. */
    record PipelineSource(String yaml, String baseDir) implements Serializable {
        private static final Map<PipelineSource, LocalExecutor> EXECUTORS = new ConcurrentHashMap<>();

        /** One parsed pipeline per executor JVM (language models and stop-word sets are loaded once). */
        LocalExecutor localExecutor() {
            return EXECUTORS.computeIfAbsent(this, s -> new LocalExecutor(PipelineYaml.parse(s.yaml, Path.of(s.baseDir)), null));
        }
    }

    public Result run() throws IOException {
        Pipeline pipeline = PipelineYaml.parse(source.yaml(), Path.of(source.baseDir()));
        SpanCut spanCut = pipeline.sentenceDedup() == null ? null : SpanCut.of(pipeline.sentenceDedup());
        Path output = pipeline.output();
        LocalExecutor local = new LocalExecutor(pipeline, null);
        int tasks = local.taskCount();
        int resumed = 0;
        for (int t = 0; t < tasks; t++) if (Files.exists(local.taskFile(t, "done"))) resumed++;
        int signatureLength = pipeline.minhash() == null ? 0 : pipeline.minhash().bands() * pipeline.minhash().rows();

        // Phase 1: the per-document steps, one Spark task per local task.
        PipelineSource definition = source;
        List<org.apache.spark.rdd.RDD<?>> cached = new ArrayList<>();
        JavaRDD<DedupKey> keys = spark.parallelize(IntStream.range(0, tasks).boxed().toList(), Math.max(1, tasks))
                .mapPartitions(ids -> documentsPhase(definition, signatureLength, ids))
                .persist(StorageLevel.MEMORY_AND_DISK_SER());
        cached.add(keys.rdd());
        keys.count();

        PipelineStats stats = new PipelineStats();
        for (int t = 0; t < tasks; t++) stats.add(PipelineStats.read(local.taskFile(t, "stats.json")));

        // Phase 2: corpus-wide dedup decisions, as removed global orders.
        JavaRDD<Long> removed = spark.emptyRDD();
        JavaRDD<DedupKey> survivors = keys;
        if (pipeline.exactDedup()) {
            JavaRDD<Tuple2<DedupKey, Boolean>> decided = keys
                    .mapToPair(k -> new Tuple2<>(new Tuple2<>(k.keyHigh(), k.keyLow()), k))
                    .groupByKey()
                    .flatMap(group -> {
                        List<DedupKey> members = new ArrayList<>();
                        group._2().forEach(members::add);
                        members.sort(Comparator.comparingLong(DedupKey::order));
                        List<Tuple2<DedupKey, Boolean>> out = new ArrayList<>(members.size());
                        for (int i = 0; i < members.size(); i++) out.add(new Tuple2<>(members.get(i), i == 0));
                        return out.iterator();
                    })
                    .persist(StorageLevel.MEMORY_AND_DISK_SER());
            survivors = decided.filter(Tuple2::_2).map(Tuple2::_1).persist(StorageLevel.MEMORY_AND_DISK_SER());
            cached.add(decided.rdd());
            cached.add(survivors.rdd());
            removed = removed.union(decided.filter(d -> !d._2()).map(d -> d._1().order()));
            long[] all = countAndBytes(keys);
            long[] kept = countAndBytes(survivors);
            StepStats exact = new StepStats();
            exact.docsIn = all[0];
            exact.bytesIn = all[1];
            exact.docsOut = kept[0];
            exact.bytesOut = kept[1];
            if (all[0] > kept[0]) exact.removed.put("exact_duplicate", all[0] - kept[0]);
            stats.steps.put("exact_dedup", exact);
        }
        long[] fuzzyIn = pipeline.minhash() == null ? null : countAndBytes(survivors);
        long fuzzyClusters = 0;
        if (pipeline.minhash() != null) {
            JavaPairRDD<Long, Long> components = ConnectedComponents.toComponentMinimum(minhashEdges(survivors, pipeline.minhash()));
            cached.add(components.rdd());
            removed = removed.union(components.keys());
            fuzzyClusters = components.values().distinct().count(); // one component minimum per cluster of two or more
        }

        // Sentence dedup's decision: which spans of the surviving documents occurred earlier.
        JavaPairRDD<Integer, Integer> removedByTask = removed.mapToPair(o -> new Tuple2<>(DedupKey.task(o), DedupKey.position(o)))
                .persist(StorageLevel.MEMORY_AND_DISK_SER());
        cached.add(removedByTask.rdd());
        JavaPairRDD<Integer, SpanAt> repeatedSpans = spanCut == null ? null : repeatedSpans(definition, tasks, removedByTask);

        // Phase 3: shards.
        WrittenRange[] ranges = write(definition, output, pipeline.shardBytes(), tasks, signatureLength, removedByTask, repeatedSpans, spanCut, survivors);
        StepStats writeStats = new StepStats();
        StepStats sentenceStats = new StepStats();
        for (WrittenRange r : ranges) {
            writeStats.docsIn += r.docs();
            writeStats.docsOut += r.docs();
            writeStats.bytesIn += r.bytes();
            writeStats.bytesOut += r.bytes();
            sentenceStats.docsIn += r.survivingDocs();
            sentenceStats.bytesIn += r.survivingBytes();
        }
        if (fuzzyIn != null) {
            // The near-duplicate stage is the last dedup decision: what it kept is exactly what reached the write stage.
            StepStats fuzzy = new StepStats();
            fuzzy.docsIn = fuzzyIn[0];
            fuzzy.bytesIn = fuzzyIn[1];
            fuzzy.docsOut = sentenceStats.docsIn;
            fuzzy.bytesOut = sentenceStats.bytesIn;
            if (fuzzyIn[0] > fuzzy.docsOut) fuzzy.removed.put("near_duplicate", fuzzyIn[0] - fuzzy.docsOut);
            fuzzy.clusters = fuzzyClusters;
            stats.steps.put("minhash_dedup", fuzzy);
        }
        if (spanCut != null) {
            // As in the local write phase: every surviving document goes in, those left with too few words do not come out.
            sentenceStats.docsOut = writeStats.docsOut;
            sentenceStats.bytesOut = writeStats.bytesOut;
            if (sentenceStats.docsIn > sentenceStats.docsOut) sentenceStats.removed.put("too_little_left", sentenceStats.docsIn - sentenceStats.docsOut);
            stats.steps.put("sentence_dedup", sentenceStats);
        }
        stats.steps.put("write", writeStats);
        List<Path> shards = publishShards(output, ranges);
        local.writeRemovedSample(tasks);
        Path statsFile = output.resolve("stats.json");
        Path tmp = statsFile.resolveSibling("stats.json.tmp");
        stats.write(tmp);
        Files.move(tmp, statsFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        for (org.apache.spark.rdd.RDD<?> rdd : cached) rdd.unpersist(false);
        return new Result(stats, shards, tasks, resumed);
    }

    private static java.util.Iterator<DedupKey> documentsPhase(PipelineSource source, int signatureLength,
                                                              java.util.Iterator<Integer> ids) throws IOException {
        LocalExecutor local = source.localExecutor();
        List<DedupKey> out = new ArrayList<>();
        while (ids.hasNext()) {
            int t = ids.next();
            local.runTask(t);
            out.addAll(DedupKey.readAll(local.taskFile(t, "keys"), t, signatureLength));
        }
        return out.iterator();
    }

    private static long[] countAndBytes(JavaRDD<DedupKey> keys) {
        return keys.aggregate(new long[2], (acc, k) -> {
            acc[0]++;
            acc[1] += k.bytes();
            return acc;
        }, (a, b) -> new long[] {a[0] + b[0], a[1] + b[1]});
    }

    /** One LSH bucket: a band and its key (buckets of different bands never merge, as in the local executor). */
    record Bucket(int band, long key) implements Serializable {}

    /** A bucket member: its corpus order and, when candidates are verified, its signature. */
    record Member(long order, int[] signature) implements Serializable {}

    /**
     * Candidate edges (member, member it joins), by {@link MinHashDeduplicator#duplicates}'s rule:
     * members in corpus order; each is joined to the bucket's first member when their estimated
     * Jaccard passes, otherwise to the first earlier member that passes, otherwise to none.
     */
    static JavaPairRDD<Long, Long> minhashEdges(JavaRDD<DedupKey> docs, MinHashDeduplicator.Config config) {
        int bands = config.bands();
        int rows = config.rows();
        double verify = config.verifyJaccard();
        return docs.flatMapToPair(d -> {
                    List<Tuple2<Bucket, Member>> out = new ArrayList<>(bands);
                    Member m = new Member(d.order(), verify > 0 ? d.signature() : null);
                    for (int b = 0; b < bands; b++) out.add(new Tuple2<>(new Bucket(b, MinHashDeduplicator.bandKey(d.signature(), 0, b, rows)), m));
                    return out.iterator();
                })
                .groupByKey()
                .flatMapToPair(bucket -> {
                    List<Member> members = new ArrayList<>();
                    bucket._2().forEach(members::add);
                    List<Tuple2<Long, Long>> edges = new ArrayList<>();
                    if (members.size() < 2) return edges.iterator();
                    members.sort(Comparator.comparingLong(Member::order));
                    for (int m = 1; m < members.size(); m++) {
                        if (verified(members.get(0), members.get(m), verify)) {
                            edges.add(new Tuple2<>(members.get(m).order(), members.get(0).order()));
                            continue;
                        }
                        for (int q = 1; q < m; q++) {
                            if (verified(members.get(q), members.get(m), verify)) {
                                edges.add(new Tuple2<>(members.get(m).order(), members.get(q).order()));
                                break;
                            }
                        }
                    }
                    return edges.iterator();
                });
    }

    private static boolean verified(Member x, Member y, double verify) {
        if (verify <= 0) return true;
        int same = 0;
        int[] a = x.signature();
        int[] b = y.signature();
        for (int i = 0; i < a.length; i++) if (a[i] == b[i]) same++;
        return (double) same / a.length >= verify;
    }

    /** Sends each task to the write range holding it: ranges are contiguous runs of tasks, in order. */
    static final class TaskRanges extends Partitioner {
        private final int ranges;
        private final int tasks;

        TaskRanges(int ranges, int tasks) {
            this.ranges = ranges;
            this.tasks = tasks;
        }

        @Override
        public int numPartitions() {
            return ranges;
        }

        @Override
        public int getPartition(Object task) {
            return (int) ((long) (Integer) task * ranges / tasks);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof TaskRanges r && r.ranges == ranges && r.tasks == tasks;
        }

        @Override
        public int hashCode() {
            return 31 * ranges + tasks;
        }
    }

    /** Sentence dedup's settings, shipped to the executors ({@link SentenceDeduplicator.Config} is not serializable). */
    record SpanCut(int spanSentences, boolean splitLines, int minDocWords) implements Serializable {
        static SpanCut of(SentenceDeduplicator.Config c) {
            return new SpanCut(c.spanSentences(), c.splitLines(), c.minDocWords());
        }

        SentenceDeduplicator deduplicator() {
            return new SentenceDeduplicator(new SentenceDeduplicator.Config(spanSentences, splitLines, minDocWords));
        }
    }

    /** Where a span occurs: its document's corpus order ({@code task << 32 | position}) and its start sentence there. */
    record SpanAt(long order, int span) implements Serializable {
        /** The earlier occurrence: corpus order first, then position in the document (a span repeated within one document keeps its first). */
        static SpanAt earlier(SpanAt a, SpanAt b) {
            if (a.order != b.order) return a.order < b.order ? a : b;
            return a.span <= b.span ? a : b;
        }
    }

    /**
     * The repeated spans, keyed by task: as the local executor's {@code repeatedSpans}, only the
     * documents that survived exact and MinHash dedup take part (a removed document's spans count
     * as no occurrence), and every occurrence of a span hash but the earliest in corpus order is
     * repeated. One shuffle of (hash, occurrence) rows: it is partitioned once, so taking the
     * minimum per hash and joining it back to every occurrence are both narrow.
     */
    private JavaPairRDD<Integer, SpanAt> repeatedSpans(PipelineSource definition, int tasks, JavaPairRDD<Integer, Integer> removedByTask) {
        int partitions = Math.max(1, spark.defaultParallelism());
        JavaPairRDD<Long, SpanAt> occurrences = spark.parallelize(IntStream.range(0, tasks).boxed().toList(), Math.max(1, Math.min(tasks, partitions)))
                .mapToPair(t -> new Tuple2<>(t, -1))
                .cogroup(removedByTask, new HashPartitioner(Math.max(1, Math.min(tasks, partitions))))
                .flatMapToPair(task -> spanOccurrences(definition, task._1(), sortedPositions(task._2()._2())).iterator())
                .partitionBy(new HashPartitioner(partitions));
        JavaPairRDD<Long, SpanAt> firsts = occurrences.reduceByKey(SpanAt::earlier);
        return occurrences.join(firsts)
                .filter(o -> !o._2()._1().equals(o._2()._2()))
                .mapToPair(o -> new Tuple2<>(DedupKey.task(o._2()._1().order()), o._2()._1()));
    }

    /** The (hash, occurrence) rows of one task's surviving documents, from its {@code task-N.spans} (per document: count, then the hashes). */
    private static List<Tuple2<Long, SpanAt>> spanOccurrences(PipelineSource definition, int task, int[] gone) throws IOException {
        List<Tuple2<Long, SpanAt>> out = new ArrayList<>();
        LocalExecutor local = definition.localExecutor();
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(local.taskFile(task, "spans")), 1 << 16))) {
            int next = 0;
            for (int position = 0; ; position++) {
                int n;
                try {
                    n = in.readInt();
                } catch (EOFException e) {
                    break;
                }
                boolean alive = true;
                if (next < gone.length && gone[next] == position) {
                    next++;
                    alive = false;
                }
                if (!alive) {
                    in.skipNBytes(8L * n);
                    continue;
                }
                long order = (long) task << 32 | position;
                for (int i = 0; i < n; i++) out.add(new Tuple2<>(in.readLong(), new SpanAt(order, i)));
            }
        }
        return out;
    }

    /**
     * One write range's shards (in order, under its own attempt directory) and what it wrote;
     * {@code survivingDocs/Bytes} is what reached it after dedup, before the sentence cut.
     */
    record WrittenRange(int range, List<String> shards, long docs, long bytes, long survivingDocs, long survivingBytes) implements Serializable {}

    private WrittenRange[] write(PipelineSource definition, Path output, long shardBytes, int tasks, int signatureLength,
                                 JavaPairRDD<Integer, Integer> removedByTask, JavaPairRDD<Integer, SpanAt> repeatedSpans, SpanCut spanCut,
                                 JavaRDD<DedupKey> survivors) throws IOException {
        if (tasks == 0) return new WrittenRange[0];
        // About one shard's worth of text per range, at most a few ranges per core.
        long[] kept = countAndBytes(survivors);
        int ranges = (int) Math.clamp((kept[1] + shardBytes - 1) / shardBytes, 1, Math.min(tasks, 4L * spark.defaultParallelism()));
        Path scratch = output.resolve(".work").resolve("spark-write");
        deleteTree(scratch);
        String scratchDir = scratch.toString();
        JavaPairRDD<Integer, SpanAt> repeats = repeatedSpans != null ? repeatedSpans : JavaPairRDD.fromJavaRDD(spark.<Tuple2<Integer, SpanAt>>emptyRDD());
        JavaPairRDD<Integer, Integer> allTasks = spark.parallelize(IntStream.range(0, tasks).boxed().toList(), Math.min(tasks, spark.defaultParallelism()))
                .mapToPair(t -> new Tuple2<>(t, -1));
        List<WrittenRange> written = allTasks.cogroup(removedByTask, repeats, new TaskRanges(ranges, tasks))
                .mapPartitionsWithIndex((range, it) -> List.of(writeRange(range, it, definition, scratchDir, shardBytes, signatureLength, spanCut)).iterator(), true)
                .collect();
        return written.stream().sorted(Comparator.comparingInt(WrittenRange::range)).toArray(WrittenRange[]::new);
    }

    /** A task in a write range: the positions dedup removed, and the repeated span starts per surviving position. */
    private record TaskToWrite(int task, int[] removed, Map<Integer, BitSet> repeatedSpans) {}

    private static WrittenRange writeRange(int range, java.util.Iterator<Tuple2<Integer, Tuple3<Iterable<Integer>, Iterable<Integer>, Iterable<SpanAt>>>> it,
                                           PipelineSource definition, String scratchDir, long shardBytes, int signatureLength,
                                           SpanCut spanCut) throws IOException {
        List<TaskToWrite> tasks = new ArrayList<>();
        while (it.hasNext()) {
            var task = it.next();
            Map<Integer, BitSet> repeated = new HashMap<>();
            for (SpanAt s : task._2()._3()) repeated.computeIfAbsent(DedupKey.position(s.order()), p -> new BitSet()).set(s.span());
            tasks.add(new TaskToWrite(task._1(), sortedPositions(task._2()._2()), repeated));
        }
        tasks.sort(Comparator.comparingInt(TaskToWrite::task));
        SentenceDeduplicator sentences = spanCut == null ? null : spanCut.deduplicator();
        // Each attempt writes into its own directory: a failed or duplicate attempt never touches the one whose result the driver takes.
        Path dir = Path.of(scratchDir, String.format("range-%05d-attempt-%d", range, TaskContext.get().attemptNumber()));
        deleteTree(dir);
        long docs = 0;
        long bytes = 0;
        long survivingDocs = 0;
        long survivingBytes = 0;
        List<String> shards = new ArrayList<>();
        ShardWriter writer = new ShardWriter(dir, shardBytes);
        try {
            for (TaskToWrite task : tasks) {
                LocalExecutor local = definition.localExecutor();
                int[] gone = task.removed();
                try (BufferedReader lines = new BufferedReader(new InputStreamReader(new ZstdInputStream(
                             new BufferedInputStream(Files.newInputStream(local.taskFile(task.task(), "jsonl.zst")), 1 << 16)), StandardCharsets.UTF_8), 1 << 16);
                     DataInputStream keys = new DataInputStream(new BufferedInputStream(Files.newInputStream(local.taskFile(task.task(), "keys")), 1 << 16))) {
                    String line;
                    int next = 0;
                    for (int position = 0; (line = lines.readLine()) != null; position++) {
                        keys.skipNBytes(16);
                        long size = keys.readLong();
                        keys.skipNBytes(4L * signatureLength);
                        if (next < gone.length && gone[next] == position) {
                            next++;
                            continue;
                        }
                        Document doc = parseLine(line);
                        survivingDocs++;
                        survivingBytes += size;
                        BitSet repeated = task.repeatedSpans().get(position);
                        if (sentences != null && repeated != null) {
                            // The local write phase's cut: the sentences of repeated spans go, too little left drops the document.
                            String kept = sentences.removeRepeated(doc.text(), repeated);
                            if (kept == null) continue;
                            doc = doc.withText(kept);
                            size = LocalExecutor.utf8Length(kept);
                        }
                        writer.write(doc);
                        docs++;
                        bytes += size;
                    }
                }
            }
        } finally {
            writer.close();
        }
        for (Path p : writer.shards()) shards.add(p.toString());
        return new WrittenRange(range, shards, docs, bytes, survivingDocs, survivingBytes);
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    /** A task output line (our own {@code {"id","text","meta"}} JSON) back to a document. */
    @SuppressWarnings("unchecked")
    private static Document parseLine(String line) throws IOException {
        Map<String, Object> m = JSON.readValue(line, Map.class);
        return new Document((String) m.get("id"), (String) m.get("text"), (Map<String, Object>) m.get("meta"));
    }

    /** Replaces the output's shards with the ranges' shards, numbered in range order. */
    private static List<Path> publishShards(Path output, WrittenRange[] ranges) throws IOException {
        try (Stream<Path> old = Files.list(output)) {
            for (Path p : old.filter(p -> p.getFileName().toString().startsWith("shard-")).toList()) Files.delete(p);
        }
        Files.deleteIfExists(output.resolve("stats.json"));
        List<Path> shards = new ArrayList<>();
        for (WrittenRange r : ranges) {
            for (String s : r.shards()) {
                Path target = output.resolve(String.format("shard-%05d.jsonl.zst", shards.size()));
                Files.move(Path.of(s), target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                shards.add(target);
            }
        }
        deleteTree(output.resolve(".work").resolve("spark-write"));
        return shards;
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) return;
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    static int[] sortedPositions(Iterable<Integer> positions) {
        List<Integer> list = new ArrayList<>();
        positions.forEach(list::add);
        int[] a = list.stream().mapToInt(Integer::intValue).toArray();
        Arrays.sort(a);
        return a;
    }
}
