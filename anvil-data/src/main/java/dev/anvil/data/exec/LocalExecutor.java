package dev.anvil.data.exec;

import com.github.luben.zstd.ZstdInputStream;
import com.github.luben.zstd.ZstdOutputStream;
import dev.anvil.core.compute.ComputePool;
import dev.anvil.data.Document;
import dev.anvil.data.DocumentStep;
import dev.anvil.data.dedup.ExactDeduplicator;
import dev.anvil.data.dedup.LongHashSet;
import dev.anvil.data.dedup.MinHashDeduplicator;
import dev.anvil.data.dedup.SentenceDeduplicator;
import dev.anvil.data.dedup.TextHashes;
import dev.anvil.data.pipeline.Pipeline;
import dev.anvil.data.read.CompressedInput;
import dev.anvil.data.read.DamagedInputException;
import dev.anvil.data.read.DocumentReader;
import dev.anvil.data.read.FormatDetector;
import dev.anvil.data.read.InputFiles;
import dev.anvil.data.read.InputFiles.InputFile;
import dev.anvil.data.read.ParquetReader;
import dev.anvil.data.read.SplittableReader;
import dev.anvil.data.stats.BadInput;
import dev.anvil.data.stats.PipelineStats;
import dev.anvil.data.stats.StepStats;
import dev.anvil.data.write.ShardWriter;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * Runs a {@link Pipeline} on this machine in three resumable phases, all state under
 * {@code OUTPUT/.work}:
 *
 * <ol>
 *   <li><b>documents</b> — one task per input file, or per part of a large line-based file (see
 *       {@link TaskPlan}, saved as {@code plan.json}), in parallel on a dedicated {@link ComputePool}:
 *       read (streaming), apply the per-document steps, write the survivors to
 *       {@code task-N.jsonl.zst}, their dedup keys (content hash, MinHash signature) to
 *       {@code task-N.keys} and their sentence-span hashes to {@code task-N.spans}; then
 *       {@code task-N.done} marks the task complete. A restarted run skips completed tasks and
 *       redoes the rest from scratch.</li>
 *   <li><b>dedup</b> — reads only the keys (16 bytes + 4 per minhash per document), in task
 *       order, and decides which documents are exact or fuzzy duplicates; then, for sentence
 *       dedup, walks the span hashes of the surviving documents in the same order and records
 *       which spans were seen before; the decisions are saved with a marker.</li>
 *   <li><b>write</b> — streams the task outputs in task order, skipping duplicates and cutting
 *       repeated spans, into bounded shards, then writes {@code stats.json}. Shards are rewritten
 *       whole on a restart.</li>
 * </ol>
 *
 * Since tasks are processed and concatenated in a fixed order and every step is deterministic,
 * the output does not depend on thread timing or on where a run was interrupted.
 */
public final class LocalExecutor {
    /** Progress reports: {@code phase} is "documents", "dedup" or "write"; totals are bytes or documents. */
    public interface Progress {
        void update(String phase, long done, long total);

        default void finish() {}

        Progress NONE = (phase, done, total) -> {};
    }

    /** What a run produced. */
    public record Result(PipelineStats stats, List<Path> shards, int tasks, int tasksResumed) {}

    /** Removed documents kept for inspection, per step and reason (per task, then across the run). */
    static final int REMOVED_SAMPLES_PER_REASON = 5;
    private static final String[] TASK_OUTPUTS = {"jsonl.zst", "keys", "spans", "stats.json", "removed.jsonl"};

    private final Pipeline pipeline;
    private final Progress progress;
    private final Path workDir;

    public LocalExecutor(Pipeline pipeline, Progress progress) {
        this.pipeline = pipeline;
        this.progress = progress == null ? Progress.NONE : progress;
        this.workDir = pipeline.output().resolve(".work");
    }

    public Result run() throws IOException {
        Files.createDirectories(workDir);
        List<TaskPlan.Task> files = plan().tasks();
        int threads = pipeline.threads() > 0 ? pipeline.threads() : Runtime.getRuntime().availableProcessors();
        long totalBytes = 0;
        for (TaskPlan.Task f : files) totalBytes += f.bytes();

        // Phase 1: per-file tasks.
        AtomicLong doneBytes = new AtomicLong();
        int resumed = 0;
        List<Integer> pending = new ArrayList<>();
        for (int t = 0; t < files.size(); t++) {
            if (Files.exists(taskFile(t, "done"))) {
                resumed++;
                doneBytes.addAndGet(files.get(t).bytes());
            } else {
                pending.add(t);
            }
        }
        final long total = totalBytes;
        try (ComputePool pool = ComputePool.create(Math.max(1, Math.min(threads, pending.size())))) {
            pool.run(pending.size(), i -> {
                try {
                    processTask(pending.get(i), files.get(pending.get(i)), doneBytes, total);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        progress.update("documents", total, total);
        progress.finish();

        PipelineStats stats = new PipelineStats();
        for (int t = 0; t < files.size(); t++) stats.add(PipelineStats.read(taskFile(t, "stats.json")));

        // Phase 2: corpus-wide dedup decisions.
        BitSet removed = new BitSet();
        Path sentenceDecision = workDir.resolve("dedup.sentences");
        if (pipeline.exactDedup() || pipeline.minhash() != null || pipeline.sentenceDedup() != null) {
            Path decision = workDir.resolve("dedup.removed");
            Path dedupStats = workDir.resolve("dedup.stats.json");
            Path marker = workDir.resolve("dedup.done");
            if (!Files.exists(marker)) {
                PipelineStats ds = new PipelineStats();
                BitSet r = dedup(files.size(), ds);
                writeAtomically(decision, out -> out.write(r.toByteArray()));
                if (pipeline.sentenceDedup() != null) {
                    writeAtomically(sentenceDecision, out -> repeatedSpans(files.size(), r, new DataOutputStream(new BufferedOutputStream(out, 1 << 16))));
                }
                ds.write(tmp(dedupStats));
                Files.move(tmp(dedupStats), dedupStats, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                writeAtomically(marker, out -> {});
            }
            removed = BitSet.valueOf(Files.readAllBytes(decision));
            PipelineStats ds = PipelineStats.read(dedupStats);
            ds.steps.forEach((name, s) -> stats.step(name).add(s));
        }

        // Phase 3: shards.
        try (Stream<Path> old = Files.list(pipeline.output())) {
            for (Path p : old.filter(p -> p.getFileName().toString().startsWith("shard-")).toList()) Files.delete(p);
        }
        Files.deleteIfExists(pipeline.output().resolve("stats.json"));
        SentenceDeduplicator sentences = pipeline.sentenceDedup() == null ? null : new SentenceDeduplicator(pipeline.sentenceDedup());
        StepStats sentenceStats = sentences == null ? null : stats.step("sentence_dedup");
        StepStats writeStats = stats.step("write");
        List<Path> shards;
        try (ShardWriter writer = new ShardWriter(pipeline.output(), pipeline.shardBytes());
             SpanDecisions repeats = sentences == null ? SpanDecisions.NONE : new SpanDecisions(sentenceDecision)) {
            int global = 0;
            for (int t = 0; t < files.size(); t++) {
                try (InputStream in = new ZstdInputStream(new BufferedInputStream(Files.newInputStream(taskFile(t, "jsonl.zst")), 1 << 16));
                     var lines = new java.io.BufferedReader(new java.io.InputStreamReader(in, StandardCharsets.UTF_8), 1 << 16)) {
                    String line;
                    while ((line = lines.readLine()) != null) {
                        if (!removed.get(global)) {
                            Document doc = parseLine(line);
                            if (sentences != null) {
                                long before = utf8Length(doc.text());
                                sentenceStats.in(before);
                                BitSet spans = repeats.spansOf(global);
                                String kept = spans == null ? doc.text() : sentences.removeRepeated(doc.text(), spans);
                                if (kept == null) {
                                    sentenceStats.removed("too_little_left");
                                    global++;
                                    continue;
                                }
                                doc = doc.withText(kept);
                                sentenceStats.out(utf8Length(kept));
                            }
                            writer.write(doc);
                            long bytes = utf8Length(doc.text());
                            writeStats.in(bytes);
                            writeStats.out(bytes);
                        }
                        global++;
                    }
                }
                progress.update("write", t + 1, files.size());
            }
            writer.close();
            shards = writer.shards();
        }
        progress.finish();
        writeRemovedSample(files.size());
        Path statsFile = pipeline.output().resolve("stats.json");
        stats.write(tmp(statsFile));
        Files.move(tmp(statsFile), statsFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return new Result(stats, shards, files.size(), resumed);
    }

    private volatile TaskPlan plan;

    /**
     * The saved task plan, or a new one (saved before any task runs, so that a resumed run — and
     * every Spark executor reading the same output directory — cuts files the same way).
     */
    private TaskPlan plan() throws IOException {
        Path saved = workDir.resolve("plan.json");
        TaskPlan p = plan;
        if (p != null && Files.exists(saved)) return p; // the saved file is the truth: a wiped output directory plans afresh
        if (Files.exists(saved)) return plan = TaskPlan.load(saved);
        Files.createDirectories(workDir);
        p = TaskPlan.make(InputFiles.list(pipeline.inputs(), pipeline.output()), pipeline.reader(), pipeline.taskBytes());
        p.save(tmp(saved));
        Files.move(tmp(saved), saved, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return plan = p;
    }

    /** How many tasks {@link #run} would run (saving the plan); for executors that schedule the tasks themselves (anvil-spark). */
    public int taskCount() throws IOException {
        return plan().tasks().size();
    }

    /**
     * Runs the per-document phase of task {@code t} unless its completion marker exists, leaving
     * {@code task-N.*} under {@code OUTPUT/.work} exactly as {@link #run} does. For executors that
     * schedule the tasks themselves (anvil-spark); the driver calls {@link #taskCount} first, so
     * the plan every executor reads is the one saved by the driver.
     */
    public void runTask(int t) throws IOException {
        Files.createDirectories(workDir);
        TaskPlan.Task task = plan().tasks().get(t);
        if (!Files.exists(taskFile(t, "done"))) processTask(t, task, new AtomicLong(), task.bytes());
    }

    private void processTask(int t, TaskPlan.Task file, AtomicLong doneBytes, long totalBytes) throws IOException {
        for (String suffix : TASK_OUTPUTS) Files.deleteIfExists(tmp(taskFile(t, suffix)));
        PipelineStats stats = new PipelineStats();
        stats.files = file.start() == 0 ? 1 : 0; // a file read in parts counts once
        long size = file.bytes();
        stats.inputBytes = size;
        StepStats readStats = stats.step("read");
        List<StepStats> stepStats = new ArrayList<>();
        for (DocumentStep s : pipeline.steps()) stepStats.add(stats.step(s.name()));
        MinHashDeduplicator minhash = pipeline.minhash() == null ? null : new MinHashDeduplicator(pipeline.minhash());
        SentenceDeduplicator sentences = pipeline.sentenceDedup() == null ? null : new SentenceDeduplicator(pipeline.sentenceDedup());
        long[] lastReported = {0};

        try (OutputStream docsOut = new BufferedOutputStream(new ZstdOutputStream(Files.newOutputStream(tmp(taskFile(t, "jsonl.zst"))), 3), 1 << 16);
             DataOutputStream keysOut = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(tmp(taskFile(t, "keys"))), 1 << 16));
             DataOutputStream spansOut = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(tmp(taskFile(t, "spans"))), 1 << 16));
             OutputStream removedOut = new BufferedOutputStream(Files.newOutputStream(tmp(taskFile(t, "removed.jsonl"))))) {
            java.util.Map<String, Integer> sampled = new java.util.HashMap<>();
            java.util.function.Consumer<Document> sink = doc -> {
                Document current = doc;
                long bytes = utf8Length(current.text());
                readStats.in(bytes);
                readStats.out(bytes);
                for (int i = 0; i < pipeline.steps().size() && current != null; i++) {
                    StepStats ss = stepStats.get(i);
                    ss.in(bytes);
                    DocumentStep.StepResult r = pipeline.steps().get(i).apply(current);
                    if (r.kept()) {
                        current = r.document();
                        bytes = utf8Length(current.text());
                        ss.out(bytes);
                    } else {
                        ss.removed(r.removalReason());
                        String key = pipeline.steps().get(i).name() + "/" + r.removalReason();
                        if (sampled.merge(key, 1, Integer::sum) <= REMOVED_SAMPLES_PER_REASON) {
                            try {
                                removedOut.write(removedLine(pipeline.steps().get(i).name(), r.removalReason(), current));
                            } catch (IOException e) {
                                throw new UncheckedIOException(e);
                            }
                        }
                        current = null;
                    }
                }
                if (current == null) return;
                try {
                    docsOut.write(ShardWriter.jsonLine(current));
                    TextHashes.ContentKey key = TextHashes.contentKey(current.text());
                    keysOut.writeLong(key.high());
                    keysOut.writeLong(key.low());
                    keysOut.writeLong(bytes);
                    if (minhash != null) for (int v : minhash.signatureOf(current.text())) keysOut.writeInt(v);
                    if (sentences != null) {
                        long[] spans = sentences.spanHashes(current.text());
                        spansOut.writeInt(spans.length);
                        for (long h : spans) spansOut.writeLong(h);
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            };
            readFile(file, ownCode(sink), stats.badInput::add, n -> {
                long delta = n - lastReported[0];
                lastReported[0] = n;
                try {
                    progress.update("documents", doneBytes.addAndGet(delta), totalBytes);
                } catch (RuntimeException e) {
                    throw new PipelineFailure(e);
                }
            });
        }
        doneBytes.addAndGet(size - lastReported[0]);
        progress.update("documents", doneBytes.get(), totalBytes);
        stats.write(tmp(taskFile(t, "stats.json")));
        for (String suffix : TASK_OUTPUTS) {
            Files.move(tmp(taskFile(t, suffix)), taskFile(t, suffix), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        }
        writeAtomically(taskFile(t, "done"), out -> out.write(file.file().source().getBytes(StandardCharsets.UTF_8)));
    }

    /** Reads one file or part of one, turning every way it can fail into counted bad input. */
    private void readFile(TaskPlan.Task task, java.util.function.Consumer<Document> sink, java.util.function.Consumer<BadInput> bad,
                          java.util.function.LongConsumer rawBytesRead) {
        InputFile file = task.file();
        String source = file.source();
        if (!Files.isRegularFile(file.path()) || !Files.isReadable(file.path())) {
            bad.accept(new BadInput(source, 0, "unreadable file (missing, not a regular file, or no permission)"));
            return;
        }
        try {
            DocumentReader reader = pipeline.reader().readerFor(FormatDetector.detect(file.path()));
            if (!task.whole()) {
                // A part of an uncompressed line-based file: exactly its bytes, no decompression sniffing mid-file.
                try (java.nio.channels.SeekableByteChannel ch = Files.newByteChannel(file.path())) {
                    ch.position(task.start());
                    InputStream part = new BoundedInputStream(java.nio.channels.Channels.newInputStream(ch), task.end() - task.start());
                    ((SplittableReader) reader).read(new BufferedInputStream(new CountingInputStream(part, rawBytesRead), 1 << 16),
                            source, task.firstLine(), sink, bad);
                }
            } else if (reader instanceof ParquetReader parquet && !CompressedInput.isCompressed(file.path())) {
                parquet.read(file.path(), source, sink, bad);
            } else {
                try (InputStream in = CompressedInput.open(new CountingInputStream(Files.newInputStream(file.path()), rawBytesRead))) {
                    reader.read(in, source, sink, bad);
                }
            }
        } catch (DamagedInputException e) {
            bad.accept(new BadInput(source, e.line(), "damaged input, rest of file skipped: "
                    + (e.getCause().getMessage() != null ? e.getCause().getMessage() : e.getCause().getClass().getSimpleName())));
        } catch (EOFException e) {
            bad.accept(new BadInput(source, 0, "truncated input, rest of file skipped: " + e.getMessage()));
        } catch (IOException e) {
            bad.accept(new BadInput(source, 0, "unreadable, rest of file skipped: " + e));
        } catch (PipelineFailure e) {
            // A step, our own output or the caller failed: that is not a problem of the input.
            throw e.getCause() instanceof RuntimeException re ? re : e;
        } catch (RuntimeException e) {
            bad.accept(new BadInput(source, 0, "could not parse, rest of file skipped: " + e));
        }
    }

    private static byte[] removedLine(String step, String reason, Document doc) {
        java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("step", step);
        m.put("reason", reason);
        m.put("id", doc.id());
        m.put("text", doc.text().length() > 2000 ? doc.text().substring(0, 2000) : doc.text());
        try {
            return (JSON.writeValueAsString(m) + "\n").getBytes(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code removed-sample.jsonl}: up to {@link #REMOVED_SAMPLES_PER_REASON} removed documents per step and reason, in task order. */
    public void writeRemovedSample(int tasks) throws IOException {
        java.util.Map<String, Integer> taken = new java.util.HashMap<>();
        writeAtomically(pipeline.output().resolve("removed-sample.jsonl"), out -> {
            for (int t = 0; t < tasks; t++) {
                for (String line : Files.readAllLines(taskFile(t, "removed.jsonl"), StandardCharsets.UTF_8)) {
                    @SuppressWarnings("unchecked")
                    java.util.Map<String, Object> m = JSON.readValue(line, java.util.Map.class);
                    if (taken.merge(m.get("step") + "/" + m.get("reason"), 1, Integer::sum) <= REMOVED_SAMPLES_PER_REASON) {
                        out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
                    }
                }
            }
        });
    }

    /** Wraps a failure of the pipeline's own code (steps, output, progress) so that it is not mistaken for bad input. */
    private static final class PipelineFailure extends RuntimeException {
        PipelineFailure(RuntimeException cause) {
            super(cause);
        }
    }

    private static java.util.function.Consumer<Document> ownCode(java.util.function.Consumer<Document> sink) {
        return doc -> {
            try {
                sink.accept(doc);
            } catch (RuntimeException e) {
                throw new PipelineFailure(e);
            }
        };
    }

    private BitSet dedup(int tasks, PipelineStats ds) throws IOException {
        BitSet removed = new BitSet();
        ExactDeduplicator exact = pipeline.exactDedup() ? new ExactDeduplicator() : null;
        MinHashDeduplicator minhash = pipeline.minhash() == null ? null : new MinHashDeduplicator(pipeline.minhash());
        int k = minhash == null ? 0 : pipeline.minhash().bands() * pipeline.minhash().rows();
        StepStats exactStats = exact == null ? null : ds.step("exact_dedup");
        StepStats fuzzyStats = minhash == null ? null : ds.step("minhash_dedup");
        List<Integer> minhashToGlobal = new ArrayList<>();
        List<Long> minhashBytes = new ArrayList<>();
        int global = 0;
        for (int t = 0; t < tasks; t++) {
            Path keys = taskFile(t, "keys");
            long records = Files.size(keys) / (24 + 4L * k);
            try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(keys), 1 << 16))) {
                int[] sig = new int[k];
                for (long r = 0; r < records; r++, global++) {
                    TextHashes.ContentKey key = new TextHashes.ContentKey(in.readLong(), in.readLong());
                    long bytes = in.readLong();
                    for (int i = 0; i < k; i++) sig[i] = in.readInt();
                    if (exact != null) {
                        exactStats.in(bytes);
                        if (exact.isDuplicate(key)) {
                            exactStats.removed("exact_duplicate");
                            removed.set(global);
                            continue;
                        }
                        exactStats.out(bytes);
                    }
                    if (minhash != null) {
                        minhash.addSignature(sig);
                        minhashToGlobal.add(global);
                        minhashBytes.add(bytes);
                    }
                }
            }
            progress.update("dedup", t + 1, tasks);
        }
        if (minhash != null) {
            MinHashDeduplicator.Clusters clusters = minhash.clusters();
            BitSet fuzzy = clusters.duplicates();
            fuzzyStats.clusters = clusters.count();
            for (int i = 0; i < minhashToGlobal.size(); i++) {
                long bytes = minhashBytes.get(i);
                fuzzyStats.in(bytes);
                if (fuzzy.get(i)) {
                    fuzzyStats.removed("near_duplicate");
                    removed.set(minhashToGlobal.get(i));
                } else {
                    fuzzyStats.out(bytes);
                }
            }
        }
        progress.finish();
        return removed;
    }

    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

    /** A task output line (our own {@code {"id","text","meta"}} JSON) back to a document. */
    @SuppressWarnings("unchecked")
    private static Document parseLine(String line) throws IOException {
        java.util.Map<String, Object> m = JSON.readValue(line, java.util.Map.class);
        return new Document((String) m.get("id"), (String) m.get("text"), (java.util.Map<String, Object>) m.get("meta"));
    }

    /** {@code OUTPUT/.work/task-N.SUFFIX}: {@code jsonl.zst} (survivors), {@code keys} (dedup keys), {@code stats.json}, {@code removed.jsonl}, {@code done}. */
    public Path taskFile(int t, String suffix) {
        return workDir.resolve(String.format("task-%06d.%s", t, suffix));
    }

    private static Path tmp(Path p) {
        return p.resolveSibling(p.getFileName() + ".tmp");
    }

    private interface Writing {
        void write(OutputStream out) throws IOException;
    }

    private static void writeAtomically(Path target, Writing body) throws IOException {
        Path tmp = tmp(target);
        try (OutputStream out = Files.newOutputStream(tmp)) {
            body.write(out);
        }
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    public static long utf8Length(String s) {
        long n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) n++;
            else if (c < 0x800) n += 2;
            else if (Character.isHighSurrogate(c)) { n += 4; i++; }
            else n += 3;
        }
        return n;
    }

    /** At most {@code remaining} bytes of the underlying stream. */
    private static final class BoundedInputStream extends FilterInputStream {
        private long remaining;

        BoundedInputStream(InputStream in, long remaining) {
            super(in);
            this.remaining = remaining;
        }

        @Override
        public int read() throws IOException {
            if (remaining <= 0) return -1;
            int b = super.read();
            if (b >= 0) remaining--;
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (remaining <= 0) return -1;
            int n = super.read(b, off, (int) Math.min(len, remaining));
            if (n > 0) remaining -= n;
            return n;
        }
    }

    /**
     * Sentence dedup, second pass: the span hashes of the documents that survived exact and MinHash
     * dedup, in corpus order; a span whose hash was seen before is repeated. Writes, for each
     * document with repeated spans, {@code (document index, count, span starts...)}.
     */
    private void repeatedSpans(int tasks, BitSet removedDocs, DataOutputStream out) throws IOException {
        LongHashSet seen = new LongHashSet();
        int global = 0;
        for (int t = 0; t < tasks; t++) {
            try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(taskFile(t, "spans")), 1 << 16))) {
                while (true) {
                    int n;
                    try {
                        n = in.readInt();
                    } catch (EOFException e) {
                        break;
                    }
                    boolean alive = !removedDocs.get(global);
                    List<Integer> repeated = new ArrayList<>();
                    for (int i = 0; i < n; i++) {
                        long h = in.readLong();
                        if (alive && !seen.add(h)) repeated.add(i);
                    }
                    if (!repeated.isEmpty()) {
                        out.writeInt(global);
                        out.writeInt(repeated.size());
                        for (int i : repeated) out.writeInt(i);
                    }
                    global++;
                }
            }
            progress.update("dedup", t + 1, tasks);
        }
        out.flush();
    }

    /** Reads the repeated-span decisions back in document order. */
    private static class SpanDecisions implements AutoCloseable {
        static final SpanDecisions NONE = new SpanDecisions();
        private final DataInputStream in;
        private int nextDoc = -1;

        private SpanDecisions() {
            in = null;
        }

        SpanDecisions(Path file) throws IOException {
            in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 16));
            advance();
        }

        private void advance() throws IOException {
            try {
                nextDoc = in.readInt();
            } catch (EOFException e) {
                nextDoc = Integer.MAX_VALUE;
            }
        }

        /** The repeated span starts of document {@code global} (asked in increasing order), or null when it has none. */
        BitSet spansOf(int global) throws IOException {
            if (in == null || nextDoc != global) return null;
            BitSet spans = new BitSet();
            int n = in.readInt();
            for (int i = 0; i < n; i++) spans.set(in.readInt());
            advance();
            return spans;
        }

        @Override
        public void close() throws IOException {
            if (in != null) in.close();
        }
    }

    /** Counts raw (compressed) bytes read, for the progress bar. */
    private static final class CountingInputStream extends FilterInputStream {
        private final java.util.function.LongConsumer report;
        private long count;

        CountingInputStream(InputStream in, java.util.function.LongConsumer report) {
            super(in);
            this.report = report;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) report.accept(++count);
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) report.accept(count += n);
            return n;
        }
    }
}
