package dev.anvil.train;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.anvil.core.random.Rng;
import dev.anvil.model.ModelConfigFiles;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** A small generated corpus and a tiny recipe for fast trainer tests. */
final class TrainingFixtures {

    private TrainingFixtures() {}

    static Path corpus(Path dir) throws IOException {
        String[] words = {"the", "king", "queen", "speak", "lord", "good", "night", "my", "thou", "art", "and", "to", "of", "love", "sweet", "death"};
        Rng r = new Rng(17);
        StringBuilder sb = new StringBuilder();
        for (int line = 0; line < 1500; line++) {
            int n = 3 + r.nextInt(8);
            for (int w = 0; w < n; w++) sb.append(w == 0 ? "" : " ").append(words[r.nextInt(words.length)]);
            sb.append(r.nextInt(4) == 0 ? ".\n\n" : ",\n");
        }
        Path f = dir.resolve("corpus.txt");
        Files.writeString(f, sb);
        return f;
    }

    /** The recipe as a tree, to be adjusted by a test and written with {@link #write}. */
    static ObjectNode recipe(String dataPath, int steps) throws IOException {
        String yaml = """
                model: {family: gpt2, n_layer: 2, n_head: 2, d_model: 32, context_length: 32, bias: true}
                data: {val_fraction: 0.1, order: random}
                train: {batch_size: 4, seq_len: 32, grad_accum: 2, max_steps: %d, lr: 3.0e-3, min_lr: 3.0e-4, warmup_steps: %d,
                        weight_decay: 0.1, beta2: 0.99, grad_clip: 1.0, dropout: 0.1, seed: 5, log_interval: 1000,
                        measure_gemm_ceiling: false}
                eval: {interval: 10, batches: 2, sample_interval: 15, sample_tokens: 20}
                checkpoint: {interval: 1, keep: 2}
                """.formatted(steps, Math.min(5, steps));
        ObjectNode n = (ObjectNode) ModelConfigFiles.yaml().readTree(yaml);
        ((ObjectNode) n.get("data")).put("path", dataPath);
        return n;
    }

    static Path write(ObjectNode recipe, Path file) throws IOException {
        ModelConfigFiles.yaml().writeValue(file.toFile(), recipe);
        return file;
    }
}
