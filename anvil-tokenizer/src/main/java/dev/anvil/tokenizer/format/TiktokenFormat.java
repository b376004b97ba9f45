package dev.anvil.tokenizer.format;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.anvil.tokenizer.BpeTokenizer;
import dev.anvil.tokenizer.bpe.TokenTable;
import dev.anvil.tokenizer.pretokenize.SplitPattern;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * tiktoken's rank files ({@code <base64 of token bytes> <rank>} per line, as in {@code cl100k_base.tiktoken})
 * plus a JSON sidecar {@code <file>.json} holding what the rank file lacks:
 * {@code {"name": ..., "pattern": <regex>, "special_tokens": {"<|endoftext|>": 100257, ...}}}.
 */
public final class TiktokenFormat {
    private static final ObjectMapper JSON = new ObjectMapper();

    private TiktokenFormat() {}

    /** Reads a rank file; {@code source} names it in error messages. */
    public static TokenTable readRanks(InputStream in, String source) throws IOException {
        List<byte[]> tokens = new ArrayList<>(200_000);
        List<Integer> ids = new ArrayList<>(200_000);
        Base64.Decoder base64 = Base64.getDecoder();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8), 1 << 16)) {
            String line;
            int lineNo = 0;
            while ((line = r.readLine()) != null) {
                lineNo++;
                if (line.isBlank()) continue;
                int space = line.indexOf(' ');
                if (space <= 0 || space != line.lastIndexOf(' '))
                    throw new TokenizerFormatException(source, "line " + lineNo, "expected '<base64 token> <rank>', got '" + abbreviate(line) + "'");
                byte[] token;
                try {
                    token = base64.decode(line.substring(0, space));
                } catch (IllegalArgumentException e) {
                    throw new TokenizerFormatException(source, "line " + lineNo, "invalid base64 token '" + abbreviate(line.substring(0, space)) + "'");
                }
                int rank;
                try {
                    rank = Integer.parseInt(line.substring(space + 1).trim());
                } catch (NumberFormatException e) {
                    throw new TokenizerFormatException(source, "line " + lineNo, "rank '" + abbreviate(line.substring(space + 1)) + "' is not an integer");
                }
                if (rank < 0) throw new TokenizerFormatException(source, "line " + lineNo, "negative rank " + rank);
                if (token.length == 0) throw new TokenizerFormatException(source, "line " + lineNo, "empty token");
                tokens.add(token);
                ids.add(rank);
            }
        }
        try {
            return TokenTable.of(tokens.toArray(byte[][]::new), ids.stream().mapToInt(Integer::intValue).toArray());
        } catch (IllegalArgumentException e) {
            throw new TokenizerFormatException(source, "", e.getMessage(), e);
        }
    }

    /** Writes the mergeable tokens in id order. */
    public static void writeRanks(TokenTable table, Path file) throws IOException {
        Base64.Encoder base64 = Base64.getEncoder();
        try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            for (int id : table.idsInOrder()) {
                w.write(base64.encodeToString(table.bytes(id)));
                w.write(' ');
                w.write(Integer.toString(id));
                w.write('\n');
            }
        }
    }

    /** Writes {@code file} (ranks) and {@code file.json} (name, pattern, special tokens). */
    public static void write(BpeTokenizer tokenizer, Path file) throws IOException {
        writeRanks(tokenizer.tokens(), file);
        ObjectNode sidecar = JSON.createObjectNode();
        sidecar.put("name", tokenizer.name());
        sidecar.put("pattern", tokenizer.preTokenizer().pattern());
        ObjectNode specials = sidecar.putObject("special_tokens");
        tokenizer.specialTokens().forEach(specials::put);
        JSON.writerWithDefaultPrettyPrinter().writeValue(sidecarOf(file).toFile(), sidecar);
    }

    /** Reads {@code file} and its sidecar {@code file.json}. */
    public static BpeTokenizer read(Path file) throws IOException {
        Path sidecarFile = sidecarOf(file);
        if (!Files.exists(sidecarFile))
            throw new TokenizerFormatException(file.toString(), "", "no sidecar " + sidecarFile.getFileName()
                    + " with the pattern and special tokens next to the rank file");
        JsonNode sidecar;
        try {
            sidecar = JSON.readTree(sidecarFile.toFile());
        } catch (IOException e) {
            throw new TokenizerFormatException(sidecarFile.toString(), "", "not valid JSON: " + e.getMessage(), e);
        }
        JsonNode pattern = sidecar.get("pattern");
        if (pattern == null || !pattern.isTextual()) throw new TokenizerFormatException(sidecarFile.toString(), "field 'pattern'", "missing or not a string");
        Map<String, Integer> specials = new LinkedHashMap<>();
        JsonNode sp = sidecar.get("special_tokens");
        if (sp != null) {
            if (!sp.isObject()) throw new TokenizerFormatException(sidecarFile.toString(), "field 'special_tokens'", "must be an object of token → id");
            for (var it = sp.fields(); it.hasNext(); ) {
                var e = it.next();
                if (!e.getValue().canConvertToInt()) throw new TokenizerFormatException(sidecarFile.toString(), "field 'special_tokens." + e.getKey() + "'", "id is not an integer");
                specials.put(e.getKey(), e.getValue().intValue());
            }
        }
        String name = sidecar.path("name").asText(file.getFileName().toString().replaceFirst("\\.tiktoken$", ""));
        TokenTable table;
        try (InputStream in = Files.newInputStream(file)) {
            table = readRanks(in, file.toString());
        }
        try {
            return new BpeTokenizer(name, table, SplitPattern.forRegex(pattern.asText()), specials);
        } catch (IllegalArgumentException e) {
            throw new TokenizerFormatException(sidecarFile.toString(), "", e.getMessage(), e);
        }
    }

    public static Path sidecarOf(Path file) {
        return file.resolveSibling(file.getFileName() + ".json");
    }

    static String abbreviate(String s) {
        return s.length() <= 60 ? s : s.substring(0, 57) + "...";
    }
}
