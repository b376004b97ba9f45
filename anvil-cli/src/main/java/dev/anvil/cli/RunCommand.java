package dev.anvil.cli;

import dev.anvil.cli.recipe.RecipeYaml;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code anvil run RECIPE.yaml}: the whole flow from one file, re-using every stage whose inputs did not change. */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = {"Runs a recipe: data → tokenizer → tokenize → train → eval → sample → export → report, in RUN_DIR/<stage>/.",
                "A stage whose settings and inputs are unchanged since its last run is reused (RUN_DIR/stages.log says which ran).",
                "Exit codes: 0 done, 1 a stage failed or a corpus path is missing, 2 the recipe or the options are invalid."},
        footer = {"", "Examples:",
                "  bin/anvil run recipes/my-corpus.yaml",
                "  bin/anvil run recipes/quickstart.yaml --set train.lr=3e-4",
                "  bin/anvil run recipes/shakespeare-char.run.yaml --from train"})
public final class RunCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "RECIPE.yaml", description = "The recipe, e.g. recipes/quickstart.yaml or a copy of recipes/my-corpus.yaml.")
    Path recipe;

    @Mixin
    RecipeRunOptions run;

    @Override
    public Integer call() throws Exception {
        return run.run(() -> RecipeYaml.load(recipe, run.set));
    }
}
