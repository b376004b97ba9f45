package dev.anvil.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.anvil.core.optim.AdamW;
import dev.anvil.core.tensor.ParameterBuffer;
import dev.anvil.model.ModelConfig;
import dev.anvil.model.ModelWeights;
import dev.anvil.model.Safetensors;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The {@code checkpoints/} directory of a run. A checkpoint {@code step_NNNNNN/} holds
 * {@code model.safetensors} (Hugging Face names), {@code optimizer.safetensors} (AdamW's m and v as
 * flat tensors), {@code state.json} (step, optimizer step, data position, RNG state, tokenizer
 * fingerprint, model config) and {@code config.yaml} (the recipe).
 *
 * <p>Atomicity: everything is written into {@code .tmp-step_NNNNNN/}, each file synced, then the
 * directory is renamed in one step, and the parent directory synced. A checkpoint directory with
 * a final name is therefore always complete; a crash leaves at most a {@code .tmp-} directory,
 * which the next run deletes. Only the newest {@code keep} checkpoints are kept.
 */
public final class RunCheckpoints {

    public static final String STATE_FILE = dev.anvil.model.TrainedModel.STATE_FILE;
    private static final String PREFIX = "step_";

    private final Path dir;

    public RunCheckpoints(Path runDir) {
        this.dir = runDir.resolve("checkpoints");
    }

    public Path directory() {
        return dir;
    }

    /** Everything a checkpoint restores besides the weights and the optimizer moments. */
    public record Saved(Path path, JsonNode state) {
        public long step() {
            return state.get("step").asLong();
        }
    }

    public Path write(long step, ModelConfig model, ParameterBuffer params, AdamW optimizer, ObjectNode state, JsonNode recipe) throws IOException {
        Files.createDirectories(dir);
        String name = String.format("%s%06d", PREFIX, step);
        Path tmp = dir.resolve(".tmp-" + name), target = dir.resolve(name);
        deleteTree(tmp);
        Files.createDirectories(tmp);
        ModelWeights.save(model, params, tmp.resolve("model.safetensors"), Map.of("step", Long.toString(step)));
        AdamW.State s = optimizer.exportState();
        Safetensors.write(tmp.resolve("optimizer.safetensors"), List.of(
                        new Safetensors.Entry("adamw.m", new int[] {s.m().length}, s.m(), 0, false),
                        new Safetensors.Entry("adamw.v", new int[] {s.v().length}, s.v(), 0, false)),
                Map.of("adamw_step", Long.toString(s.step())));
        writeSynced(tmp.resolve(STATE_FILE), new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(state));
        writeSynced(tmp.resolve("config.yaml"), dev.anvil.model.ModelConfigFiles.yaml().writeValueAsBytes(recipe));
        syncDirectory(tmp);
        if (Files.exists(target)) deleteTree(target); // re-writing the same step (e.g. after a skipped resume)
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        syncDirectory(dir);
        return target;
    }

    /** Keeps the newest {@code keep} checkpoints. */
    public void prune(int keep) throws IOException {
        List<Path> all = complete();
        for (int i = 0; i < all.size() - keep; i++) deleteTree(all.get(i));
    }

    /** Removes directories left by an interrupted write. */
    public void removeIncomplete() throws IOException {
        if (!Files.isDirectory(dir)) return;
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.filter(p -> p.getFileName().toString().startsWith(".tmp-")).toList()) deleteTree(p);
        }
    }

    /** Complete checkpoints, oldest first. */
    public List<Path> complete() throws IOException {
        return dev.anvil.model.TrainedModel.completeCheckpoints(dir);
    }

    public Optional<Saved> latest() throws IOException {
        List<Path> all = complete();
        if (all.isEmpty()) return Optional.empty();
        Path p = all.getLast();
        return Optional.of(new Saved(p, new ObjectMapper().readTree(p.resolve(STATE_FILE).toFile())));
    }

    /** Loads weights and optimizer moments of {@code saved} into the given buffers. */
    public static void load(Saved saved, ModelConfig model, ParameterBuffer params, AdamW optimizer) throws IOException {
        ModelWeights.load(model, params, saved.path().resolve("model.safetensors"));
        try (Safetensors.Reader r = new Safetensors.Reader(saved.path().resolve("optimizer.safetensors"))) {
            int n = params.data().length;
            if (r.info("adamw.m").elementCount() != n || r.info("adamw.v").elementCount() != n) {
                throw new IOException(saved.path() + ": optimizer state is for " + r.info("adamw.m").elementCount() + " parameters, the model has " + n);
            }
            float[] m = new float[n], v = new float[n];
            r.read("adamw.m", m, 0, false);
            r.read("adamw.v", v, 0, false);
            optimizer.importState(new AdamW.State(Long.parseLong(r.metadata().get("adamw_step")), m, v));
        }
    }

    static void writeSynced(Path file, byte[] bytes) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(bytes);
            while (b.hasRemaining()) ch.write(b);
            ch.force(true);
        }
    }

    static void syncDirectory(Path d) {
        try (FileChannel ch = FileChannel.open(d, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // Some file systems do not allow syncing a directory; the rename is still atomic.
        }
    }

    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) return;
        try (Stream<Path> s = Files.walk(p)) {
            for (Path f : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(f);
        }
    }
}
