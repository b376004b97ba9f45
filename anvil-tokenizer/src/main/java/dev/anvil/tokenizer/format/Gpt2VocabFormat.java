package dev.anvil.tokenizer.format;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.anvil.tokenizer.BpeTokenizer;
import dev.anvil.tokenizer.bpe.TokenTable;
import dev.anvil.tokenizer.pretokenize.SplitPattern;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * GPT-2's original files: {@code encoder.json} (byte-level string → id) and {@code vocab.bpe} (a
 * {@code #version} line, then one merge "left right" per line, in priority order). The ids of encoder.json are
 * the ranks (as in tiktoken's r50k_base); entries written {@code <|...|>} are special tokens.
 */
public final class Gpt2VocabFormat {
    private static final ObjectMapper JSON = new ObjectMapper();

    private Gpt2VocabFormat() {}

    public static BpeTokenizer read(Path encoderJson, Path vocabBpe) throws IOException {
        JsonNode encoder;
        try {
            encoder = JSON.readTree(encoderJson.toFile());
        } catch (IOException e) {
            throw new TokenizerFormatException(encoderJson.toString(), "", "not valid JSON: " + e.getMessage(), e);
        }
        if (encoder == null || !encoder.isObject()) throw new TokenizerFormatException(encoderJson.toString(), "", "expected a JSON object of token → id");
        List<byte[]> tokens = new ArrayList<>();
        List<Integer> ids = new ArrayList<>();
        Map<String, Integer> specials = new LinkedHashMap<>();
        for (var it = encoder.fields(); it.hasNext(); ) {
            var e = it.next();
            if (!e.getValue().canConvertToInt()) throw new TokenizerFormatException(encoderJson.toString(), "entry \"" + e.getKey() + "\"", "id is not an integer");
            if (e.getKey().startsWith("<|") && e.getKey().endsWith("|>")) {
                specials.put(e.getKey(), e.getValue().asInt());
                continue;
            }
            byte[] bytes = ByteLevelAlphabet.decode(e.getKey());
            if (bytes == null) throw new TokenizerFormatException(encoderJson.toString(), "entry \"" + e.getKey() + "\"", "not in GPT-2's byte-level alphabet");
            tokens.add(bytes);
            ids.add(e.getValue().asInt());
        }
        List<String> lines = Files.readAllLines(vocabBpe, StandardCharsets.UTF_8);
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isBlank() || (i == 0 && line.startsWith("#version"))) continue;
            String[] parts = line.split(" ");
            if (parts.length != 2) throw new TokenizerFormatException(vocabBpe.toString(), "line " + (i + 1), "expected 'left right', got '" + TiktokenFormat.abbreviate(line) + "'");
            if (!encoder.has(parts[0]) || !encoder.has(parts[1]) || !encoder.has(parts[0] + parts[1]))
                throw new TokenizerFormatException(vocabBpe.toString(), "line " + (i + 1), "merge uses a token missing from " + encoderJson.getFileName());
        }
        try {
            TokenTable table = TokenTable.of(tokens.toArray(byte[][]::new), ids.stream().mapToInt(Integer::intValue).toArray());
            return new BpeTokenizer("gpt2", table, SplitPattern.GPT2.preTokenizer(), specials);
        } catch (IllegalArgumentException e) {
            throw new TokenizerFormatException(encoderJson.toString(), "", e.getMessage(), e);
        }
    }

    /** Writes GPT-2 style files (used by tests and for interchange). */
    public static void write(BpeTokenizer tokenizer, Path encoderJson, Path vocabBpe) throws IOException {
        TokenTable table = tokenizer.tokens();
        Map<String, Integer> encoder = new LinkedHashMap<>();
        for (int id : table.idsInOrder()) encoder.put(ByteLevelAlphabet.encode(table.bytes(id)), id);
        tokenizer.specialTokens().forEach(encoder::put);
        JSON.writeValue(encoderJson.toFile(), encoder);
        StringBuilder sb = new StringBuilder("#version: 0.2\n");
        for (int[] m : MergeDerivation.merges(table))
            sb.append(ByteLevelAlphabet.encode(table.bytes(m[0]))).append(' ').append(ByteLevelAlphabet.encode(table.bytes(m[1]))).append('\n');
        Files.writeString(vocabBpe, sb.toString());
    }
}
