package dev.anvil.train;

import dev.anvil.model.ModelConfig;
import dev.anvil.model.ModelConfigFiles;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The two shakespeare-char recipes claim to be nanoGPT's run with two blocks of the same size:
 * everything but {@code model.family}, the SwiGLU width and the head flag must be equal, and the
 * models must have the same parameter count and FLOPs within 1%.
 */
class ShakespeareCharRecipesTest {

    private static final Path RECIPES = Path.of("..", "recipes");

    @Test
    void llamaAndGpt2RecipesDifferOnlyInTheBlock() throws IOException {
        TrainingConfig llama = TrainingConfig.read(RECIPES.resolve("shakespeare-char.yaml"));
        TrainingConfig gpt2 = TrainingConfig.read(RECIPES.resolve("shakespeare-char-gpt2.yaml"));
        assertThat(llama.train()).isEqualTo(gpt2.train());
        assertThat(llama.data()).isEqualTo(gpt2.data());
        assertThat(llama.eval()).isEqualTo(gpt2.eval());
        assertThat(llama.checkpoint()).isEqualTo(gpt2.checkpoint());

        // nanoGPT's README numbers: batch 12 × block 64, 2000 steps, lr 1e-3 → 1e-4, dropout 0.
        TrainingConfig.Train t = llama.train();
        assertThat(t.batchSize()).isEqualTo(12);
        assertThat(t.seqLen()).isEqualTo(64);
        assertThat(t.maxSteps()).isEqualTo(2000);
        assertThat(t.lr()).isEqualTo(1e-3);
        assertThat(t.minLr()).isEqualTo(1e-4);
        assertThat(t.dropout()).isZero();

        ModelConfig l = ModelConfigFiles.fromTree(llama.model(), 65), g = ModelConfigFiles.fromTree(gpt2.model(), 65);
        assertThat(l.family()).isEqualTo(ModelConfig.Family.LLAMA);
        assertThat(g.family()).isEqualTo(ModelConfig.Family.GPT2);
        for (ModelConfig m : new ModelConfig[] {l, g}) {
            assertThat(m.layers()).isEqualTo(4);
            assertThat(m.heads()).isEqualTo(4);
            assertThat(m.width()).isEqualTo(128);
            assertThat(m.contextLength()).isEqualTo(64);
        }
        assertThat((double) l.parameterCount()).isCloseTo(g.parameterCount(), within(0.01 * g.parameterCount()));
        assertThat(l.trainingFlopsPerToken(64)).isCloseTo(g.trainingFlopsPerToken(64), within(0.01 * g.trainingFlopsPerToken(64)));
        // The models on their own (bench train --model, bench/lockstep-vs-torch.sh) are the recipes' models.
        assertThat(ModelConfigFiles.read(RECIPES.resolve("models/shakespeare-char.yaml"))).isEqualTo(l);
        assertThat(ModelConfigFiles.read(RECIPES.resolve("models/shakespeare-char-gpt2.yaml"))).isEqualTo(g);
    }
}
