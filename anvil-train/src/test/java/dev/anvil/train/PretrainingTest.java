package dev.anvil.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.anvil.core.compute.ComputePool;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class PretrainingTest {

    @Test
    void llamaFamilyLearnsAndTheRunDirectoryIsComplete(@TempDir Path dir) throws Exception {
        ComputePool.setDefaultThreads(2);
        ObjectNode recipe = TrainingFixtures.recipe(TrainingFixtures.corpus(dir).toString(), 60);
        ObjectNode model = (ObjectNode) recipe.get("model");
        model.removeAll();
        model.put("family", "llama").put("n_layer", 2).put("n_head", 4).put("n_kv_head", 2).put("d_model", 32).put("context_length", 32);
        ((ObjectNode) recipe.get("checkpoint")).put("interval", 25).put("keep", 1);
        ((ObjectNode) recipe.get("eval")).put("interval", 30);
        Path run = dir.resolve("run");
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        Trainer.Summary s = new Pretraining(TrainingConfig.fromTree(recipe), run, false, new PrintStream(console, true)).run();

        List<JsonNode> metrics = MetricsLog.read(run.resolve("metrics.jsonl"));
        List<JsonNode> evals = metrics.stream().filter(n -> n.get("type").asText().equals("eval")).toList();
        assertThat(evals).extracting(n -> n.get("step").asLong()).containsExactly(0L, 30L, 60L);
        assertThat(evals.getLast().get("val_loss").asDouble()).isLessThan(evals.getFirst().get("val_loss").asDouble() - 0.5);
        assertThat(evals.getLast().get("val_bpb").asDouble()).isGreaterThan(0).isLessThan(evals.getFirst().get("val_bpb").asDouble());
        assertThat(metrics.stream().filter(n -> n.get("type").asText().equals("sample"))).isNotEmpty();
        assertThat(s.steps()).isEqualTo(60);
        assertThat(Files.readString(run.resolve("report.html"))).contains("<svg", "<polyline", "llama 2L 4H/2kv");
        assertThat(run.resolve("checkpoints/step_000060/model.safetensors")).exists();
        assertThat(run.resolve("checkpoints/step_000025")).doesNotExist();
        assertThat(run.resolve("tokenizer/tokenizer.json")).exists();
        assertThat(console.toString()).contains("parameters", "val loss", "done: 60 steps");
    }
}
