package dev.anvil.cli.recipe;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * {@code anvil run} and {@code anvil quickstart}: read the recipe (a bad one stops here, exit
 * code 2), check the corpus paths (a missing one stops here, exit code 1), run the stages, then
 * print where the report is and the commands to go on with.
 */
public final class RecipeRun {
    /** Exit code of a recipe that cannot run as written (unknown key, wrong type, bad value) and of bad options. */
    public static final int BAD_RECIPE = 2;

    /** Reads a recipe, throwing {@link RecipeException} when it is not valid. */
    @FunctionalInterface
    public interface Source {
        Recipe read() throws Exception;
    }

    private RecipeRun() {}

    public static int execute(Source source, Path out, String from, String until, List<String> force, PrintStream stdout, PrintStream stderr) throws Exception {
        Recipe recipe;
        StageRunner.Options options;
        try {
            recipe = source.read();
            options = new StageRunner.Options(from, until, force == null ? null : java.util.Set.copyOf(force));
        } catch (RecipeException | IllegalArgumentException e) {
            stderr.println("anvil: error: " + e.getMessage());
            return BAD_RECIPE;
        }
        Path runDir = out != null ? out : Path.of(recipe.runDir() != null ? recipe.runDir() : "runs/" + recipe.name());
        stdout.printf("recipe %s → %s%n", recipe.source(), runDir);
        long t0 = System.nanoTime();
        List<StageRunner.Outcome> outcomes;
        try {
            outcomes = new StageRunner(recipe, runDir, options, stderr).run();
        } catch (DataStage.MissingInputException e) {
            stderr.println("anvil: error: " + e.getMessage());
            return 1;
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        long ran = outcomes.stream().filter(o -> !o.action().equals("reused")).count();
        stdout.printf(Locale.ROOT, "%d of %d stages ran, %d reused, in %s (stage log: %s)%n", ran, outcomes.size(), outcomes.size() - ran,
                RunProgress.clock(seconds), runDir.resolve(StageRunner.STAGES_LOG));
        for (StageRunner.Outcome o : outcomes) {
            if (o.stage().equals("eval")) stdout.printf(Locale.ROOT, "val loss %.4f, %.4f bits per byte, perplexity %.2f%n",
                    o.summary().path("val_loss").asDouble(), o.summary().path("val_bpb").asDouble(), o.summary().path("perplexity").asDouble());
            if (o.stage().equals("sample")) {
                for (var s : o.summary().path("samples")) stdout.printf("--- %s%s%n", s.path("prompt").asText(), s.path("completion").asText());
            }
        }
        if (outcomes.stream().anyMatch(o -> o.stage().equals("report"))) {
            stdout.println("report: " + runDir.resolve("report.html"));
        }
        if (outcomes.stream().anyMatch(o -> o.stage().equals("train"))) {
            stdout.println("next:");
            for (String c : ReportCard.nextCommands(recipe, runDir.toString())) stdout.println("  " + c);
        }
        return 0;
    }
}
