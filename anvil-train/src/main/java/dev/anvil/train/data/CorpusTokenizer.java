package dev.anvil.train.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.anvil.core.compute.ComputePool;
import dev.anvil.model.TextTokenizer;
import dev.anvil.tokenizer.BpeTokenizer;
import dev.anvil.tokenizer.pretokenize.Utf8;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.function.Consumer;
import java.util.zip.GZIPInputStream;

/**
 * Text files → token shards: {@code train_NNNNNN.bin} and {@code val_NNNNNN.bin} in llm.c's format,
 * a copy of the tokenizer, and {@code shards.json} (token counts, vocabulary size, the tokenizer's
 * fingerprint).
 *
 * <p>Documents: a {@code .txt} file is one document; a {@code .jsonl} file has one per line (its
 * {@code "text"} field, as the clean shards {@code *.jsonl.zst}); either may be gzip- or zstd-compressed. Each document is preceded by the tokenizer's
 * document separator if it has one (llm.c's convention: {@code <|endoftext|>} before every
 * document). The held-out split is by position: the last {@code valFraction} of all characters, in
 * input order, goes to validation (a document straddling the cut is split there), which for one
 * text file is exactly nanoGPT's "first 90% train, last 10% val". Documents are encoded in
 * parallel in batches, a long one on all threads in parts cut where the ids cannot change
 * ({@link BpeTokenizer#encodeOrdinaryParallel}); shards are written in input order, so the output
 * does not depend on the thread count.
 */
public final class CorpusTokenizer {

    public static final String META_FILE = "shards.json";
    private static final int BATCH_CHARS = 8 << 20;
    /** From this length on a document is encoded on all threads at once rather than on one beside others. */
    private static final int PARTED_DOCUMENT_CHARS = 1 << 18;

    private final TextTokenizer tokenizer;
    private final double valFraction;
    private final long tokensPerShard;

    public CorpusTokenizer(TextTokenizer tokenizer, double valFraction, long tokensPerShard) {
        if (!(valFraction > 0 && valFraction < 1)) throw new IllegalArgumentException("held-out fraction must be in (0, 1), got " + valFraction);
        if (tokensPerShard < 1) throw new IllegalArgumentException("tokens per shard must be positive");
        this.tokenizer = tokenizer;
        this.valFraction = valFraction;
        this.tokensPerShard = tokensPerShard;
    }

    /** Token counts written. */
    public record Result(long trainTokens, long valTokens, int trainShards, int valShards) {}

    /**
     * @param progress receives the fraction of input characters done so far, in [0, 1]
     */
    public Result run(List<Path> inputs, Path outputDir, Consumer<Double> progress) throws IOException {
        if (inputs.isEmpty()) throw new IllegalArgumentException("tokenize: no input files");
        for (Path p : inputs) if (!Files.isRegularFile(p)) throw new IOException("tokenize: input " + p + " does not exist");
        Files.createDirectories(outputDir);
        long[] totalChars = {0};
        for (Path p : inputs) forEachDocument(p, doc -> totalChars[0] += doc.length());
        if (totalChars[0] == 0) throw new IllegalArgumentException("tokenize: the inputs contain no text");
        long cut = Math.round(totalChars[0] * (1 - valFraction));

        try (ShardSequence train = new ShardSequence(outputDir, "train"); ShardSequence val = new ShardSequence(outputDir, "val")) {
            List<String> trainBatch = new ArrayList<>(), valBatch = new ArrayList<>();
            long[] seen = {0}, batchChars = {0};
            IOExceptionConsumer flush = () -> {
                encodeAndWrite(trainBatch, train);
                encodeAndWrite(valBatch, val);
                trainBatch.clear();
                valBatch.clear();
                batchChars[0] = 0;
                progress.accept((double) seen[0] / totalChars[0]);
            };
            for (Path p : inputs) {
                IOException[] failure = {null};
                forEachDocument(p, doc -> {
                    if (failure[0] != null) return;
                    long start = seen[0], end = start + doc.length();
                    if (end <= cut) trainBatch.add(doc);
                    else if (start >= cut) valBatch.add(doc);
                    else { // straddles the cut: split at a code-point boundary
                        int at = (int) (cut - start);
                        if (at > 0 && Character.isLowSurrogate(doc.charAt(at))) at--;
                        trainBatch.add(doc.substring(0, at));
                        valBatch.add(doc.substring(at));
                    }
                    seen[0] = end;
                    batchChars[0] += doc.length();
                    if (batchChars[0] >= BATCH_CHARS) {
                        try {
                            flush.run();
                        } catch (IOException e) {
                            failure[0] = e;
                        }
                    }
                });
                if (failure[0] != null) throw failure[0];
            }
            flush.run();
            Result result = new Result(train.tokens, val.tokens, train.index, val.index);
            if (result.trainTokens() == 0 || result.valTokens() == 0) {
                throw new IllegalArgumentException("tokenize: the split left " + result.trainTokens() + " train and " + result.valTokens() + " val tokens");
            }
            tokenizer.copyTo(outputDir);
            writeMeta(outputDir, inputs, result);
            return result;
        }
    }

    private interface IOExceptionConsumer {
        void run() throws IOException;
    }

    private void encodeAndWrite(List<String> docs, ShardSequence out) throws IOException {
        if (docs.isEmpty()) return;
        ComputePool pool = ComputePool.shared();
        int[][] encoded = new int[docs.size()][];
        BpeTokenizer bpe = tokenizer.bpe().orElse(null);
        List<Integer> shortDocs = new ArrayList<>();
        for (int i = 0; i < docs.size(); i++) {
            // A long document (one big .txt file) on all threads: the parallel encoder cuts it only where the ids
            // cannot change, so this equals encoding it whole on one thread.
            if (bpe != null && docs.get(i).length() >= PARTED_DOCUMENT_CHARS) encoded[i] = bpe.encodeOrdinaryParallel(Utf8.encode(docs.get(i)), pool.threads());
            else shortDocs.add(i);
        }
        pool.run(shortDocs.size(), k -> encoded[shortDocs.get(k)] = tokenizer.encode(docs.get(shortDocs.get(k))));
        OptionalInt separator = tokenizer.documentSeparator();
        for (int[] ids : encoded) {
            if (separator.isPresent()) out.write(new int[] {separator.getAsInt()});
            out.write(ids);
        }
    }

    private void writeMeta(Path dir, List<Path> inputs, Result r) throws IOException {
        ObjectMapper json = new ObjectMapper();
        ObjectNode meta = json.createObjectNode();
        meta.put("format", "llm.c token shards");
        meta.put("vocab_size", tokenizer.vocabSize());
        meta.put("tokenizer_sha256", tokenizer.fingerprint());
        meta.put("val_fraction", valFraction);
        meta.put("train_tokens", r.trainTokens());
        meta.put("val_tokens", r.valTokens());
        ArrayNode in = meta.putArray("inputs");
        for (Path p : inputs) in.add(p.toAbsolutePath().toString());
        json.writerWithDefaultPrettyPrinter().writeValue(dir.resolve(META_FILE).toFile(), meta);
    }

    /** Consecutive shards of one split, rolling over every {@code tokensPerShard} tokens. */
    private final class ShardSequence implements AutoCloseable {
        final Path dir;
        final String split;
        TokenShardWriter current;
        int index;
        long tokens;

        ShardSequence(Path dir, String split) throws IOException {
            this.dir = dir;
            this.split = split;
            try (var old = Files.newDirectoryStream(dir, split + "_*.bin")) { // a re-run replaces earlier shards
                for (Path p : old) Files.delete(p);
            }
        }

        void write(int[] ids) throws IOException {
            for (int id : ids) {
                if (current == null || current.tokenCount() >= tokensPerShard) {
                    if (current != null) current.close();
                    current = new TokenShardWriter(dir.resolve(String.format("%s_%06d.bin", split, index++)), tokenizer.vocabSize());
                }
                current.write(id);
                tokens++;
            }
        }

        @Override
        public void close() throws IOException {
            if (current != null) current.close();
        }
    }

    /** Calls {@code sink} with each document of a .txt / .jsonl file (optionally .gz or .zst). */
    static void forEachDocument(Path file, Consumer<String> sink) throws IOException {
        String name = file.getFileName().toString();
        boolean gz = name.endsWith(".gz"), zst = name.endsWith(".zst");
        String base = gz ? name.substring(0, name.length() - 3) : zst ? name.substring(0, name.length() - 4) : name;
        try (InputStream raw = Files.newInputStream(file);
             InputStream in = gz ? new GZIPInputStream(raw, 1 << 16) : zst ? new com.github.luben.zstd.ZstdInputStream(raw) : raw) {
            if (base.endsWith(".jsonl") || base.endsWith(".json")) {
                ObjectMapper json = new ObjectMapper();
                BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8), 1 << 16);
                String line;
                long lineNo = 0;
                while ((line = r.readLine()) != null) {
                    lineNo++;
                    if (line.isBlank()) continue;
                    JsonNode doc;
                    try {
                        doc = json.readTree(line);
                    } catch (IOException e) {
                        throw new IOException(file + ":" + lineNo + ": not a JSON line: " + e.getMessage());
                    }
                    if (!doc.path("text").isTextual()) throw new IOException(file + ":" + lineNo + ": no \"text\" field");
                    sink.accept(doc.get("text").asText());
                }
            } else {
                sink.accept(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            }
        }
    }

    /** Reads {@code shards.json} of a shard directory, or null if there is none. */
    public static JsonNode readMeta(Path dir) throws IOException {
        Path f = dir.resolve(META_FILE);
        if (!Files.isRegularFile(f)) return null;
        return new ObjectMapper().readTree(f.toFile());
    }

    /** The shards of one split ({@code train} or {@code val}) in name order. */
    public static List<Path> shardFiles(Path dir, String split) throws IOException {
        List<Path> files = new ArrayList<>();
        try (var s = Files.newDirectoryStream(dir, split + "_*.bin")) {
            for (Path p : s) files.add(p);
        }
        files.sort(null);
        return files;
    }
}
