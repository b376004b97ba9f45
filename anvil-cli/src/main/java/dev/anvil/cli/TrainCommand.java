package dev.anvil.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.anvil.model.ModelConfigFiles;
import dev.anvil.train.Pretraining;
import dev.anvil.train.Trainer;
import dev.anvil.train.TrainingConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code anvil train}: pretrain a model from a recipe. */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Pretrains a GPT-2 or Llama family model from token shards (or a text file, with a character vocabulary).",
        footer = {"", "Examples:", "  bin/anvil train --config recipes/shakespeare-char.yaml --threads 2",
                "  bin/anvil train --config my.yaml --data shards/ --output run/ --steps 500",
                "  bin/anvil train --config my.yaml --set train.seed=7 --set model.n_layer=6",
                "  bin/anvil train --config my.yaml --output runs/mine --resume --quiet"})
public final class TrainCommand implements Callable<Integer> {

    @Option(names = "--config", required = true, paramLabel = "RECIPE", description = "The training recipe (YAML), e.g. recipes/shakespeare-char.yaml.")
    Path config;

    @Option(names = "--data", paramLabel = "PATH", description = "Token shard directory (from `anvil tokenize`) or a text file; overrides data.path.")
    String data;

    @Option(names = {"--output", "--out"}, paramLabel = "RUN_DIR", description = "Run directory (default: runs/<recipe name>).")
    Path out;

    @Option(names = "--resume", description = "Continue from the newest checkpoint in the run directory.")
    boolean resume;

    @Option(names = "--steps", paramLabel = "N", description = "Override train.max_steps (the schedule follows).")
    Integer steps;

    @Option(names = "--set", paramLabel = "SECTION.KEY=VALUE", description = "Override a recipe value, e.g. --set train.seed=7 or --set model.n_layer=6 (repeatable; the value is read as YAML).")
    List<String> set = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        if (steps != null && steps < 1) throw new UsageException("--steps must be positive, got " + steps);
        if (!java.nio.file.Files.isRegularFile(config)) throw new IllegalArgumentException("--config " + config + ": no such recipe file");
        TrainingConfig recipe = TrainingConfig.read(config); // a bad file is bad input (exit 1) ...
        if (!set.isEmpty()) {
            try { // ... a bad --set is a usage error (exit 2)
                recipe = TrainingConfig.fromTree(TrainingConfig.withOverrides(ModelConfigFiles.yaml().readTree(config.toFile()), set));
                ModelConfigFiles.fromTree(recipe.model(), 256); // the model's shape (the vocabulary comes with the data)
            } catch (IllegalArgumentException e) {
                throw new UsageException(config + " with --set " + String.join(" --set ", set) + ": " + e.getMessage());
            }
        }
        if (data != null) recipe = recipe.withDataPath(data);
        if (steps != null) recipe = recipe.withMaxSteps(steps);
        Path runDir = out != null ? out : Path.of("runs", config.getFileName().toString().replaceFirst("\\.ya?ml$", ""));
        Trainer.Summary s = new Pretraining(recipe, runDir, resume, Output.log()).run();
        ObjectNode json = Output.object().put("run_dir", runDir.toString()).put("steps", s.steps());
        Output.putNumber(json, "train_loss", s.lastTrainLoss());
        Output.putNumber(json, "val_loss", s.lastValLoss());
        Output.putNumber(json, "val_bits_per_byte", s.lastValBpb());
        json.put("seconds", s.seconds());
        Output.result(json, () -> {
            if (Output.mode() == Output.Mode.QUIET) { // the per-step commentary, "done: ..." included, was not shown
                System.out.printf(java.util.Locale.ROOT, "%d steps, train loss %.4f, val loss %.4f (%.4f bits/byte)%n",
                        s.steps(), s.lastTrainLoss(), s.lastValLoss(), s.lastValBpb());
            }
            System.out.printf("run directory: %s (metrics.jsonl, report.html, checkpoints/)%n", runDir);
        });
        return s.steps() > 0 ? 0 : 1;
    }
}
