package dev.anvil.model;

import dev.anvil.core.tensor.ParameterBuffer;

import java.io.IOException;
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
