package dev.anvil.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.anvil.core.tensor.ParameterBuffer;
import dev.anvil.model.gguf.TransformerGguf;
import dev.anvil.model.hf.HuggingFaceDirectory;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A model as a command finds it, ready for inference or further work — the one loader every
 * command (and the server) uses, in anvil-model so that nothing which only runs models depends on
 * training: the newest complete checkpoint of a run directory, or one checkpoint
 * ({@code checkpoints/step_NNNNNN/}: {@code model.safetensors}, its config in {@code state.json},
 * the run's tokenizer); a Hugging Face directory; a {@code .gguf} file; a llama2.c {@code .bin}.
 *
 * <p>{@link #weights()} is what inference runs on: GGUF and safetensors matrices mapped in their
 * stored dtypes, never expanded. {@link #parameters()} — float32 in one buffer, for the tape
 * (evaluation, fine-tuning) and for export — is made on first use, by dequantizing if the source
 * was quantized. The optimizer state is not read.
 */
public final class TrainedModel {

    /** A checkpoint's state file (step, config, data position, RNG), written by the trainer. */
    public static final String STATE_FILE = "state.json";
    private static final String CHECKPOINT_PREFIX = "step_";

    private final Path checkpoint;
    private final long step;
    private final ModelConfig config;
    private final TextTokenizer tokenizer;
    private WeightSet weights;
    private ParameterBuffer parameters;
    /** Reads the source as float32 the way its format's reader does (GGUF: q/k rows back in rotate-half order). */
    private final FloatReader floatReader;

    private interface FloatReader {
        ParameterBuffer read() throws IOException;
    }

    private TrainedModel(Path checkpoint, long step, ModelConfig config, WeightSet weights, FloatReader floatReader, TextTokenizer tokenizer) {
        this.checkpoint = checkpoint;
        this.step = step;
        this.config = config;
        this.weights = weights;
        this.floatReader = floatReader;
        this.tokenizer = tokenizer;
    }

    /** A model held in memory (float32), e.g. one just trained. */
    public static TrainedModel of(Path source, long step, ModelConfig config, ParameterBuffer parameters, TextTokenizer tokenizer) {
        TrainedModel m = new TrainedModel(source, step, config, null, null, tokenizer);
        m.parameters = parameters;
        return m;
    }

    /** Where the model was loaded from (the checkpoint directory of a run). */
    public Path checkpoint() {
        return checkpoint;
    }

    /** The training step of the checkpoint, −1 when not a run's checkpoint. */
    public long step() {
        return step;
    }

    public ModelConfig config() {
        return config;
    }

    public TextTokenizer tokenizer() {
        return tokenizer;
    }

    /** The weights for inference, in their stored dtypes. */
    public synchronized WeightSet weights() {
        if (weights == null) weights = WeightSet.of(config, parameters);
        return weights;
    }

    /**
     * Every tensor as float32 in one buffer with the model's layout, read from the source on first
     * use (dequantized if the source is quantized): for the tape and for export.
     */
    public synchronized ParameterBuffer parameters() {
        if (parameters == null) {
            try {
                parameters = floatReader.read();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
        return parameters;
    }

    /** The heads the model has. */
    public Heads heads() {
        return weights != null ? weights.heads() : Transformer.headsOf(config, parameters.layout());
    }

    /** Complete checkpoints of a run directory ({@code checkpoints/step_*} with a state file), oldest first. */
    public static List<Path> completeCheckpoints(Path checkpointsDir) throws IOException {
        if (!Files.isDirectory(checkpointsDir)) return List.of();
        try (Stream<Path> s = Files.list(checkpointsDir)) {
            return new ArrayList<>(s.filter(p -> p.getFileName().toString().startsWith(CHECKPOINT_PREFIX) && Files.isRegularFile(p.resolve(STATE_FILE)))
                    .sorted(Comparator.comparing(p -> p.getFileName().toString())).toList());
        }
    }

    /** Loads a checkpoint directory, the newest complete checkpoint of a run directory, a Hugging Face directory, a {@code .gguf} file or a llama2.c {@code .bin} (with {@code tokenizer.bin} beside it). */
    public static TrainedModel load(Path path) throws IOException {
        if (Files.isRegularFile(path) && path.getFileName().toString().toLowerCase().endsWith(".gguf")) {
            TransformerGguf.Mapped g = TransformerGguf.map(path, Arena.ofAuto());
            if (g.tokenizer() == null) throw new IOException(path + ": the GGUF file has no tokenizer (tokenizer.ggml.tokens)");
            return new TrainedModel(path, -1, g.config(), g.weights(), () -> TransformerGguf.read(path).parameters(), TextTokenizer.of(g.tokenizer(), path));
        }
        if (Files.isRegularFile(path) && path.getFileName().toString().endsWith(".bin")) {
            var l = dev.anvil.model.llama2c.Llama2cCheckpoint.read(path);
            Path tok = path.toAbsolutePath().resolveSibling(dev.anvil.model.llama2c.Llama2cTokenizer.FILE);
            if (!Files.isRegularFile(tok)) throw new IOException(path + ": a llama2.c checkpoint needs its " + tok.getFileName() + " in the same directory (" + tok + " not found)");
            return of(path, -1, l.config(), l.parameters(), TextTokenizer.load(tok));
        }
        if (Files.isDirectory(path) && HuggingFaceDirectory.isModelDirectory(path)) {
            HuggingFaceDirectory.Mapped h = HuggingFaceDirectory.map(path, Arena.ofAuto());
            if (h.tokenizer() == null) throw new IOException(path + ": the Hugging Face directory has no tokenizer.json");
            return new TrainedModel(path, -1, h.config(), h.weights(), () -> HuggingFaceDirectory.read(path).parameters(), h.tokenizer());
        }
        Path checkpoint = resolveCheckpoint(path);
        Path stateFile = checkpoint.resolve(STATE_FILE);
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
        Path weightsFile = checkpoint.resolve("model.safetensors");
        ParameterBuffer params = TransformerLayout.of(config, ModelWeights.headsIn(config, weightsFile)).allocate();
        ModelWeights.load(config, params, weightsFile);
        TextTokenizer tokenizer = TextTokenizer.load(tokenizerOf(checkpoint, state));
        if (tokenizer.vocabSize() > config.vocabSize()) {
            throw new IOException(checkpoint + ": the tokenizer has " + tokenizer.vocabSize() + " tokens but the model only " + config.vocabSize());
        }
        return of(checkpoint, state.path("step").asLong(-1), config, params, tokenizer);
    }

    private static Path resolveCheckpoint(Path path) throws IOException {
        if (!Files.exists(path)) throw new IOException("model " + path + ": no such file or directory");
        if (Files.isRegularFile(path.resolve(STATE_FILE)) && Files.isRegularFile(path.resolve("model.safetensors"))) {
            return path;
        }
        var latest = completeCheckpoints(path.resolve("checkpoints"));
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
