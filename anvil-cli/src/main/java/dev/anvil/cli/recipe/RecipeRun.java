package dev.anvil.cli.recipe;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * {@code anvil run} and {@code anvil quickstart} after the recipe has been read: check the corpus
 * paths (a missing one stops here, before any stage), run the stages, and say what happened —
 * where the report is, the eval numbers, the samples and the commands to go on with.
 */
public final class RecipeRun {

    /** Reads a recipe, throwing {@link RecipeException} when it is not valid. */
    @FunctionalInterface
    public interface Source {
        Recipe read() throws Exception;
    }

    /** What a run did: every stage's outcome (ran, reused or forced), in order. */
    public record Result(Recipe recipe, Path runDir, List<StageRunner.Outcome> outcomes, double seconds) {
        public long stagesRun() {
            return outcomes.stream().filter(o -> !o.action().equals("reused")).count();
        }

        public StageRunner.Outcome outcome(String stage) {
            return outcomes.stream().filter(o -> o.stage().equals(stage)).findFirst().orElse(null);
        }

        public Path report() {
            return outcome("report") == null ? null : runDir.resolve("report.html");
        }

        /** The commands to chat with and export the model (none when the run stopped before training). */
        public List<String> nextCommands() {
            return outcome("train") == null ? List.of() : ReportCard.nextCommands(recipe, runDir.toString());
        }

        /** The run told to a person. */
        public void print(PrintStream out) {
            out.printf(Locale.ROOT, "%d of %d stages ran, %d reused, in %s (stage log: %s)%n", stagesRun(), outcomes.size(),
                    outcomes.size() - stagesRun(), RunProgress.clock(seconds), runDir.resolve(StageRunner.STAGES_LOG));
            StageRunner.Outcome eval = outcome("eval");
            if (eval != null) out.printf(Locale.ROOT, "val loss %.4f, %.4f bits per byte, perplexity %.2f%n",
                    eval.summary().path("val_loss").asDouble(), eval.summary().path("val_bpb").asDouble(), eval.summary().path("perplexity").asDouble());
            StageRunner.Outcome sample = outcome("sample");
            if (sample != null) {
                for (var s : sample.summary().path("samples")) out.printf("--- %s%s%n", s.path("prompt").asText(), s.path("completion").asText());
            }
            if (report() != null) out.println("report: " + report());
            if (!nextCommands().isEmpty()) {
                out.println("next:");
                for (String c : nextCommands()) out.println("  " + c);
            }
        }
    }

    private RecipeRun() {}

    /**
     * Runs the stages of {@code recipe} in {@code out} (default: the recipe's run_dir, else
     * runs/&lt;name&gt;). Stage lines go to {@code console}; {@code animate} draws the progress bar.
     */
    public static Result execute(Recipe recipe, StageRunner.Options options, Path out, PrintStream console, boolean animate) throws Exception {
        Path runDir = out != null ? out : Path.of(recipe.runDir() != null ? recipe.runDir() : "runs/" + recipe.name());
        console.printf("recipe %s → %s%n", recipe.source(), runDir);
        long t0 = System.nanoTime();
        List<StageRunner.Outcome> outcomes = new StageRunner(recipe, runDir, options, console, animate).run();
        return new Result(recipe, runDir, outcomes, (System.nanoTime() - t0) / 1e9);
    }
}
