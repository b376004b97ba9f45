package dev.anvil.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.TreeSet;

/**
 * The smallest tokenizer, for experiments such as nanoGPT's {@code shakespeare_char}: the vocabulary is the
 * set of characters (code points) seen in the training text, sorted, so id i is the i-th smallest character;
 * or, at byte level, the 256 byte values. Unknown characters cannot be encoded and raise.
 */
public final class CharTokenizer {
    private final int[] codePoints; // id → code point, ascending; null at byte level
    private final boolean byteLevel;

    private CharTokenizer(int[] codePoints, boolean byteLevel) {
        this.codePoints = codePoints;
        this.byteLevel = byteLevel;
    }

    /** Vocabulary = the distinct code points of {@code text}, in ascending order. */
    public static CharTokenizer fitCharacters(CharSequence text) {
        TreeSet<Integer> seen = new TreeSet<>();
        text.codePoints().forEach(seen::add);
        return new CharTokenizer(seen.stream().mapToInt(Integer::intValue).toArray(), false);
    }

    /** The 256 byte values as tokens: every input is encodable. */
    public static CharTokenizer bytes() {
        return new CharTokenizer(null, true);
    }

    public int vocabSize() {
        return byteLevel ? 256 : codePoints.length;
    }

    public boolean isByteLevel() {
        return byteLevel;
    }

    public int[] encode(String text) {
        if (byteLevel) {
            byte[] b = text.getBytes(StandardCharsets.UTF_8);
            int[] ids = new int[b.length];
            for (int i = 0; i < b.length; i++) ids[i] = b[i] & 0xFF;
            return ids;
        }
        return text.codePoints().map(cp -> {
            int id = Arrays.binarySearch(codePoints, cp);
            if (id < 0) throw new IllegalArgumentException("character U+" + Integer.toHexString(cp).toUpperCase() + " ('" + Character.toString(cp) + "') is not in the vocabulary");
            return id;
        }).toArray();
    }

    public String decode(int[] ids) {
        if (byteLevel) {
            byte[] b = new byte[ids.length];
            for (int i = 0; i < ids.length; i++) {
                if (ids[i] < 0 || ids[i] > 255) throw new IllegalArgumentException("token id " + ids[i] + " is not a byte");
                b[i] = (byte) ids[i];
            }
            return new String(b, StandardCharsets.UTF_8);
        }
        StringBuilder sb = new StringBuilder(ids.length);
        for (int id : ids) {
            if (id < 0 || id >= codePoints.length) throw new IllegalArgumentException("token id " + id + " is outside the vocabulary of " + codePoints.length);
            sb.appendCodePoint(codePoints[id]);
        }
        return sb.toString();
    }

    /** Writes {@code {"type": "char", "chars": "..."}} or {@code {"type": "byte"}}. */
    public void save(Path file) throws IOException {
        ObjectMapper json = new ObjectMapper();
        ObjectNode root = json.createObjectNode();
        root.put("type", byteLevel ? "byte" : "char");
        if (!byteLevel) root.put("chars", new String(codePoints, 0, codePoints.length));
        json.writerWithDefaultPrettyPrinter().writeValue(file.toFile(), root);
    }

    public static CharTokenizer load(Path file) throws IOException {
        JsonNode root = new ObjectMapper().readTree(file.toFile());
        String type = root.path("type").asText();
        if (type.equals("byte")) return bytes();
        if (!type.equals("char") || !root.path("chars").isTextual())
            throw new dev.anvil.tokenizer.format.TokenizerFormatException(file.toString(), "field 'type'/'chars'", "expected {\"type\": \"char\", \"chars\": ...} or {\"type\": \"byte\"}");
        int[] cps = root.get("chars").asText().codePoints().toArray();
        for (int i = 1; i < cps.length; i++)
            if (cps[i] <= cps[i - 1]) throw new dev.anvil.tokenizer.format.TokenizerFormatException(file.toString(), "field 'chars'", "characters must be distinct and ascending");
        return new CharTokenizer(cps, false);
    }
}
