package dev.anvil.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code metrics.jsonl}: one JSON object per line, {@code "type"} = train | eval | sample | event,
 * each with the {@code "step"} it belongs to. Lines are flushed as written so a killed run keeps
 * its history; on resume, lines after the checkpoint's step (and a torn last line) are dropped, so
 * the file always describes one consistent run.
 */
public final class MetricsLog implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final Path file;
    private BufferedWriter out;

    public MetricsLog(Path file) {
        this.file = file;
    }

    public Path file() {
        return file;
    }

    /** Keeps only complete lines with step ≤ {@code step} (all lines are dropped for step &lt; 0). */
    public void truncateAfter(long step) throws IOException {
        if (!Files.exists(file)) return;
        List<String> keep = new ArrayList<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            try {
                JsonNode n = JSON.readTree(line);
                if (n != null && n.path("step").asLong(Long.MAX_VALUE) <= step) keep.add(line);
            } catch (IOException torn) {
                // a line cut by a kill: drop it
            }
        }
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.write(tmp, keep, StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    public void append(ObjectNode record) throws IOException {
        if (out == null) {
            out = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        }
        out.write(JSON.writeValueAsString(record));
        out.write('\n');
        out.flush();
    }

    public static ObjectNode record(String type, long step) {
        ObjectNode n = JSON.createObjectNode();
        n.put("type", type);
        n.put("step", step);
        return n;
    }

    public static List<JsonNode> read(Path file) throws IOException {
        List<JsonNode> all = new ArrayList<>();
        if (!Files.exists(file)) return all;
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            try {
                all.add(JSON.readTree(line));
            } catch (IOException torn) {
                // skip
            }
        }
        return all;
    }

    @Override
    public void close() throws IOException {
        if (out != null) out.close();
        out = null;
    }
}
