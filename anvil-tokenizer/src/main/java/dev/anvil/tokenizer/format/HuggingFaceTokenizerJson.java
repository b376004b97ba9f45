package dev.anvil.tokenizer.format;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.anvil.tokenizer.BpeTokenizer;
import dev.anvil.tokenizer.bpe.TokenTable;
import dev.anvil.tokenizer.pretokenize.PreTokenizer;
import dev.anvil.tokenizer.pretokenize.SplitPattern;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Hugging Face {@code tokenizer.json} for byte-level BPE: a BPE model (vocab in GPT-2's byte-level alphabet,
 * merges), the pre-tokenizer {@code Sequence[Split(regex, Isolated), ByteLevel(use_regex=false)]}, a ByteLevel
 * decoder, and the special tokens as {@code added_tokens}. Reading also accepts a lone ByteLevel pre-tokenizer
 * with {@code use_regex=true} (GPT-2's regex) and merges written either as "a b" strings or as [a, b] pairs.
 *
 * <p>Special tokens are written to both {@code added_tokens} and the model vocab: the runtime keeps an added
 * token's id only when the vocab lists it. {@code ignore_merges} is written as true: like tiktoken, a piece that is itself in the vocabulary is one
 * token; the merges (derived from the ranks, see {@link MergeDerivation}) then reproduce tiktoken's choices.
 */
public final class HuggingFaceTokenizerJson {
    private static final ObjectMapper JSON = new ObjectMapper();

    private HuggingFaceTokenizerJson() {}

    public static void write(BpeTokenizer tokenizer, Path file) throws IOException {
        JSON.writerWithDefaultPrettyPrinter().writeValue(file.toFile(), toJson(tokenizer));
    }

    public static ObjectNode toJson(BpeTokenizer tokenizer) {
        TokenTable table = tokenizer.tokens();
        ObjectNode root = JSON.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        tokenizer.specialTokens().entrySet().stream().sorted(Map.Entry.comparingByValue()).forEach(e -> {
            ObjectNode t = added.addObject();
            t.put("id", e.getValue());
            t.put("content", e.getKey());
            t.put("single_word", false);
            t.put("lstrip", false);
            t.put("rstrip", false);
            t.put("normalized", false);
            t.put("special", true);
        });
        root.putNull("normalizer");
        ObjectNode pre = root.putObject("pre_tokenizer");
        pre.put("type", "Sequence");
        ArrayNode steps = pre.putArray("pretokenizers");
        ObjectNode split = steps.addObject();
        split.put("type", "Split");
        split.putObject("pattern").put("Regex", tokenizer.preTokenizer().pattern());
        split.put("behavior", "Isolated");
        split.put("invert", false);
        ObjectNode byteLevel = steps.addObject();
        byteLevel.put("type", "ByteLevel");
        byteLevel.put("add_prefix_space", false);
        byteLevel.put("trim_offsets", true);
        byteLevel.put("use_regex", false);
        root.putNull("post_processor");
        ObjectNode decoder = root.putObject("decoder");
        decoder.put("type", "ByteLevel");
        decoder.put("add_prefix_space", true);
        decoder.put("trim_offsets", true);
        decoder.put("use_regex", true);
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE");
        model.putNull("dropout");
        model.putNull("unk_token");
        model.putNull("continuing_subword_prefix");
        model.putNull("end_of_word_suffix");
        model.put("fuse_unk", false);
        model.put("byte_fallback", false);
        model.put("ignore_merges", true);
        ObjectNode vocab = model.putObject("vocab");
        for (int id : table.idsInOrder()) vocab.put(ByteLevelAlphabet.encode(table.bytes(id)), id);
        // The runtime keeps an added token's id only when the model vocab has it too (else it renumbers it).
        tokenizer.specialTokens().forEach((content, id) -> {
            if (vocab.has(content)) throw new IllegalArgumentException("special token " + content + " collides with a mergeable token");
            vocab.put(content, id);
        });
        ArrayNode merges = model.putArray("merges");
        for (int[] m : MergeDerivation.merges(table))
            merges.add(ByteLevelAlphabet.encode(table.bytes(m[0])) + " " + ByteLevelAlphabet.encode(table.bytes(m[1])));
        return root;
    }

    public static BpeTokenizer read(Path file) throws IOException {
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new TokenizerFormatException(file.toString(), "", "not valid JSON: " + e.getMessage(), e);
        }
        String name = file.getParent() == null ? file.getFileName().toString() : file.getParent().getFileName().toString();
        return fromJson(root, file.toString(), name);
    }

    public static BpeTokenizer fromJson(JsonNode root, String source, String name) {
        if (!root.isObject()) throw new TokenizerFormatException(source, "", "the top level must be a JSON object");
        JsonNode model = root.get("model");
        if (model == null || !model.isObject()) throw new TokenizerFormatException(source, "field 'model'", "missing");
        String type = model.path("type").asText("BPE");
        if (!type.equals("BPE")) throw new TokenizerFormatException(source, "field 'model.type'", "'" + type + "' is not supported, only byte-level BPE");
        JsonNode vocab = model.get("vocab");
        if (vocab == null || !vocab.isObject()) throw new TokenizerFormatException(source, "field 'model.vocab'", "missing or not an object");

        Map<String, Integer> specials = new LinkedHashMap<>();
        JsonNode added = root.get("added_tokens");
        if (added != null && !added.isNull()) {
            if (!added.isArray()) throw new TokenizerFormatException(source, "field 'added_tokens'", "must be an array");
            for (int i = 0; i < added.size(); i++) {
                JsonNode t = added.get(i);
                if (!t.path("id").canConvertToInt() || !t.path("content").isTextual())
                    throw new TokenizerFormatException(source, "field 'added_tokens[" + i + "]'", "needs an integer 'id' and a string 'content'");
                specials.put(t.get("content").asText(), t.get("id").asInt());
            }
        }
        List<byte[]> tokens = new ArrayList<>();
        List<Integer> ids = new ArrayList<>();
        for (var it = vocab.fields(); it.hasNext(); ) {
            var e = it.next();
            if (!e.getValue().canConvertToInt())
                throw new TokenizerFormatException(source, "field 'model.vocab[\"" + e.getKey() + "\"]'", "id is not an integer");
            int id = e.getValue().asInt();
            if (specials.containsKey(e.getKey()) && specials.get(e.getKey()) == id) continue; // an added token also listed in the vocab
            byte[] bytes = ByteLevelAlphabet.decode(e.getKey());
            if (bytes == null)
                throw new TokenizerFormatException(source, "field 'model.vocab[\"" + e.getKey() + "\"]'", "not in the byte-level alphabet (only byte-level BPE is supported)");
            tokens.add(bytes);
            ids.add(id);
        }
        JsonNode merges = model.get("merges");
        if (merges == null || !merges.isArray()) throw new TokenizerFormatException(source, "field 'model.merges'", "missing or not an array");
        for (int i = 0; i < merges.size(); i++) {
            JsonNode m = merges.get(i);
            boolean ok = (m.isTextual() && m.asText().split(" ").length == 2) || (m.isArray() && m.size() == 2 && m.get(0).isTextual() && m.get(1).isTextual());
            if (!ok) throw new TokenizerFormatException(source, "field 'model.merges[" + i + "]'", "expected \"left right\" or [left, right], got " + m);
            String l = m.isTextual() ? m.asText().split(" ")[0] : m.get(0).asText();
            String r = m.isTextual() ? m.asText().split(" ")[1] : m.get(1).asText();
            if (!vocab.has(l) || !vocab.has(r) || !vocab.has(l + r))
                throw new TokenizerFormatException(source, "field 'model.merges[" + i + "]'", "merge '" + l + "' + '" + r + "' uses a token missing from the vocab");
        }
        PreTokenizer pre = preTokenizer(root.get("pre_tokenizer"), source);
        TokenTable table;
        try {
            table = TokenTable.of(tokens.toArray(byte[][]::new), ids.stream().mapToInt(Integer::intValue).toArray());
            return new BpeTokenizer(name, table, pre, specials);
        } catch (TokenizerFormatException e) {
            throw e;
        } catch (IllegalArgumentException e) {
            throw new TokenizerFormatException(source, "field 'model.vocab'", e.getMessage(), e);
        }
    }

    private static PreTokenizer preTokenizer(JsonNode node, String source) {
        if (node == null || node.isNull()) throw new TokenizerFormatException(source, "field 'pre_tokenizer'", "missing: a byte-level BPE needs a Split or ByteLevel pre-tokenizer");
        List<JsonNode> steps = new ArrayList<>();
        if (node.path("type").asText().equals("Sequence")) node.path("pretokenizers").forEach(steps::add);
        else steps.add(node);
        String regex = null;
        boolean byteLevel = false;
        for (int i = 0; i < steps.size(); i++) {
            JsonNode s = steps.get(i);
            String type = s.path("type").asText();
            switch (type) {
                case "Split" -> {
                    JsonNode pattern = s.path("pattern");
                    if (!pattern.has("Regex")) throw new TokenizerFormatException(source, "field 'pre_tokenizer' step " + i, "Split needs a {\"Regex\": ...} pattern");
                    if (!s.path("behavior").asText("Isolated").equals("Isolated") || s.path("invert").asBoolean(false))
                        throw new TokenizerFormatException(source, "field 'pre_tokenizer' step " + i, "only Split with behavior Isolated and invert false is supported");
                    if (regex != null) throw new TokenizerFormatException(source, "field 'pre_tokenizer' step " + i, "more than one Split");
                    regex = pattern.get("Regex").asText();
                }
                case "ByteLevel" -> {
                    byteLevel = true;
                    if (s.path("add_prefix_space").asBoolean(false))
                        throw new TokenizerFormatException(source, "field 'pre_tokenizer' step " + i, "ByteLevel add_prefix_space=true is not supported");
                    if (s.path("use_regex").asBoolean(true)) {
                        if (regex != null) throw new TokenizerFormatException(source, "field 'pre_tokenizer' step " + i, "both a Split and ByteLevel use_regex=true");
                        regex = SplitPattern.GPT2.regex();
                    }
                }
                default -> throw new TokenizerFormatException(source, "field 'pre_tokenizer' step " + i, "pre-tokenizer type '" + type + "' is not supported");
            }
        }
        if (!byteLevel) throw new TokenizerFormatException(source, "field 'pre_tokenizer'", "no ByteLevel step: only byte-level BPE is supported");
        if (regex == null) throw new TokenizerFormatException(source, "field 'pre_tokenizer'", "no Split regex and ByteLevel use_regex=false");
        try {
            return SplitPattern.forRegex(regex);
        } catch (IllegalArgumentException e) {
            throw new TokenizerFormatException(source, "field 'pre_tokenizer'", e.getMessage(), e);
        }
    }
}
