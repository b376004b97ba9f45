package dev.anvil.data.write;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.luben.zstd.ZstdOutputStream;
import dev.anvil.data.Document;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes documents as {@code shard-00000.jsonl.zst}, {@code shard-00001.jsonl.zst}, ... in a
 * directory, one {@code {"id","text","meta"}} object per line, starting a new shard before one
 * would exceed {@code maxShardBytes} of uncompressed JSON. Each shard is written under a temporary
 * name and renamed when complete. Same documents in the same order give byte-identical shards
 * (fixed compression level, single-threaded zstd, sorted metadata).
 */
public final class ShardWriter implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final int ZSTD_LEVEL = 3;

    private final Path dir;
    private final long maxShardBytes;
    private final List<Path> shards = new ArrayList<>();
    private OutputStream out;
    private Path tmp;
    private long currentBytes;

    public ShardWriter(Path dir, long maxShardBytes) throws IOException {
        if (maxShardBytes < 1) throw new IllegalArgumentException("shard size must be positive, got " + maxShardBytes);
        this.dir = dir;
        this.maxShardBytes = maxShardBytes;
        Files.createDirectories(dir);
    }

    public static byte[] jsonLine(Document doc) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", doc.id());
        m.put("text", doc.text());
        m.put("meta", doc.metadata());
        try {
            byte[] json = JSON.writeValueAsBytes(m);
            byte[] line = java.util.Arrays.copyOf(json, json.length + 1);
            line[json.length] = '\n';
            return line;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public void write(Document doc) throws IOException {
        byte[] line = jsonLine(doc);
        if (out != null && currentBytes + line.length > maxShardBytes) closeShard();
        if (out == null) openShard();
        out.write(line);
        currentBytes += line.length;
    }

    private void openShard() throws IOException {
        tmp = dir.resolve(String.format("shard-%05d.jsonl.zst.tmp", shards.size()));
        ZstdOutputStream z = new ZstdOutputStream(new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16), ZSTD_LEVEL);
        z.setChecksum(true);
        out = new BufferedOutputStream(z, 1 << 16);
        currentBytes = 0;
    }

    private void closeShard() throws IOException {
        out.close();
        Path fin = dir.resolve(String.format("shard-%05d.jsonl.zst", shards.size()));
        Files.move(tmp, fin, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        shards.add(fin);
        out = null;
    }

    public List<Path> shards() {
        return List.copyOf(shards);
    }

    @Override
    public void close() throws IOException {
        if (out != null) closeShard();
    }

    /** Reads back every document of a shard (for tests and the next stages). */
    public static List<Document> readShard(Path shard) throws IOException {
        List<Document> docs = new ArrayList<>();
        try (var in = new com.github.luben.zstd.ZstdInputStream(Files.newInputStream(shard));
             var reader = new java.io.BufferedReader(new java.io.InputStreamReader(in, StandardCharsets.UTF_8))) {
            String line;
            while ((line = reader.readLine()) != null) {
                @SuppressWarnings("unchecked")
                Map<String, Object> m = JSON.readValue(line, Map.class);
                @SuppressWarnings("unchecked")
                Map<String, Object> meta = (Map<String, Object>) m.get("meta");
                docs.add(new Document((String) m.get("id"), (String) m.get("text"), meta));
            }
        }
        return docs;
    }
}
