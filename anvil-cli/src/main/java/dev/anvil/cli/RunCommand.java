package dev.anvil.cli;

import dev.anvil.cli.recipe.RecipeRun;
import dev.anvil.cli.recipe.RecipeYaml;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code anvil run RECIPE.yaml}: the whole flow from one file, re-using every stage whose inputs did not change. */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = {"Runs a recipe: data → tokenizer → tokenize → train → eval → sample → export → report, in RUN_DIR/<stage>/.",
                "A stage whose settings and inputs are unchanged since its last run is reused (RUN_DIR/stages.log says which ran).",
                "Exit codes: 0 done, 1 a stage failed or a corpus path is missing, 2 the recipe or the options are invalid."})
public final class RunCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "RECIPE.yaml", description = "The recipe, e.g. recipes/quickstart.yaml or a copy of recipes/my-corpus.yaml.")
    Path recipe;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override a recipe value, e.g. --set train.lr=3e-4 --set train.model.n_layer=6 (repeatable).")
    List<String> set = new ArrayList<>();

    @Option(names = "--out", paramLabel = "RUN_DIR", description = "Run directory (default: the recipe's run_dir, else runs/<recipe name>).")
    Path out;

    @Option(names = "--from", paramLabel = "STAGE", description = "Re-run this stage and all later ones (earlier ones must be up to date).")
    String from;

    @Option(names = "--until", paramLabel = "STAGE", description = "Stop after this stage.")
    String until;

    @Option(names = "--force", paramLabel = "STAGE", split = ",", description = "Re-run this stage even if it is up to date (repeatable; later stages follow).")
    List<String> force = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        return RecipeRun.execute(() -> RecipeYaml.load(recipe, set), out, from, until, force, System.out, System.err);
    }
}
