package dev.anvil.cli.recipe;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.anvil.data.pipeline.PipelineDefinitionException;
import dev.anvil.model.ModelConfigFiles;
import dev.anvil.train.TrainingConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a recipe strictly: every key must be one {@link RecipeSchema} knows and every value of its
 * type, checked before anything runs. A problem names the key path and the line of the file
 * ({@code recipes/my.yaml:14: train.lr: expected a number, got 'fast'}), or the {@code --set}
 * argument it came from. Overrides ({@code --set train.lr=3e-4}, the value read as YAML) are applied
 * before validation, with the same strictness.
 *
 * <p>Numbers written as YAML 1.1 reads them as text ({@code 6e-4} without a dot) are accepted as numbers.
 */
public final class RecipeYaml {
    private static final ObjectMapper YAML = ModelConfigFiles.yaml();

    private RecipeYaml() {}

    /** A resolved recipe as YAML, quoted only where YAML needs it (what recipe.yaml and the report show). */
    public static String write(JsonNode tree) {
        try {
            return new ObjectMapper(com.fasterxml.jackson.dataformat.yaml.YAMLFactory.builder()
                    .enable(com.fasterxml.jackson.dataformat.yaml.YAMLGenerator.Feature.MINIMIZE_QUOTES)
                    .disable(com.fasterxml.jackson.dataformat.yaml.YAMLGenerator.Feature.WRITE_DOC_START_MARKER).build()).writeValueAsString(tree);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    public static Recipe load(Path file, List<String> overrides) throws IOException {
        if (!Files.isRegularFile(file)) throw new RecipeException(file.toString(), "", 0, "no such recipe file");
        String name = file.getFileName().toString().replaceFirst("\\.ya?ml$", "");
        return parse(Files.readString(file), file.toString(), file.toAbsolutePath().getParent(), name, overrides);
    }

    /**
     * @param where   the file name used in messages
     * @param baseDir relative paths in the recipe (inputs, train.config) resolve against it
     */
    public static Recipe parse(String text, String where, Path baseDir, String defaultName, List<String> overrides) {
        JsonNode root;
        try {
            root = YAML.readTree(text);
        } catch (JacksonException e) {
            int line = e.getLocation() == null ? 0 : e.getLocation().getLineNr();
            throw new RecipeException(where, "", line, "not valid YAML: " + e.getOriginalMessage());
        }
        if (root == null || root.isMissingNode() || root.isNull()) root = YAML.createObjectNode();
        if (!root.isObject()) throw new RecipeException(where, "", 1, "a recipe is a mapping of sections (data, tokenizer, tokenize, train, eval, sample, export)");
        ObjectNode tree = (ObjectNode) root;
        Locator at = new Locator(where, lineNumbers(text));
        for (String o : overrides) applyOverride(tree, o, at);
        validate(tree, RecipeSchema.RECIPE, "", at);
        fillDefaults(tree, RecipeSchema.RECIPE);

        String name = tree.path("name").isTextual() ? tree.get("name").asText() : defaultName;
        tree.put("name", name);
        JsonNode d = tree.get("data");
        boolean corpus = d.hasNonNull("corpus"), inputs = d.hasNonNull("inputs") && !d.get("inputs").isEmpty();
        if (corpus == inputs) throw at.error("data", "give either a built-in corpus (corpus: " + String.join(" | ", BuiltinCorpus.NAMES)
                + ") or inputs: [files or directories], not " + (corpus ? "both" : "neither"));
        TrainingConfig training = training(tree, baseDir, at);
        Recipe recipe = Recipe.of(name, where, baseDir, tree, training);
        checkRanges(recipe, at);
        try { // the pipeline's own validation (step names and options), over a stand-in input
            recipe.data().pipeline(List.of(baseDir), baseDir.resolve("recipe-check"));
        } catch (PipelineDefinitionException e) {
            String msg = e.getMessage();
            throw at.error("data." + e.field(), msg.substring(msg.indexOf("': ") + 3));
        } catch (IllegalArgumentException e) {
            throw at.error("data", e.getMessage());
        }
        int vocabGuess = recipe.tokenizer().type().equals("bpe") ? recipe.tokenizer().vocabSize() : 256;
        try {
            ModelConfigFiles.fromTree(training.model(), vocabGuess);
        } catch (IllegalArgumentException e) {
            throw at.error("train.model", e.getMessage());
        }
        return recipe;
    }

    private static void checkRanges(Recipe r, Locator at) {
        if (r.data().maxDocuments() < 0) throw at.error("data.max_documents", "must be ≥ 0 (0 = all)");
        if (r.tokenizer().type().equals("bpe") && r.tokenizer().vocabSize() < 256 + r.tokenizer().specialTokens().size() + 1)
            throw at.error("tokenizer.vocab_size", "must leave room for the 256 byte tokens, the special tokens and at least one merge");
        if (r.tokenizer().heldoutDocuments() < 0) throw at.error("tokenizer.heldout_documents", "must be ≥ 0");
        if (!(r.tokenize().valFraction() > 0 && r.tokenize().valFraction() < 1)) throw at.error("tokenize.val_fraction", "must be in (0, 1)");
        if (r.tokenize().shardTokens() < 1) throw at.error("tokenize.shard_tokens", "must be positive");
        if (r.eval().batches() < 0) throw at.error("eval.batches", "must be ≥ 0 (0 = the whole val split)");
        if (r.sample().maxTokens() < 1) throw at.error("sample.max_tokens", "must be positive");
        if (r.export().format().equals("gguf") && r.tokenizer().type().equals("char"))
            throw at.error("export.format", "GGUF needs a byte-level BPE tokenizer; this recipe trains a character tokenizer (use hf or none)");
    }

    // ---- the training section: TrainingConfig's sections flattened under `train`

    private static TrainingConfig training(ObjectNode tree, Path baseDir, Locator at) {
        ObjectNode t = (ObjectNode) tree.get("train");
        ObjectNode flat = YAML.createObjectNode();
        if (t.hasNonNull("config")) {
            Path file = baseDir.resolve(t.get("config").asText());
            try {
                JsonNode base = YAML.readTree(file.toFile());
                TrainingConfig.fromTree(base); // its own checks, with its own field names
                flat = flatten(base);
            } catch (IOException e) {
                throw at.error("train.config", file + ": " + e.getMessage());
            } catch (IllegalArgumentException e) {
                throw at.error("train.config", file + ": " + e.getMessage());
            }
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = t.fields(); it.hasNext(); ) {
            var e = it.next();
            if (e.getKey().equals("config")) continue;
            if (e.getValue().isObject() && flat.get(e.getKey()) instanceof ObjectNode base) base.setAll((ObjectNode) e.getValue().deepCopy());
            else flat.set(e.getKey(), e.getValue().deepCopy());
        }
        if (!flat.hasNonNull("model")) throw at.error("train", "no model: give train.model (family, n_layer, n_head, d_model, context_length) or train.config");
        ObjectNode sections = YAML.createObjectNode();
        ObjectNode train = YAML.createObjectNode();
        ObjectNode data = sections.putObject("data");
        data.put("val_fraction", tree.get("tokenize").get("val_fraction").asDouble());
        for (Iterator<Map.Entry<String, JsonNode>> it = flat.fields(); it.hasNext(); ) {
            var e = it.next();
            switch (e.getKey()) {
                case "model", "eval", "checkpoint" -> sections.set(e.getKey(), e.getValue());
                case "order" -> data.set("order", e.getValue());
                default -> train.set(e.getKey(), e.getValue());
            }
        }
        sections.set("train", train);
        TrainingConfig config;
        try {
            config = TrainingConfig.fromTree(sections);
        } catch (IllegalArgumentException e) {
            throw at.error("train", e.getMessage().replace("training config: ", ""));
        }
        ObjectNode resolved = flatten(config.toTree());
        if (t.hasNonNull("config")) resolved.set("config", t.get("config"));
        tree.set("train", resolved);
        return config;
    }

    /** A TrainingConfig tree ({model, data, train, eval, checkpoint}) as the recipe's train section. */
    private static ObjectNode flatten(JsonNode config) {
        ObjectNode flat = YAML.createObjectNode();
        if (config.has("model")) flat.set("model", config.get("model").deepCopy());
        if (config.path("data").has("order")) flat.set("order", config.get("data").get("order"));
        if (config.path("train").isObject()) flat.setAll((ObjectNode) config.get("train").deepCopy());
        for (String s : List.of("eval", "checkpoint")) if (config.path(s).isObject()) flat.set(s, config.get(s).deepCopy());
        return flat;
    }

    // ---- overrides

    private static void applyOverride(ObjectNode tree, String override, Locator at) {
        int eq = override.indexOf('=');
        if (eq <= 0) throw new RecipeException("--set " + override, "", 0, "expected KEY=VALUE, e.g. train.lr=3e-4");
        String path = override.substring(0, eq), text = override.substring(eq + 1);
        String[] parts = path.split("\\.");
        RecipeSchema.Key key = RecipeSchema.RECIPE;
        ObjectNode node = tree;
        for (int i = 0; i < parts.length; i++) {
            String prefix = String.join(".", java.util.Arrays.copyOf(parts, i));
            RecipeSchema.Key child = key.kind() == RecipeSchema.Kind.MAPPING ? RecipeSchema.ANY : key.fields().get(parts[i]);
            if (child == null) {
                throw new RecipeException("--set " + override, path, 0, "unknown key" + (i == 0 ? "" : " '" + parts[i] + "' in " + prefix)
                        + " (known there: " + String.join(", ", key.fields().keySet()) + ")");
            }
            if (i == parts.length - 1) {
                JsonNode value;
                try {
                    value = text.isEmpty() ? TextNode.valueOf("") : YAML.readTree(text);
                } catch (JacksonException e) {
                    value = TextNode.valueOf(text);
                }
                if (value == null || value.isMissingNode()) value = TextNode.valueOf(text);
                node.set(parts[i], value);
            } else {
                if (child.kind() != RecipeSchema.Kind.SECTION && child.kind() != RecipeSchema.Kind.MAPPING) throw new RecipeException("--set " + override, path, 0, prefix.isEmpty() ? parts[i] : prefix + "." + parts[i] + " is not a section");
                JsonNode next = node.get(parts[i]);
                if (next != null && !next.isNull() && !next.isObject()) break; // the type check reports it
                node = next instanceof ObjectNode o ? o : node.putObject(parts[i]);
            }
            key = child;
        }
        at.overridden.put(path, override);
    }

    // ---- types, unknown keys, defaults

    private static void validate(ObjectNode node, RecipeSchema.Key section, String path, Locator at) {
        List<String> nulls = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            var e = it.next();
            String p = path.isEmpty() ? e.getKey() : path + "." + e.getKey();
            RecipeSchema.Key key = section.fields().get(e.getKey());
            if (key == null) {
                throw at.error(p, "unknown key (known " + (path.isEmpty() ? "sections" : "in " + path) + ": " + String.join(", ", section.fields().keySet()) + ")");
            }
            if (e.getValue().isNull()) {
                nulls.add(e.getKey());
                continue;
            }
            JsonNode fixed = check(e.getValue(), key, p, at);
            if (fixed != e.getValue()) e.setValue(fixed);
        }
        for (String n : nulls) node.remove(n); // null = not given: the default applies
    }

    private static JsonNode check(JsonNode v, RecipeSchema.Key key, String p, Locator at) {
        switch (key.kind()) {
            case SECTION -> {
                if (!v.isObject()) throw at.error(p, "expected " + key.describe() + ", got " + show(v));
                validate((ObjectNode) v, key, p, at);
                return v;
            }
            case MAPPING -> { // its keys are checked by its owner (the model config's by ModelConfigFiles, once the train section is assembled)
                if (!v.isObject()) throw at.error(p, "expected " + key.describe() + ", got " + show(v));
                return v;
            }
            case ANY -> {
                return v;
            }
            case INT -> {
                if (v.isIntegralNumber()) return v;
                if (v.isNumber() && v.asDouble() == Math.rint(v.asDouble()) && Math.abs(v.asDouble()) < 9e15) return YAML.getNodeFactory().numberNode(v.asLong());
                if (v.isTextual()) {
                    try {
                        double x = Double.parseDouble(v.asText().replace("_", ""));
                        if (x == Math.rint(x) && Math.abs(x) < 9e15) return YAML.getNodeFactory().numberNode((long) x);
                    } catch (NumberFormatException ignored) {
                        // reported below
                    }
                }
                throw at.error(p, "expected " + key.describe() + ", got " + show(v));
            }
            case NUMBER -> {
                if (v.isNumber()) return v;
                if (v.isTextual()) {
                    try {
                        return YAML.getNodeFactory().numberNode(Double.parseDouble(v.asText().replace("_", "")));
                    } catch (NumberFormatException ignored) {
                        // reported below
                    }
                }
                throw at.error(p, "expected " + key.describe() + ", got " + show(v));
            }
            case STRING -> {
                if (!v.isTextual() && !v.isNumber()) throw at.error(p, "expected " + key.describe() + ", got " + show(v));
                if (!key.choices().isEmpty() && !key.choices().contains(v.asText())) throw at.error(p, "expected " + key.describe() + ", got " + show(v));
                return v.isTextual() ? v : TextNode.valueOf(v.asText());
            }
            case BOOL -> {
                if (!v.isBoolean()) throw at.error(p, "expected " + key.describe() + ", got " + show(v));
                return v;
            }
            case STRINGS -> {
                if (v.isTextual()) return YAML.createArrayNode().add(v.asText());
                if (!v.isArray()) throw at.error(p, "expected " + key.describe() + ", got " + show(v));
                ArrayNode out = YAML.createArrayNode();
                for (int i = 0; i < v.size(); i++) {
                    JsonNode x = v.get(i);
                    if (!x.isTextual() && !x.isNumber()) throw at.error(p + "[" + i + "]", "expected a string, got " + show(x));
                    out.add(x.asText());
                }
                return out;
            }
            case LIST -> {
                if (!v.isArray()) throw at.error(p, "expected " + key.describe() + ", got " + show(v));
                return v;
            }
        }
        throw new IllegalStateException(key.kind().toString());
    }

    private static String show(JsonNode v) {
        if (v.isObject()) return "a mapping";
        if (v.isArray()) return "a list";
        return "'" + v.asText() + "'";
    }

    private static void fillDefaults(ObjectNode node, RecipeSchema.Key section) {
        for (var e : section.fields().entrySet()) {
            RecipeSchema.Key key = e.getValue();
            if (key.kind() == RecipeSchema.Kind.SECTION) {
                fillDefaults(node.get(e.getKey()) instanceof ObjectNode child ? child : node.putObject(e.getKey()), key);
            } else if (!node.has(e.getKey()) && key.dflt() != null) {
                node.set(e.getKey(), key.dflt().deepCopy());
            }
        }
    }

    // ---- where each key is

    /** Key path ({@code train.model.n_layer}, {@code data.steps[2].language}) → the line it starts on. */
    static Map<String, Integer> lineNumbers(String text) {
        Map<String, Integer> lines = new HashMap<>();
        try (JsonParser p = YAML.getFactory().createParser(text)) {
            for (JsonToken t = p.nextToken(); t != null; t = p.nextToken()) {
                String path = pathOf(t == JsonToken.START_OBJECT || t == JsonToken.START_ARRAY ? p.getParsingContext().getParent() : p.getParsingContext());
                if (path != null) lines.putIfAbsent(path, p.currentTokenLocation().getLineNr());
            }
        } catch (IOException e) {
            // the tree was read already; a location map that stops early only loses line numbers
        }
        return lines;
    }

    private static String pathOf(JsonStreamContext c) {
        if (c == null) return null;
        List<String> parts = new ArrayList<>();
        for (JsonStreamContext x = c; x != null && !x.inRoot(); x = x.getParent()) {
            if (x.inArray()) parts.add("[" + Math.max(0, x.getCurrentIndex()) + "]");
            else if (x.getCurrentName() != null) parts.add("." + x.getCurrentName());
        }
        StringBuilder sb = new StringBuilder();
        for (int i = parts.size() - 1; i >= 0; i--) sb.append(parts.get(i));
        return sb.length() > 0 && sb.charAt(0) == '.' ? sb.substring(1) : sb.toString();
    }

    /** Turns a key path into a message located at its line, or at the --set argument that gave it. */
    private static final class Locator {
        final String file;
        final Map<String, Integer> lines;
        final Map<String, String> overridden = new LinkedHashMap<>();

        Locator(String file, Map<String, Integer> lines) {
            this.file = file;
            this.lines = lines;
        }

        RecipeException error(String path, String problem) {
            for (var o : overridden.entrySet()) {
                if (path.equals(o.getKey()) || path.startsWith(o.getKey() + ".") || path.startsWith(o.getKey() + "[")) {
                    return new RecipeException("--set " + o.getValue(), path, 0, problem);
                }
            }
            for (String p = path; !p.isEmpty(); p = parent(p)) {
                Integer line = lines.get(p);
                if (line != null) return new RecipeException(file, path, line, problem);
            }
            return new RecipeException(file, path, 0, problem);
        }

        private static String parent(String p) {
            int cut = Math.max(p.lastIndexOf('.'), p.lastIndexOf('['));
            return cut <= 0 ? "" : p.substring(0, cut);
        }
    }
}
