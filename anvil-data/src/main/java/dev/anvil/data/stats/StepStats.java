package dev.anvil.data.stats;

import java.util.Map;
import java.util.TreeMap;

/**
 * Counts for one step: documents and UTF-8 bytes in and out, and removals per reason. Not
 * thread-safe: each task keeps its own and they are {@link #add merged} in task order.
 */
public final class StepStats {
    public long docsIn;
    public long docsOut;
    public long bytesIn;
    public long bytesOut;
    public final Map<String, Long> removed = new TreeMap<>();
    /** For dedup steps: groups of two or more duplicates found (one document of each is kept). */
    public long clusters;

    public void in(long bytes) {
        docsIn++;
        bytesIn += bytes;
    }

    public void out(long bytes) {
        docsOut++;
        bytesOut += bytes;
    }

    public void removed(String reason) {
        removed.merge(reason, 1L, Long::sum);
    }

    public void add(StepStats other) {
        docsIn += other.docsIn;
        docsOut += other.docsOut;
        bytesIn += other.bytesIn;
        bytesOut += other.bytesOut;
        other.removed.forEach((k, v) -> removed.merge(k, v, Long::sum));
        clusters += other.clusters;
    }

    public Map<String, Object> toMap() {
        Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("docs_in", docsIn);
        m.put("docs_out", docsOut);
        m.put("bytes_in", bytesIn);
        m.put("bytes_out", bytesOut);
        m.put("removed", new TreeMap<>(removed));
        if (clusters > 0) m.put("clusters", clusters);
        return m;
    }

    @SuppressWarnings("unchecked")
    public static StepStats fromMap(Map<String, Object> m) {
        StepStats s = new StepStats();
        s.docsIn = ((Number) m.get("docs_in")).longValue();
        s.docsOut = ((Number) m.get("docs_out")).longValue();
        s.bytesIn = ((Number) m.get("bytes_in")).longValue();
        s.bytesOut = ((Number) m.get("bytes_out")).longValue();
        ((Map<String, Object>) m.getOrDefault("removed", Map.of())).forEach((k, v) -> s.removed.put(k, ((Number) v).longValue()));
        if (m.get("clusters") instanceof Number n) s.clusters = n.longValue();
        return s;
    }
}
