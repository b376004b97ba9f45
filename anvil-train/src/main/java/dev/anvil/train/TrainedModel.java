package dev.anvil.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.anvil.core.tensor.ParameterBuffer;
import dev.anvil.model.ModelConfig;
import dev.anvil.model.ModelConfigFiles;
import dev.anvil.model.ModelWeights;
import dev.anvil.model.TextTokenizer;
import dev.anvil.model.TransformerLayout;
import dev.anvil.model.gguf.TransformerGguf;
import dev.anvil.model.hf.HuggingFaceDirectory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A model as {@code anvil train} leaves it, ready for inference: the weights of one checkpoint
 * ({@code checkpoints/step_NNNNNN/model.safetensors}), its config (from the checkpoint's
 * {@code state.json}) and the run's tokenizer ({@code tokenizer/} of the run directory, or the path
 * recorded in {@code state.json}). The optimizer state is not read. A GGUF file (Llama family) with
 * its tokenizer, and a Hugging Face directory (config.json, model.safetensors, tokenizer.json), load too.
 */
public record TrainedModel(Path checkpoint, long step, ModelConfig config, ParameterBuffer parameters, TextTokenizer tokenizer) {

    /** Loads a checkpoint directory, the newest complete checkpoint of a run directory, a Hugging Face directory, a {@code .gguf} file or a llama2.c {@code .bin} (with {@code tokenizer.bin} beside it). */
    public static TrainedModel load(Path path) throws IOException {
        if (Files.isRegularFile(path) && path.getFileName().toString().toLowerCase().endsWith(".gguf")) {
            TransformerGguf.Loaded g = TransformerGguf.read(path);
            if (g.tokenizer() == null) throw new IOException(path + ": the GGUF file has no tokenizer (tokenizer.ggml.tokens)");
            return new TrainedModel(path, -1, g.config(), g.parameters(), TextTokenizer.of(g.tokenizer(), path));
        }
        if (Files.isRegularFile(path) && path.getFileName().toString().endsWith(".bin")) {
            var l = dev.anvil.model.llama2c.Llama2cCheckpoint.read(path);
            Path tok = path.toAbsolutePath().resolveSibling(dev.anvil.model.llama2c.Llama2cTokenizer.FILE);
            if (!Files.isRegularFile(tok)) throw new IOException(path + ": a llama2.c checkpoint needs its " + tok.getFileName() + " in the same directory (" + tok + " not found)");
            return new TrainedModel(path, -1, l.config(), l.parameters(), TextTokenizer.load(tok));
        }
        if (Files.isDirectory(path) && HuggingFaceDirectory.isModelDirectory(path)) {
            HuggingFaceDirectory.Loaded h = HuggingFaceDirectory.read(path);
            if (h.tokenizer() == null) throw new IOException(path + ": the Hugging Face directory has no tokenizer.json");
            return new TrainedModel(path, -1, h.config(), h.parameters(), h.tokenizer());
        }
        Path checkpoint = resolveCheckpoint(path);
        Path stateFile = checkpoint.resolve(RunCheckpoints.STATE_FILE);
        JsonNode state;
        try {
            state = new ObjectMapper().readTree(stateFile.toFile());
        } catch (IOException e) {
            throw new IOException(stateFile + ": unreadable checkpoint state (" + e.getMessage() + ")", e);
        }
        if (!state.has("model")) throw new IOException(stateFile + ": no 'model' config in the checkpoint state");
        ModelConfig config;
        try {
            config = ModelConfigFiles.fromTree(state.get("model"));
        } catch (IllegalArgumentException e) {
            throw new IOException(stateFile + ": " + e.getMessage(), e);
        }
        ParameterBuffer params = TransformerLayout.of(config).allocate();
        ModelWeights.load(config, params, checkpoint.resolve("model.safetensors"));
        TextTokenizer tokenizer = TextTokenizer.load(tokenizerOf(checkpoint, state));
        if (tokenizer.vocabSize() > config.vocabSize()) {
            throw new IOException(checkpoint + ": the tokenizer has " + tokenizer.vocabSize() + " tokens but the model only " + config.vocabSize());
        }
        return new TrainedModel(checkpoint, state.path("step").asLong(-1), config, params, tokenizer);
    }

    private static Path resolveCheckpoint(Path path) throws IOException {
        if (!Files.exists(path)) throw new IOException("model " + path + ": no such file or directory");
        if (Files.isRegularFile(path.resolve(RunCheckpoints.STATE_FILE)) && Files.isRegularFile(path.resolve("model.safetensors"))) {
            return path;
        }
        RunCheckpoints run = new RunCheckpoints(path);
        var latest = run.complete();
        if (!latest.isEmpty()) return latest.getLast();
        throw new IOException("model " + path + ": neither a checkpoint directory (state.json + model.safetensors) "
                + "nor a run directory with checkpoints/step_NNNNNN/");
    }

    /** The run's tokenizer: {@code <run>/tokenizer} next to {@code checkpoints/}, else the path in state.json. */
    private static Path tokenizerOf(Path checkpoint, JsonNode state) throws IOException {
        Path parent = checkpoint.toAbsolutePath().getParent();
        Path runTokenizer = parent == null || parent.getParent() == null ? null : parent.getParent().resolve("tokenizer");
        if (runTokenizer != null && Files.isDirectory(runTokenizer)) return runTokenizer;
        String recorded = state.path("tokenizer").asText("");
        if (!recorded.isEmpty() && Files.exists(Path.of(recorded))) return Path.of(recorded);
        throw new IOException(checkpoint + ": no tokenizer found (looked for " + runTokenizer
                + (recorded.isEmpty() ? "" : " and " + recorded) + ")");
    }
}
