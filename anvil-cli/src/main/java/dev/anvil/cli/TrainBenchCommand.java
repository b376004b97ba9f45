package dev.anvil.cli;

import dev.anvil.core.autograd.Tape;
import dev.anvil.core.autograd.Var;
import dev.anvil.core.compute.ComputePool;
import dev.anvil.core.optim.AdamW;
import dev.anvil.core.optim.LearningRateSchedule;
import dev.anvil.core.optim.ParameterGroup;
import dev.anvil.core.random.Rng;
import dev.anvil.model.ModelConfig;
import dev.anvil.model.ModelConfigFiles;
import dev.anvil.model.Transformer;
import dev.anvil.model.TransformerLayout;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code anvil bench train}: median time of one full training step (forward + backward + AdamW).
 * {@code flops_per_token} is the count the trainer's MFU figure uses ({@link ModelConfig#trainingFlopsPerToken}:
 * 6 per weight in a matrix product plus 12·layers·width·T for attention), so
 * flops_per_token × tokens_per_second is the step's achieved training FLOP/s.
 */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Times training steps (forward, backward, AdamW) on random tokens and prints the median ms/step and tokens/s.",
        footer = {"", "Examples:", "  bin/anvil bench train --model gpt2 --batch-size 4 --seq-len 64 --threads 2",
                "  bin/anvil bench train --model d6 --steps 20 --json", "  bin/anvil bench train --model my-model.yaml"})
public final class TrainBenchCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, paramLabel = "CONFIG",
            description = "A model config file (YAML/JSON), or gpt2 (124M), or d<N> for a GPT-2 of depth N.")
    String model;

    @Option(names = {"--batch-size", "--batch"}, defaultValue = "4", paramLabel = "B", description = "Batch size B (default: ${DEFAULT-VALUE}).") int batch;
    @Option(names = {"--seq-len", "--seq"}, defaultValue = "64", paramLabel = "T", description = "Sequence length T (default: ${DEFAULT-VALUE}).") int seq;
    @Option(names = "--steps", defaultValue = "10", description = "Timed steps (default: ${DEFAULT-VALUE}).") int steps;
    @Option(names = "--warmup", defaultValue = "3", description = "Untimed warm-up steps (default: ${DEFAULT-VALUE}).") int warmup;

    @Override
    public Integer call() throws Exception {
        ModelConfig config = switch (model) {
            case "gpt2", "gpt2-124m" -> ModelConfig.gpt2Small();
            default -> model.matches("d\\d+") ? ModelConfig.fromDepth(ModelConfig.Family.GPT2, Integer.parseInt(model.substring(1)), 50257, 1024)
                    : ModelConfigFiles.read(Path.of(model));
        };
        if (seq > config.contextLength()) throw new UsageException("--seq-len " + seq + " is longer than the model's context of " + config.contextLength());
        if (batch < 1 || seq < 1 || steps < 1 || warmup < 0) throw new UsageException("--batch-size, --seq-len and --steps must be positive and --warmup not negative");
        Output.log().printf("%s; B=%d T=%d, %d threads%n", config.summary(), batch, seq, ComputePool.shared().threads());
        Transformer net = new Transformer(config);
        net.initialize(new Rng(1));
        AdamW adamw = new AdamW(net.parameters(), net.gradients(),
                ParameterGroup.decayAndNoDecay(net.parameters().layout(), n -> TransformerLayout.isMatrix(net.parameters().layout().entry(n)), 0.1),
                AdamW.Config.defaults());
        LearningRateSchedule lr = LearningRateSchedule.constant(1e-4);
        Rng rng = new Rng(2);
        int n = batch * seq;
        int[] tokens = new int[n], targets = new int[n];
        for (int i = 0; i < n; i++) {
            tokens[i] = rng.nextInt(config.vocabSize());
            targets[i] = rng.nextInt(config.vocabSize());
        }
        Tape tape = new Tape();
        double[] ms = new double[steps];
        float loss = 0;
        for (int s = 0; s < warmup + steps; s++) {
            long t0 = System.nanoTime();
            net.zeroGradients();
            tape.reset();
            Var l = net.loss(tape, tokens, targets, 0, batch, seq, 0f, 0);
            tape.backward(l);
            adamw.step(lr.at(s));
            loss = l.value().get(0);
            double elapsed = (System.nanoTime() - t0) / 1e6;
            if (s >= warmup) ms[s - warmup] = elapsed;
        }
        Arrays.sort(ms);
        double median = ms[steps / 2];
        float lastLoss = loss;
        Output.result(Output.object().put("model", config.summary()).put("batch_size", batch).put("seq_len", seq).put("threads", ComputePool.shared().threads())
                        .put("steps", steps).put("median_ms", median).put("min_ms", ms[0]).put("max_ms", ms[steps - 1])
                        .put("tokens_per_second", n / (median / 1e3)).put("last_loss", lastLoss)
                        .put("flops_per_token", config.trainingFlopsPerToken(seq)),
                () -> System.out.printf(Locale.ROOT, "median %.1f ms/step (min %.1f, max %.1f over %d steps), %.0f tokens/s, last loss %.4f%n",
                        median, ms[0], ms[steps - 1], steps, n / (median / 1e3), lastLoss));
        return 0;
    }
}
