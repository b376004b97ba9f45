package dev.anvil.model;

import dev.anvil.core.tensor.ParameterBuffer;
import dev.anvil.core.tensor.Tensor;
import dev.anvil.core.tensor.Weight;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A model's parameter buffer to and from {@code model.safetensors} with Hugging Face's names and
 * layouts (GPT-2's Conv1D matrices transposed), so the file loads in {@code transformers}.
 */
public final class ModelWeights {

    private ModelWeights() {}

    public static void save(ModelConfig config, ParameterBuffer params, Path file, Map<String, String> metadata) throws IOException {
        save(config, params, file, metadata, "F32");
    }

    /** Saves every tensor as {@code dtype} (F32, F16 or BF16). */
    public static void save(ModelConfig config, ParameterBuffer params, Path file, Map<String, String> metadata, String dtype) throws IOException {
        List<Safetensors.Entry> entries = new ArrayList<>();
        for (ParameterBuffer.Layout.Entry e : params.layout().entries()) {
            boolean conv = TransformerLayout.isConv1D(config, e.name());
            int[] dims = e.shape().dims();
            int[] fileShape = conv ? new int[] {dims[1], dims[0]} : dims;
            entries.add(new Safetensors.Entry(e.name(), fileShape, params.data(), e.offset(), conv));
        }
        Map<String, String> meta = new java.util.LinkedHashMap<>();
        meta.put("format", "pt");
        if (metadata != null) meta.putAll(metadata);
        Safetensors.write(file, entries, meta, dtype);
    }

    /**
     * Fills {@code params} from a file written by {@link #save} or by Hugging Face (GPT-2 names may
     * carry a {@code transformer.} prefix; the attention-mask buffers of old GPT-2 files and a
     * duplicated tied {@code lm_head.weight} are skipped). Any missing tensor, shape mismatch or
     * unknown tensor is an error.
     */
    /** The heads a weights file holds (an untied {@code lm_head}, a score head, a value head), by their tensor names. */
    public static Heads headsIn(ModelConfig config, Path file) throws IOException {
        return headsIn(config, List.of(file));
    }

    /** The heads held across the shards of one model. */
    public static Heads headsIn(ModelConfig config, List<Path> shards) throws IOException {
        Map<String, Safetensors.Info> t = new java.util.HashMap<>();
        for (Path shard : shards) {
            try (Safetensors.Reader reader = new Safetensors.Reader(shard)) {
                t.putAll(reader.tensors());
            }
        }
        boolean lm = config.tiedEmbeddings() || t.containsKey("lm_head.weight");
        Safetensors.Info score = t.get(TransformerLayout.SCORE_HEAD);
        return new Heads(lm, score == null ? 0 : score.shape()[0], t.containsKey(TransformerLayout.VALUE_HEAD));
    }

    /**
     * The weights of a {@code model.safetensors} (or of every shard of a sharded directory) for
     * inference, without a float32 copy: matrices are mapped in their stored dtype (F32, BF16,
     * F16) and read in place; only the vectors, and GPT-2's Conv1D matrices (stored transposed),
     * are read into float32. The mapping lives as long as {@code arena}.
     */
    public static WeightSet map(ModelConfig config, Heads heads, List<Path> shards, Arena arena) throws IOException {
        Map<String, Weight> matrices = new java.util.LinkedHashMap<>();
        Map<String, Tensor> vectors = new java.util.LinkedHashMap<>();
        List<Safetensors.Reader> readers = new ArrayList<>();
        try {
            Map<String, Safetensors.Reader> owner = new java.util.HashMap<>();
            Map<Safetensors.Reader, MemorySegment> mapped = new java.util.HashMap<>();
            for (Path shard : shards) {
                Safetensors.Reader r = new Safetensors.Reader(shard);
                readers.add(r);
                mapped.put(r, r.map(arena));
                for (String n : r.tensors().keySet()) owner.put(n, r);
            }
            for (ParameterBuffer.Layout.Entry e : TransformerLayout.of(config, heads).entries()) {
                String name = owner.containsKey(e.name()) ? e.name() : "transformer." + e.name();
                Safetensors.Reader r = owner.get(name);
                if (r == null) throw new IOException(shards.getFirst() + ": tensor '" + e.name() + "' is missing (the file does not match " + config.summary() + ")");
                boolean conv = TransformerLayout.isConv1D(config, e.name());
                int[] dims = e.shape().dims();
                int[] expected = conv ? new int[] {dims[1], dims[0]} : dims;
                if (!Arrays.equals(r.info(name).shape(), expected)) {
                    throw new IOException(shards.getFirst() + ": tensor '" + name + "' has shape " + Arrays.toString(r.info(name).shape()) + ", the model expects "
                            + Arrays.toString(expected) + " (" + config.summary() + ")");
                }
                if (dims.length == 2 && !conv) {
                    matrices.put(e.name(), r.weight(name, mapped.get(r)));
                } else {
                    Tensor t = new Tensor(new float[e.shape().size()], 0, e.shape());
                    r.read(name, t.data(), 0, conv);
                    if (dims.length == 2) matrices.put(e.name(), Weight.of(t));
                    else vectors.put(e.name(), t);
                }
            }
        } finally {
            for (Safetensors.Reader r : readers) r.close();
        }
        return new WeightSet(config, heads, matrices, vectors, dev.anvil.core.kernels.Rope.Style.HALF);
    }

    public static void load(ModelConfig config, ParameterBuffer params, Path file) throws IOException {
        try (Safetensors.Reader reader = new Safetensors.Reader(file)) {
            Set<String> used = new HashSet<>();
            for (ParameterBuffer.Layout.Entry e : params.layout().entries()) {
                String name = reader.tensors().containsKey(e.name()) ? e.name() : "transformer." + e.name();
                if (!reader.tensors().containsKey(name)) {
                    throw new IOException(file + ": tensor '" + e.name() + "' is missing (the file does not match " + config.summary() + ")");
                }
                boolean conv = TransformerLayout.isConv1D(config, e.name());
                int[] dims = e.shape().dims();
                int[] expected = conv ? new int[] {dims[1], dims[0]} : dims;
                Safetensors.Info info = reader.info(name);
                if (!Arrays.equals(info.shape(), expected)) {
                    throw new IOException(file + ": tensor '" + name + "' has shape " + Arrays.toString(info.shape()) + ", the model expects "
                            + Arrays.toString(expected) + " (" + config.summary() + ")");
                }
                reader.read(name, params.data(), e.offset(), conv);
                used.add(name);
            }
            for (String name : reader.tensors().keySet()) {
                if (used.contains(name)) continue;
                boolean buffer = name.endsWith(".attn.bias") || name.endsWith(".attn.masked_bias");
                boolean tiedHead = config.tiedEmbeddings() && name.equals("lm_head.weight");
                if (!buffer && !tiedHead) throw new IOException(file + ": unexpected tensor '" + name + "' for " + config.summary());
            }
        }
    }
}
