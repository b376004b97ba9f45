package dev.anvil.cli;

import dev.anvil.train.Pretraining;
import dev.anvil.train.TrainingConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code anvil train}: pretrain a model from a recipe. */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Pretrains a GPT-2 or Llama family model from token shards (or a text file, with a character vocabulary).")
public final class TrainCommand implements Callable<Integer> {

    @Option(names = "--config", required = true, paramLabel = "RECIPE", description = "The training recipe (YAML), e.g. recipes/shakespeare-char.yaml.")
    Path config;

    @Option(names = "--data", paramLabel = "PATH", description = "Token shard directory (from `anvil tokenize`) or a text file; overrides data.path.")
    String data;

    @Option(names = "--out", paramLabel = "RUN_DIR", description = "Run directory (default: runs/<recipe name>).")
    Path out;

    @Option(names = "--resume", description = "Continue from the newest checkpoint in the run directory.")
    boolean resume;

    @Option(names = "--steps", paramLabel = "N", description = "Override train.max_steps (the schedule follows).")
    Integer steps;

    @Override
    public Integer call() throws Exception {
        TrainingConfig recipe = TrainingConfig.read(config);
        if (data != null) recipe = recipe.withDataPath(data);
        if (steps != null) recipe = recipe.withMaxSteps(steps);
        Path runDir = out != null ? out : Path.of("runs", config.getFileName().toString().replaceFirst("\\.ya?ml$", ""));
        Pretraining.Summary s = new Pretraining(recipe, runDir, resume, System.out).run();
        System.out.printf("run directory: %s (metrics.jsonl, report.html, checkpoints/)%n", runDir);
        return s.steps() > 0 ? 0 : 1;
    }
}
