package dev.anvil.cli.recipe;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.anvil.data.pipeline.Pipeline;
import dev.anvil.data.pipeline.PipelineYaml;
import dev.anvil.model.ModelConfigFiles;
import dev.anvil.train.TrainingConfig;

import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One whole flow, data → tokenizer → tokenize → train → eval → sample → export → report, as read
 * from a recipe file by {@link RecipeYaml}: every section validated and with its defaults filled in.
 * {@code resolved} is the exact recipe that runs (the report prints it, the stage fingerprints hash
 * its sections).
 */
public record Recipe(String name, String source, Path baseDir, String runDir, ObjectNode resolved, Data data,
                     Tokenizer tokenizer, Tokenize tokenize, TrainingConfig training, Eval eval, Sample sample, Export export) {

    /**
     * The data stage: a built-in corpus or files, then {@code anvil data run}'s pipeline fields.
     *
     * @param corpus       a built-in corpus name ({@link BuiltinCorpus}), or null
     * @param inputs       files or directories (absolute), or empty when {@code corpus} is set
     * @param maxDocuments read only the first N documents of the built-in corpus (0 = all)
     * @param pipeline     format, jsonl, shard_mb and steps, in {@link PipelineYaml}'s form
     */
    public record Data(String corpus, List<Path> inputs, int maxDocuments, ObjectNode pipeline) {
        /** The pipeline over {@code inputs} into {@code output} ({@link PipelineYaml} validates the step options). */
        public Pipeline pipeline(List<Path> pipelineInputs, Path output) {
            ObjectNode n = pipeline.deepCopy();
            var in = n.putArray("inputs");
            for (Path p : pipelineInputs) in.add(p.toAbsolutePath().toString());
            n.put("output", output.toAbsolutePath().toString());
            if (n.path("steps").isNull()) n.remove("steps");
            try {
                return PipelineYaml.parse(ModelConfigFiles.yaml().writeValueAsString(n), output.toAbsolutePath().getParent());
            } catch (JsonProcessingException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /** {@code anvil tokenizer train}'s options; the last {@code heldoutDocuments} documents are kept out to measure compression. */
    public record Tokenizer(String type, int vocabSize, String pattern, List<String> specialTokens, long minFrequency, int docCap,
                            int heldoutDocuments) {}

    /** {@code anvil tokenize}'s options. */
    public record Tokenize(double valFraction, long shardTokens) {}

    /** @param batches windows of the val split to score (0 = all of them) */
    public record Eval(int batches) {}

    /** Completions of each prompt with {@code anvil generate}'s sampling options. */
    public record Sample(List<String> prompts, int maxTokens, double temperature, int topK, double topP, double minP,
                         double repetitionPenalty, long seed) {}

    /** @param format none, gguf or hf */
    public record Export(String format, String dtype) {}

    static Recipe of(String name, String source, Path baseDir, ObjectNode r, TrainingConfig training) {
        JsonNode d = r.get("data");
        List<Path> inputs = new ArrayList<>();
        if (d.hasNonNull("inputs")) for (JsonNode p : d.get("inputs")) inputs.add(baseDir.resolve(p.asText()).toAbsolutePath().normalize());
        ObjectNode pipeline = ModelConfigFiles.yaml().createObjectNode();
        for (String k : List.of("format", "jsonl", "shard_mb", "steps")) if (d.has(k)) pipeline.set(k, d.get(k));
        Data data = new Data(d.path("corpus").isNull() ? null : d.path("corpus").asText(null), List.copyOf(inputs),
                d.get("max_documents").asInt(), pipeline);
        JsonNode t = r.get("tokenizer");
        List<String> specials = new ArrayList<>();
        for (JsonNode s : t.get("special_tokens")) specials.add(s.asText());
        Tokenizer tokenizer = new Tokenizer(t.get("type").asText(), t.get("vocab_size").asInt(), t.get("pattern").asText(), List.copyOf(specials),
                t.get("min_frequency").asLong(), t.get("doc_cap").asInt(), t.get("heldout_documents").asInt());
        JsonNode tz = r.get("tokenize");
        Tokenize tokenize = new Tokenize(tz.get("val_fraction").asDouble(), tz.get("shard_tokens").asLong());
        Eval eval = new Eval(r.get("eval").get("batches").asInt());
        JsonNode s = r.get("sample");
        List<String> prompts = new ArrayList<>();
        for (JsonNode p : s.get("prompts")) prompts.add(p.asText());
        Sample sample = new Sample(List.copyOf(prompts), s.get("max_tokens").asInt(), s.get("temperature").asDouble(), s.get("top_k").asInt(),
                s.get("top_p").asDouble(), s.get("min_p").asDouble(), s.get("repetition_penalty").asDouble(), s.get("seed").asLong());
        JsonNode e = r.get("export");
        Export export = new Export(e.get("format").asText(), e.get("dtype").asText());
        String runDir = r.path("run_dir").isTextual() ? r.get("run_dir").asText() : null;
        return new Recipe(name, source, baseDir, runDir, r, data, tokenizer, tokenize, training, eval, sample, export);
    }
}
