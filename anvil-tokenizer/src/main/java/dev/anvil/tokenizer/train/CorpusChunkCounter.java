package dev.anvil.tokenizer.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.anvil.tokenizer.pretokenize.PreTokenizer;
import dev.anvil.tokenizer.pretokenize.SafeCuts;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongConsumer;
import java.util.zip.GZIPInputStream;

/**
 * Streams a corpus through the pre-tokenizer on a dedicated pool of worker threads and counts the
 * distinct chunks. The reader hands out blocks of a few MB cut at {@link SafeCuts} (after a letter, before a
 * character that cannot continue a piece holding it), where the built-in patterns give the pieces of the whole,
 * so the counts equal those of pre-tokenizing each document whole; each worker counts into its own table and the
 * tables are summed at the end. At most two blocks per thread are in flight, so memory is bounded by the
 * distinct chunks, not the corpus size. A custom regex has no argued cut, so its blocks are cut at blank lines
 * (where plain text's documents end); the cuts depend on the text only, never on the thread count.
 *
 * <p>Documents: a {@code .jsonl} line's {@code "text"}, or in plain text the stretches separated by a blank
 * line. With a document cap only the first {@code cap} bytes of each document are counted (as nanochat's
 * tokenizer training caps documents), which keeps one huge document from dominating the statistics.
 */
public final class CorpusChunkCounter implements AutoCloseable {
    private static final int DEFAULT_BLOCK_BYTES = 4 << 20;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final PreTokenizer preTokenizer;
    private final int documentCapBytes;
    private final int blockBytes;
    private final ExecutorService pool;
    private final Semaphore inFlight;
    private final List<Future<?>> pending = new ArrayList<>();
    private final ConcurrentLinkedQueue<ChunkCounts> perThread = new ConcurrentLinkedQueue<>();
    private final ThreadLocal<ChunkCounts> local;
    private final AtomicReference<Throwable> failure = new AtomicReference<>();

    /** @param documentCapBytes 0 for no cap */
    public CorpusChunkCounter(PreTokenizer preTokenizer, int threads, int documentCapBytes) {
        this(preTokenizer, threads, documentCapBytes, DEFAULT_BLOCK_BYTES);
    }

    /** @param blockBytes the size of the blocks handed to the workers (tests use tiny blocks to cut often) */
    CorpusChunkCounter(PreTokenizer preTokenizer, int threads, int documentCapBytes, int blockBytes) {
        if (blockBytes < 16) throw new IllegalArgumentException("blocks must be at least 16 bytes, got " + blockBytes);
        this.blockBytes = blockBytes;
        if (threads < 1) throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        if (documentCapBytes < 0) throw new IllegalArgumentException("document cap must be ≥ 0, got " + documentCapBytes);
        this.preTokenizer = preTokenizer;
        this.documentCapBytes = documentCapBytes;
        AtomicInteger n = new AtomicInteger();
        this.pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "anvil-tokenizer-count-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.inFlight = new Semaphore(2 * threads);
        this.local = ThreadLocal.withInitial(() -> {
            ChunkCounts c = new ChunkCounts();
            perThread.add(c);
            return c;
        });
    }

    /** Counts a file: {@code .jsonl} (one JSON object with "text" per line) or plain UTF-8 text; {@code .gz} is unpacked. */
    public void addFile(Path file, LongConsumer bytesRead) throws IOException {
        String name = file.getFileName().toString();
        try (InputStream raw = new CountingStream(Files.newInputStream(file), bytesRead);
             InputStream in = name.endsWith(".gz") ? new GZIPInputStream(raw, 1 << 16) : raw) {
            if (name.endsWith(".jsonl") || name.endsWith(".jsonl.gz")) addJsonLines(in, file.toString());
            else addPlainText(in);
        }
    }

    /** Counts plain UTF-8 text from a stream. */
    public void addPlainText(InputStream in) throws IOException {
        byte[] buf = new byte[blockBytes];
        int filled = 0;
        while (true) {
            int r = in.readNBytes(buf, filled, buf.length - filled);
            filled += r;
            boolean eof = filled < buf.length;
            if (eof) {
                if (filled > 0) submit(Arrays.copyOf(buf, filled), filled);
                return;
            }
            int cut = lastCut(buf, filled);
            if (cut <= 0) { // no safe place in the whole buffer: grow it (up to 256 MB), then cut at a character boundary
                if (buf.length < (256 << 20)) {
                    buf = Arrays.copyOf(buf, buf.length * 2);
                    continue;
                }
                cut = filled;
                while (cut > 0 && (buf[cut] & 0xC0) == 0x80) cut--;
            }
            byte[] block = Arrays.copyOf(buf, cut);
            submit(block, cut);
            System.arraycopy(buf, cut, buf, 0, filled - cut);
            filled -= cut;
        }
    }

    /** Counts one document (its pre-tokens never join those of other documents). */
    public void addDocument(byte[] utf8) {
        submitDocuments(List.of(utf8));
    }

    private void addJsonLines(InputStream in, String source) throws IOException {
        BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8), 1 << 16);
        List<byte[]> batch = new ArrayList<>();
        long batchBytes = 0;
        String line;
        int lineNo = 0;
        while ((line = r.readLine()) != null) {
            lineNo++;
            if (line.isBlank()) continue;
            JsonNode node;
            try {
                node = JSON.readTree(line);
            } catch (IOException e) {
                throw new IOException(source + ", line " + lineNo + ": not valid JSON: " + e.getMessage(), e);
            }
            JsonNode text = node.get("text");
            if (text == null || !text.isTextual()) throw new IOException(source + ", line " + lineNo + ": no string field \"text\"");
            byte[] doc = text.asText().getBytes(StandardCharsets.UTF_8);
            batch.add(doc);
            batchBytes += doc.length;
            if (batchBytes >= blockBytes) {
                submitDocuments(batch);
                batch = new ArrayList<>();
                batchBytes = 0;
            }
        }
        if (!batch.isEmpty()) submitDocuments(batch);
    }

    private void submitDocuments(List<byte[]> docs) {
        int total = 0;
        for (byte[] d : docs) total += d.length;
        byte[] block = new byte[total];
        int[] starts = new int[docs.size() + 1];
        int at = 0;
        for (int i = 0; i < docs.size(); i++) {
            starts[i] = at;
            System.arraycopy(docs.get(i), 0, block, at, docs.get(i).length);
            at += docs.get(i).length;
        }
        starts[docs.size()] = at;
        enqueue(() -> countDocuments(block, starts));
    }

    private void submit(byte[] block, int length) {
        enqueue(() -> {
            if (documentCapBytes == 0) countRange(block, 0, length);
            else countDocuments(block, paragraphStarts(block, length));
        });
    }

    private void enqueue(Runnable work) {
        rethrow();
        inFlight.acquireUninterruptibly();
        pending.add(pool.submit(() -> {
            try {
                work.run();
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
            } finally {
                inFlight.release();
            }
        }));
        if (pending.size() > 1024) pending.removeIf(Future::isDone);
    }

    private void countDocuments(byte[] block, int[] starts) {
        for (int d = 0; d + 1 < starts.length; d++) {
            int from = starts[d], to = starts[d + 1];
            if (documentCapBytes > 0 && to - from > documentCapBytes) {
                to = from + documentCapBytes;
                while (to > from && (block[to] & 0xC0) == 0x80) to--; // do not split a character
            }
            countRange(block, from, to);
        }
    }

    private void countRange(byte[] block, int from, int to) {
        ChunkCounts counts = local.get();
        preTokenizer.split(block, from, to, (s, e) -> counts.add(block, s, e - s, 1));
    }

    /** Waits for the workers and returns the summed counts. */
    public ChunkCounts finish() {
        for (Future<?> f : pending) {
            try {
                f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while counting", e);
            } catch (java.util.concurrent.ExecutionException e) {
                failure.compareAndSet(null, e.getCause());
            }
        }
        pending.clear();
        rethrow();
        List<ChunkCounts> tables = new ArrayList<>(perThread);
        if (tables.isEmpty()) return new ChunkCounts();
        tables.sort((a, b) -> Integer.compare(b.size(), a.size()));
        ChunkCounts total = tables.get(0);
        for (int i = 1; i < tables.size(); i++) total.addAll(tables.get(i));
        perThread.clear();
        return total;
    }

    private void rethrow() {
        Throwable t = failure.get();
        if (t instanceof RuntimeException re) throw re;
        if (t instanceof Error err) throw err;
        if (t != null) throw new IllegalStateException(t);
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }

    /**
     * Where to end a block read into buf[0, n) whose text goes on, or ≤ 0 for nowhere: with a document cap at the
     * last document start (so each block holds whole documents and the cap applies to each); else at the last safe
     * cut of the pattern; with neither, at the last document start.
     */
    private int lastCut(byte[] buf, int n) {
        int cut = documentCapBytes > 0 || !SafeCuts.supports(preTokenizer) ? lastParagraphStart(buf, n) : -1;
        if (cut <= 0 && SafeCuts.supports(preTokenizer)) cut = SafeCuts.last(buf, 0, n);
        return cut;
    }

    /** The last start of a blank-line-separated document in (0, n) (see {@link #paragraphStarts}), or 0. */
    static int lastParagraphStart(byte[] buf, int n) {
        for (int p = n - 1; p >= 2; p--) if (isParagraphStart(buf, p)) return p;
        return 0;
    }

    /** Starts of the blank-line-separated documents of block[0, n), plus n. */
    static int[] paragraphStarts(byte[] block, int n) {
        List<Integer> starts = new ArrayList<>();
        starts.add(0);
        for (int p = 2; p < n; p++) if (isParagraphStart(block, p)) starts.add(p);
        starts.add(n);
        return starts.stream().mapToInt(Integer::intValue).toArray();
    }

    /** A blank line ends at p and an ASCII letter or digit starts a new document there. */
    private static boolean isParagraphStart(byte[] s, int p) {
        return s[p - 1] == '\n' && s[p - 2] == '\n' && isAsciiAlnum(s[p]);
    }

    private static boolean isAsciiAlnum(byte b) {
        return (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9');
    }

    private static final class CountingStream extends java.io.FilterInputStream {
        private final LongConsumer bytesRead;

        CountingStream(InputStream in, LongConsumer bytesRead) {
            super(in);
            this.bytesRead = bytesRead;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int r = super.read(b, off, len);
            if (r > 0) bytesRead.accept(r);
            return r;
        }

        @Override
        public int read() throws IOException {
            int r = super.read();
            if (r >= 0) bytesRead.accept(1);
            return r;
        }
    }
}
