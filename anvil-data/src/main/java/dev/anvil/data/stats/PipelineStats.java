package dev.anvil.data.stats;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The stats of a run: input files and bytes, each step's {@link StepStats} in pipeline order, and
 * every piece of bad input with its place. Serialized as {@code stats.json}.
 */
public final class PipelineStats {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public long files;
    public long inputBytes;
    public final Map<String, StepStats> steps = new LinkedHashMap<>();
    public final List<BadInput> badInput = new ArrayList<>();

    public StepStats step(String name) {
        return steps.computeIfAbsent(name, k -> new StepStats());
    }

    public void add(PipelineStats other) {
        files += other.files;
        inputBytes += other.inputBytes;
        other.steps.forEach((name, s) -> step(name).add(s));
        badInput.addAll(other.badInput);
    }

    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("files", files);
        m.put("input_bytes", inputBytes);
        Map<String, Object> s = new LinkedHashMap<>();
        steps.forEach((k, v) -> s.put(k, v.toMap()));
        m.put("steps", s);
        Map<String, Long> perFile = new java.util.TreeMap<>();
        for (BadInput b : badInput) perFile.merge(b.file(), 1L, Long::sum);
        m.put("bad_input_count", badInput.size());
        m.put("bad_input_per_file", perFile);
        m.put("bad_input", badInput.stream().map(BadInput::toString).toList());
        return m;
    }

    @SuppressWarnings("unchecked")
    public static PipelineStats fromMap(Map<String, Object> m) {
        PipelineStats p = new PipelineStats();
        p.files = ((Number) m.get("files")).longValue();
        p.inputBytes = ((Number) m.get("input_bytes")).longValue();
        ((Map<String, Object>) m.get("steps")).forEach((k, v) -> p.steps.put(k, StepStats.fromMap((Map<String, Object>) v)));
        for (String b : (List<String>) m.get("bad_input")) p.badInput.add(parseBadInput(b));
        return p;
    }

    private static BadInput parseBadInput(String s) {
        // "file:line: reason" or "file: reason" — the file name itself may contain ':' so split from the reason side.
        int sep = s.indexOf(": ");
        String where = s.substring(0, sep);
        String reason = s.substring(sep + 2);
        int colon = where.lastIndexOf(':');
        if (colon > 0 && where.substring(colon + 1).chars().allMatch(Character::isDigit) && colon < where.length() - 1) {
            return new BadInput(where.substring(0, colon), Long.parseLong(where.substring(colon + 1)), reason);
        }
        return new BadInput(where, 0, reason);
    }

    public void write(Path file) throws IOException {
        JSON.writeValue(file.toFile(), toMap());
    }

    @SuppressWarnings("unchecked")
    public static PipelineStats read(Path file) throws IOException {
        return fromMap(JSON.readValue(file.toFile(), Map.class));
    }

    /** A readable table: one row per step with documents and megabytes in/out and the removal reasons. */
    public String summaryTable() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("%-20s %10s %10s %10s %10s  %s%n", "step", "docs in", "docs out", "MB in", "MB out", "removed (reason: count)"));
        steps.forEach((name, s) -> sb.append(String.format("%-20s %10d %10d %10.2f %10.2f  %s%n", name, s.docsIn, s.docsOut,
                s.bytesIn / 1e6, s.bytesOut / 1e6, s.removed.isEmpty() ? "-" : s.removed.toString().replaceAll("[{}]", "").replace('=', ':'))));
        sb.append(String.format("%d files, %.2f MB read, %d bad inputs skipped%n", files, inputBytes / 1e6, badInput.size()));
        return sb.toString();
    }
}
