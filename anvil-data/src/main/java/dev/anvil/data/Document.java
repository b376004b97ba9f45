package dev.anvil.data;

import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * One unit of text flowing through the pipeline: an id unique within the run, the text, and
 * metadata (source file, url, language, scores ...). Metadata is kept sorted so that writing a
 * document is deterministic.
 */
public record Document(String id, String text, Map<String, Object> metadata) {
    public Document {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(text, "text");
        metadata = metadata == null ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(metadata));
    }

    public Document(String id, String text) {
        this(id, text, Map.of());
    }

    public Document withText(String newText) {
        return new Document(id, newText, metadata);
    }

    public Document withMetadata(String key, Object value) {
        TreeMap<String, Object> m = new TreeMap<>(metadata);
        m.put(key, value);
        return new Document(id, text, m);
    }
}
