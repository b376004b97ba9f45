package dev.anvil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code anvil run}'s answers to bad input, before any stage runs. */
class RunCommandTest {
    @Test
    void badRecipeExitsWithTwoAndNamesKeyAndLine(@TempDir Path dir) throws IOException {
        Path recipe = dir.resolve("bad.yaml");
        Files.writeString(recipe, "data:\n  corpus: europarl\ntrain:\n  model: {family: llama, n_layer: 2, n_head: 2, d_model: 64, context_length: 64}\n  lr: fast\n");
        TokenizerCommandTest.Run r = TokenizerCommandTest.run("run", recipe.toString(), "--out", dir.resolve("run").toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains(recipe + ":5: train.lr: expected a number, got 'fast'");
        assertThat(dir.resolve("run")).doesNotExist();

        TokenizerCommandTest.Run unknown = TokenizerCommandTest.run("run", recipe.toString(), "--set", "train.lr=1e-3", "--set", "tokenizer.vocab=9");
        assertThat(unknown.exit()).isEqualTo(2);
        assertThat(unknown.err()).contains("--set tokenizer.vocab=9: tokenizer.vocab: unknown key");

        TokenizerCommandTest.Run stage = TokenizerCommandTest.run("run", recipe.toString(), "--set", "train.lr=1e-3", "--from", "training");
        assertThat(stage.exit()).isEqualTo(2);
        assertThat(stage.err()).contains("--from: no stage 'training' (stages: data, tokenizer, tokenize, train, eval, sample, export, report)");
    }

    @Test
    void missingCorpusPathExitsWithOneBeforeAnyStage(@TempDir Path dir) throws IOException {
        Path recipe = dir.resolve("mine.yaml");
        Files.writeString(recipe, "data:\n  inputs: [texts/]\ntrain:\n  model: {family: llama, n_layer: 2, n_head: 2, d_model: 64, context_length: 64}\n");
        TokenizerCommandTest.Run r = TokenizerCommandTest.run("run", recipe.toString(), "--out", dir.resolve("run").toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("stage data: corpus path " + dir.resolve("texts") + " does not exist");
        assertThat(dir.resolve("run/data")).doesNotExist();
    }
}
