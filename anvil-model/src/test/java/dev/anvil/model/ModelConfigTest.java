package dev.anvil.model;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ModelConfigTest {

    @Test
    void gpt2SmallHasThePublishedParameterCount() {
        // 124,439,808: Hugging Face's GPT2LMHeadModel (tied head), counted once per tensor.
        assertThat(ModelConfig.gpt2Small().parameterCount()).isEqualTo(124_439_808L);
    }

    @Test
    void llamaCountsEveryProjection() {
        ModelConfig c = ModelConfig.llama(1000, 128, 2, 4, 2, 64);
        int C = 64, D = 16, F = ModelConfig.llamaHidden(64);
        long perLayer = 2L * C + (long) C * 4 * D + 2L * C * 2 * D + (long) 4 * D * C + 3L * C * F;
        assertThat(c.parameterCount()).isEqualTo(1000L * C + 2 * perLayer + C + 1000L * C);
        assertThat(F).isEqualTo(192);
    }

    @Test
    void flopsPerTokenFollowTheSixNRule() {
        ModelConfig c = ModelConfig.gpt2Small();
        double n = c.parameterCount() - 1024.0 * 768;
        assertThat(c.trainingFlopsPerToken(1024)).isEqualTo(6 * n + 12.0 * 12 * 768 * 1024);
    }

    @Test
    void impossibleShapesAreRejectedWithTheField() {
        assertThatThrownBy(() -> ModelConfig.gpt2(100, 64, 2, 3, 128, true)).hasMessageContaining("n_head = 3 does not divide d_model = 128");
        assertThatThrownBy(() -> ModelConfig.llama(100, 64, 2, 4, 3, 128)).hasMessageContaining("n_kv_head = 3 does not divide n_head = 4");
        assertThatThrownBy(() -> ModelConfig.gpt2(0, 64, 2, 2, 128, true)).hasMessageContaining("vocab_size must be positive");
        assertThatThrownBy(() -> ModelConfig.llama(100, 64, 2, 2, 2, 6)).hasMessageContaining("even head size");
    }

    @Test
    void depthDialGivesWidthAndHeads() {
        ModelConfig d4 = ModelConfig.fromDepth(ModelConfig.Family.GPT2, 4, 65, 64);
        assertThat(d4.width()).isEqualTo(256);
        assertThat(d4.heads()).isEqualTo(2);
        assertThat(d4.layers()).isEqualTo(4);
        ModelConfig d20 = ModelConfig.fromDepth(ModelConfig.Family.LLAMA, 20, 65536, 2048);
        assertThat(d20.width()).isEqualTo(1280);
        assertThat(d20.heads()).isEqualTo(10);
        assertThat(d20.headDim()).isEqualTo(128);
    }

    @Test
    void yamlFileRoundTripsAndDepthFilesWork(@TempDir Path dir) throws Exception {
        ModelConfig c = ModelConfig.llama(512, 256, 3, 8, 2, 128);
        Path f = dir.resolve("m.yaml");
        ModelConfigFiles.write(c, f);
        assertThat(ModelConfigFiles.read(f)).isEqualTo(c);

        Path depth = dir.resolve("d.yaml");
        Files.writeString(depth, "family: gpt2\ndepth: 2\nvocab_size: 65\ncontext_length: 64\n");
        assertThat(ModelConfigFiles.read(depth).width()).isEqualTo(128);

        Path json = dir.resolve("m.json");
        Files.writeString(json, "{\"family\": \"gpt2\", \"vocab_size\": 65, \"context_length\": 64, \"n_layer\": 4, \"n_head\": 4, \"d_model\": 128, \"bias\": false}");
        assertThat(ModelConfigFiles.read(json)).isEqualTo(ModelConfig.gpt2(65, 64, 4, 4, 128, false));
    }

    @Test
    void activationDefaultsToTheFamilysAndRoundTripsWhenChosen(@TempDir Path dir) throws Exception {
        assertThat(ModelConfig.gpt2(65, 64, 4, 4, 128, false).activation()).isEqualTo(ModelConfig.Activation.GELU_TANH);
        assertThat(ModelConfig.llama(65, 64, 2, 4, 2, 64).activation()).isEqualTo(ModelConfig.Activation.SWIGLU);

        Path f = dir.resolve("erf.yaml");
        Files.writeString(f, "family: gpt2\nvocab_size: 65\ncontext_length: 64\nn_layer: 4\nn_head: 4\nd_model: 128\nbias: false\nactivation: gelu\n");
        ModelConfig erf = ModelConfigFiles.read(f);
        assertThat(erf).isEqualTo(ModelConfig.gpt2(65, 64, 4, 4, 128, false).withActivation(ModelConfig.Activation.GELU));
        assertThat(erf.summary()).contains(" gelu ");
        Path back = dir.resolve("back.yaml");
        ModelConfigFiles.write(erf, back);
        assertThat(ModelConfigFiles.read(back)).isEqualTo(erf);

        // The family's default is not written, so trees of configs from before the field are unchanged.
        assertThat(ModelConfigFiles.toTree(ModelConfig.gpt2(65, 64, 4, 4, 128, false)).has("activation")).isFalse();
        assertThat(ModelConfigFiles.toTree(erf).get("activation").asText()).isEqualTo("gelu");

        Path wrongFamily = dir.resolve("w.yaml");
        Files.writeString(wrongFamily, "family: llama\nvocab_size: 65\ncontext_length: 64\nn_layer: 2\nn_head: 4\nd_model: 64\nactivation: gelu\n");
        assertThatThrownBy(() -> ModelConfigFiles.read(wrongFamily)).hasMessageContaining("no activation 'gelu'");
        Path unknown = dir.resolve("u.yaml");
        Files.writeString(unknown, "family: gpt2\nvocab_size: 65\ncontext_length: 64\nn_layer: 2\nn_head: 4\nd_model: 64\nactivation: relu\n");
        assertThatThrownBy(() -> ModelConfigFiles.read(unknown)).hasMessageContaining("activation must be gelu").hasMessageContaining("'relu'");
    }

    @Test
    void unknownOrMissingFieldsAreNamed(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("bad.yaml");
        Files.writeString(f, "family: gpt2\nvocab_size: 65\ncontext_length: 64\nn_layer: 4\nn_heads: 4\nd_model: 128\n");
        assertThatThrownBy(() -> ModelConfigFiles.read(f)).hasMessageContaining("unknown field(s) [n_heads]");
        JsonNode noFamily = ModelConfigFiles.yaml().readTree("n_layer: 2");
        assertThatThrownBy(() -> ModelConfigFiles.fromTree(noFamily)).hasMessageContaining("'family'");
    }

    @Test
    void wronglyTypedOptionalFieldsAreNamedNotDefaulted() throws Exception {
        String base = "family: llama\nvocab_size: 65\ncontext_length: 64\nn_layer: 2\nn_head: 2\nd_model: 32\n";
        for (String[] c : new String[][] {{"tie_embeddings: ture", "'tie_embeddings' must be true or false"}, {"bias: 1", "'bias' must be true or false"},
                {"rope_theta: big", "'rope_theta' must be a number"}, {"norm_eps: [1]", "'norm_eps' must be a number"}}) {
            JsonNode tree = ModelConfigFiles.yaml().readTree(base + c[0] + "\n");
            assertThatThrownBy(() -> ModelConfigFiles.fromTree(tree)).as(c[0]).hasMessageContaining(c[1]);
        }
        // Numbers YAML 1.1 reads as text still count, and the defaults still apply when a field is absent.
        ModelConfig c = ModelConfigFiles.fromTree(ModelConfigFiles.yaml().readTree(base + "rope_theta: 5e5\ntie_embeddings: true\n"));
        assertThat(c.ropeTheta()).isEqualTo(5e5);
        assertThat(c.tiedEmbeddings()).isTrue();
        assertThat(ModelConfigFiles.fromTree(ModelConfigFiles.yaml().readTree(base)).ropeTheta()).isEqualTo(10000.0);
    }
}
