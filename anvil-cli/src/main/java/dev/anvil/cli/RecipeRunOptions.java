package dev.anvil.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.anvil.cli.recipe.Recipe;
import dev.anvil.cli.recipe.RecipeException;
import dev.anvil.cli.recipe.RecipeRun;
import dev.anvil.cli.recipe.StageRunner;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The options {@code anvil run} and {@code anvil quickstart} share (a picocli mixin), and how both
 * start a run and report it. A recipe that cannot run as written — unknown key, wrong type, bad
 * {@code --set}, unknown stage name — is a usage error (exit 2) before anything runs; a missing
 * corpus path or a failed stage is a failure (exit 1).
 */
final class RecipeRunOptions {

    @Option(names = {"--output", "--out"}, paramLabel = "RUN_DIR", description = "Run directory (default: the recipe's run_dir, else runs/<recipe name>).")
    Path output;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override a recipe value, e.g. --set train.lr=3e-4 (repeatable).")
    List<String> set = new ArrayList<>();

    @Option(names = "--from", paramLabel = "STAGE", description = "Re-run this stage and all later ones (earlier ones must be up to date).")
    String from;

    @Option(names = "--until", paramLabel = "STAGE", description = "Stop after this stage.")
    String until;

    @Option(names = "--force", paramLabel = "STAGE", split = ",", description = "Re-run this stage even if it is up to date (repeatable; later stages follow).")
    List<String> force = new ArrayList<>();

    int run(RecipeRun.Source source) throws Exception {
        Recipe recipe;
        StageRunner.Options options;
        try {
            recipe = source.read();
            options = new StageRunner.Options(from, until, Set.copyOf(force));
        } catch (RecipeException | IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        boolean text = Output.mode() == Output.Mode.TEXT;
        RecipeRun.Result r = RecipeRun.execute(recipe, options, output, text ? System.err : Output.log(), text);
        Output.result(json(r), () -> r.print(System.out));
        return 0;
    }

    private static ObjectNode json(RecipeRun.Result r) {
        ObjectNode o = Output.object().put("run_dir", r.runDir().toString());
        Output.putNumber(o, "seconds", r.seconds());
        ArrayNode stages = o.putArray("stages");
        for (StageRunner.Outcome s : r.outcomes()) {
            ObjectNode st = stages.addObject().put("stage", s.stage()).put("action", s.action()).put("fingerprint", s.fingerprint());
            Output.putNumber(st, "seconds", s.seconds());
            if (s.summary() != null) st.set("summary", s.summary());
        }
        if (r.report() != null) o.put("report", r.report().toString());
        ArrayNode next = o.putArray("next_commands");
        r.nextCommands().forEach(next::add);
        return o;
    }
}
