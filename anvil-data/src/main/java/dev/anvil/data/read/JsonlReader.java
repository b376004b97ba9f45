package dev.anvil.data.read;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.anvil.data.Document;
import dev.anvil.data.stats.BadInput;

import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * One JSON object per line. The text comes from {@code textField}; the id from {@code idField}
 * when present (otherwise {@code source#lineNumber}); other scalar fields become metadata.
 * Malformed lines, non-object lines and objects without a string text field are reported and skipped.
 */
public record JsonlReader(String textField, String idField) implements SplittableReader {
    private static final ObjectMapper JSON = new ObjectMapper();

    public JsonlReader {
        if (textField == null || textField.isBlank()) throw new IllegalArgumentException("jsonl text field must be set");
    }

    @Override
    public Boundary boundary() {
        return Boundary.LINE;
    }

    @Override
    public void read(InputStream in, String source, long firstLine, Consumer<Document> sink, Consumer<BadInput> badInput) throws IOException {
        Utf8LineReader lines = new Utf8LineReader(in, firstLine);
        Utf8LineReader.Line line;
        while ((line = lines.next()) != null) {
            if (line.text() == null) {
                badInput.accept(new BadInput(source, line.number(), "undecodable bytes (not UTF-8)"));
                continue;
            }
            if (line.text().isBlank()) continue;
            JsonNode node;
            try {
                node = JSON.readTree(line.text());
            } catch (JsonProcessingException e) {
                badInput.accept(new BadInput(source, line.number(), "malformed JSON: " + e.getOriginalMessage()));
                continue;
            }
            if (node == null || !node.isObject()) {
                badInput.accept(new BadInput(source, line.number(), "not a JSON object"));
                continue;
            }
            JsonNode text = node.get(textField);
            if (text == null || !text.isTextual()) {
                badInput.accept(new BadInput(source, line.number(), "no string field '" + textField + "'"));
                continue;
            }
            JsonNode idNode = idField == null ? null : node.get(idField);
            String id = idNode != null && !idNode.isNull() && idNode.isValueNode() ? idNode.asText() : source + "#" + line.number();
            Map<String, Object> meta = new TreeMap<>();
            meta.put("source", source);
            node.properties().forEach(e -> {
                String key = e.getKey();
                if (key.equals(textField) || key.equals(idField)) return;
                JsonNode v = e.getValue();
                if (v.isTextual()) meta.put(key, v.asText());
                else if (v.isIntegralNumber()) meta.put(key, v.asLong());
                else if (v.isNumber()) meta.put(key, v.asDouble());
                else if (v.isBoolean()) meta.put(key, v.asBoolean());
            });
            sink.accept(new Document(id, text.asText(), meta));
        }
    }
}
