package dev.anvil.cli.recipe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RecipeYamlTest {
    static final Path REPO_RECIPES = Path.of("..", "recipes");

    static final String SMALL = """
            name: small
            data:
              corpus: europarl
              max_documents: 100
            tokenizer:
              vocab_size: 512
            train:
              model:
                family: llama
                n_layer: 2
                n_head: 2
                d_model: 64
                context_length: 64
              batch_size: 4
              max_steps: 10
              warmup_steps: 2
            """;

    static Recipe parse(String yaml, String... overrides) {
        return RecipeYaml.parse(yaml, "small.yaml", Path.of("").toAbsolutePath(), "small", List.of(overrides));
    }

    @Test
    void fillsDefaultsAndKeepsTheTrainingRecipeShape() {
        Recipe r = parse(SMALL);
        assertThat(r.name()).isEqualTo("small");
        assertThat(r.data().corpus()).isEqualTo("europarl");
        assertThat(r.tokenizer().vocabSize()).isEqualTo(512);
        assertThat(r.tokenizer().specialTokens()).containsExactly("<|endoftext|>");
        assertThat(r.tokenize().valFraction()).isEqualTo(0.05);
        assertThat(r.training().train().batchSize()).isEqualTo(4);
        assertThat(r.training().train().lr()).isEqualTo(1e-3); // TrainingConfig's default
        assertThat(r.training().data().valFraction()).isEqualTo(0.05); // the tokenize split, passed through
        assertThat(r.resolved().at("/train/lr").asDouble()).isEqualTo(1e-3);
        assertThat(r.resolved().at("/sample/top_k").asInt()).isEqualTo(40);
        assertThat(r.export().format()).isEqualTo("none");
    }

    @Test
    void overridesAreAppliedAndTypedLikeTheFile() {
        Recipe r = parse(SMALL, "train.lr=6e-4", "train.model.n_layer=3", "sample.prompts=[a, b]", "data.max_documents=50");
        assertThat(r.training().train().lr()).isEqualTo(6e-4); // YAML 1.1 reads 6e-4 as text; it is a number here
        assertThat(r.training().model().get("n_layer").asInt()).isEqualTo(3);
        assertThat(r.sample().prompts()).containsExactly("a", "b");
        assertThat(r.data().maxDocuments()).isEqualTo(50);
    }

    @Test
    void unknownKeyIsNamedWithItsLine() {
        String yaml = SMALL.replace("  batch_size: 4", "  batch_size: 4\n  lrr: 0.1");
        assertThatThrownBy(() -> parse(yaml)).isInstanceOf(RecipeException.class)
                .hasMessageStartingWith("small.yaml:15: train.lrr: unknown key")
                .satisfies(e -> {
                    assertThat(((RecipeException) e).line()).isEqualTo(15);
                    assertThat(((RecipeException) e).key()).isEqualTo("train.lrr");
                });
        assertThatThrownBy(() -> parse(SMALL + "evaluation: {}\n")).hasMessageStartingWith("small.yaml:17: evaluation: unknown key (known sections: name, run_dir, data,");
    }

    @Test
    void wrongTypeIsNamedWithItsLine() {
        // model keys are ModelConfigFiles' to check (the one list of them): located at the model section, named in the message
        assertThatThrownBy(() -> parse(SMALL.replace("n_layer: 2", "n_layer: two")))
                .hasMessage("small.yaml:8: train.model: model config: 'n_layer' must be an integer, got \"two\"");
        assertThatThrownBy(() -> parse(SMALL.replace("vocab_size: 512", "vocab_size: [512]")))
                .hasMessage("small.yaml:6: tokenizer.vocab_size: expected a whole number, got a list");
        assertThatThrownBy(() -> parse(SMALL.replace("family: llama", "family: mamba")))
                .hasMessageStartingWith("small.yaml:8: train.model: ").hasMessageContaining("mamba");
        assertThatThrownBy(() -> parse(SMALL + "export: {format: onnx}\n"))
                .hasMessageStartingWith("small.yaml:17: export.format: expected one of none, gguf, hf");
    }

    @Test
    void everyModelKeyIsAccepted() {
        Recipe r = parse(SMALL.replace("family: llama", "family: gpt2").replace("  context_length: 64", "  context_length: 64\n    activation: gelu"),
                "train.model.norm_eps=1e-6");
        assertThat(r.training().model().get("activation").asText()).isEqualTo("gelu");
        assertThat(r.training().model().get("norm_eps").asDouble()).isEqualTo(1e-6);
        assertThatThrownBy(() -> parse(SMALL, "train.model.n_layers=3")).hasMessageContaining("unknown field(s) [n_layers]");
    }

    @Test
    void overridesAreAsStrict() {
        assertThatThrownBy(() -> parse(SMALL, "train.lrr=1")).hasMessageStartingWith("--set train.lrr=1: train.lrr: unknown key 'lrr' in train");
        assertThatThrownBy(() -> parse(SMALL, "train.lr=fast")).hasMessage("--set train.lr=fast: train.lr: expected a number, got 'fast'");
        assertThatThrownBy(() -> parse(SMALL, "train.lr")).hasMessageStartingWith("--set train.lr: expected KEY=VALUE");
    }

    @Test
    void valuesOutOfRangeAndBadPipelineStepsAreLocated() {
        assertThatThrownBy(() -> parse(SMALL.replace("max_steps: 10", "max_steps: -1"))).hasMessageContaining("train.max_steps must be positive");
        assertThatThrownBy(() -> parse(SMALL.replace("max_documents: 100", "max_documents: 100\n  steps: [normalize, {language: {keep: [xx]}}]")))
                .hasMessageStartingWith("small.yaml:5: data.steps[1].language: language 'xx' is kept but not among the candidates");
        assertThatThrownBy(() -> parse(SMALL.replace("corpus: europarl", "corpus: europarl\n  inputs: [a.txt]")))
                .hasMessageStartingWith("small.yaml:2: data: give either a built-in corpus");
        assertThatThrownBy(() -> parse(SMALL.replace("d_model: 64", "d_model: 65"))).hasMessageStartingWith("small.yaml:8: train.model:");
        assertThatThrownBy(() -> parse("data: [1\n")).isInstanceOf(RecipeException.class).hasMessageContaining("not valid YAML");
    }

    @Test
    void theRepositoryRecipesAreValid(@TempDir Path dir) throws IOException {
        Recipe quick = RecipeYaml.load(REPO_RECIPES.resolve("quickstart.yaml"), List.of());
        assertThat(quick.training().model().get("family").asText()).isEqualTo("llama");
        assertThat(quick.export().format()).isEqualTo("gguf");

        Recipe sc = RecipeYaml.load(REPO_RECIPES.resolve("shakespeare-char.run.yaml"), List.of("train.max_steps=100"));
        assertThat(sc.name()).isEqualTo("shakespeare-char");
        assertThat(sc.tokenizer().type()).isEqualTo("char");
        assertThat(sc.training().train().batchSize()).isEqualTo(12); // from recipes/shakespeare-char.yaml via train.config
        assertThat(sc.training().train().maxSteps()).isEqualTo(100);
        assertThat(sc.training().model().get("d_model").asInt()).isEqualTo(128);
        assertThat(sc.training().data().order().name()).isEqualTo("RANDOM");

        Path corpus = Files.createDirectories(dir.resolve("corpus"));
        Recipe mine = RecipeYaml.load(REPO_RECIPES.resolve("my-corpus.yaml"), List.of("data.inputs=" + corpus));
        assertThat(mine.data().inputs()).containsExactly(corpus.toAbsolutePath());
        assertThat(mine.data().pipeline(mine.data().inputs(), dir.resolve("out")).steps()).hasSize(7);
    }

    @Test
    void missingCorpusPathNamesThePathAndTheStage(@TempDir Path dir) {
        Recipe r = parse(SMALL.replace("corpus: europarl", "inputs: [" + dir.resolve("nowhere.txt") + "]"));
        assertThatThrownBy(() -> DataStage.checkInputs(r)).isInstanceOf(DataStage.MissingInputException.class)
                .hasMessageStartingWith("stage data: corpus path " + dir.resolve("nowhere.txt") + " does not exist");
    }
}
