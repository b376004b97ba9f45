package dev.anvil.bench;

import dev.anvil.core.autograd.Tape;
import dev.anvil.core.autograd.Var;
import dev.anvil.core.compute.ComputePool;
import dev.anvil.core.optim.AdamW;
import dev.anvil.core.optim.GradientClipping;
import dev.anvil.core.optim.LearningRateSchedule;
import dev.anvil.core.optim.ParameterGroup;
import dev.anvil.model.ModelConfig;
import dev.anvil.model.ModelConfigFiles;
import dev.anvil.model.ModelWeights;
import dev.anvil.model.Transformer;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * The Anvil side of {@code bench/lockstep-vs-torch.sh}: repeats, step for step, the training run
 * that {@code bench/lockstep_torch.py} made in PyTorch — the same initial weights, the same batch
 * windows, the shakespeare-char recipe's AdamW / clipping / schedule — with Anvil's
 * {@link Transformer}, {@link AdamW}, {@link GradientClipping} and {@link LearningRateSchedule},
 * then compares the two per-step losses and the final whole-val-split losses.
 *
 * <p>Both sides compute in float32 with different summation orders, so the losses are expected to
 * agree to rounding (about 1e-6 on losses near 2) and to stay together: training amplifies a
 * difference only slowly at this learning rate. A wrong gradient, a different optimizer formula or
 * a schedule off by a step shows up as a gap of 1e-3 or more within the first steps.
 *
 * <p>usage: TrainLockstep DIR MODEL.yaml STEPS [THREADS]
 */
public final class TrainLockstep {

    // The shakespeare-char recipe (recipes/shakespeare-char.yaml), as in lockstep_torch.py.
    static final int B = 12, T = 64;
    static final double PEAK = 1e-3, FLOOR = 1e-4, WEIGHT_DECAY = 0.1, CLIP = 1.0;
    static final int WARMUP = 100, TOTAL = 2000;

    public static void main(String[] args) throws IOException {
        if (args.length < 3 || args.length > 4) {
            System.err.println("usage: TrainLockstep DIR MODEL.yaml STEPS [THREADS]");
            System.exit(2);
        }
        if (args.length == 4) ComputePool.setDefaultThreads(Integer.parseInt(args[3]));
        Path dir = Path.of(args[0]);
        int steps = Integer.parseInt(args[2]);
        char[] train = readU16(dir.resolve("train.u16")), val = readU16(dir.resolve("val.u16"));
        int[] starts = readI32(dir.resolve("starts.i32"));
        if (starts.length < steps * B) throw new IOException(dir.resolve("starts.i32") + ": " + starts.length + " starts, " + steps + " steps need " + steps * B);
        int vocab = 0;
        for (char c : train) vocab = Math.max(vocab, c + 1);
        for (char c : val) vocab = Math.max(vocab, c + 1);
        ModelConfig config = ModelConfigFiles.fromTree(ModelConfigFiles.yaml().readTree(Path.of(args[1]).toFile()), vocab);
        Transformer net = new Transformer(config);
        ModelWeights.load(config, net.parameters(), dir.resolve("init.safetensors"));

        List<ParameterGroup> groups = ParameterGroup.decayAndNoDecay(net.parameters().layout(),
                name -> net.parameters().layout().entry(name).shape().rank() == 2, WEIGHT_DECAY);
        AdamW adamw = new AdamW(net.parameters(), net.gradients(), groups, new AdamW.Config(0.9, 0.99, 1e-8));
        LearningRateSchedule schedule = LearningRateSchedule.warmupCosine(PEAK, WARMUP, TOTAL, FLOOR);
        int[] inputs = new int[B * T], targets = new int[B * T];
        Tape tape = new Tape();
        double[] loss = new double[steps], norm = new double[steps];
        long t0 = System.nanoTime();
        for (int s = 0; s < steps; s++) {
            window(train, starts, s * B, inputs, targets);
            net.zeroGradients();
            tape.reset();
            Var l = net.loss(tape, inputs, targets, 0, B, T, 0f, 0);
            loss[s] = l.value().get(0);
            tape.backward(l);
            norm[s] = GradientClipping.clipGlobalNorm(net.gradients().data(), CLIP);
            adamw.step(schedule.at(s));
            if ((s + 1) % 100 == 0) System.out.printf(Locale.ROOT, "anvil step %d/%d loss %.4f%n", s + 1, steps, loss[s]);
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        tape.setGradEnabled(false);
        int batches = (val.length - 1) / T / B;
        int[] valStarts = new int[B];
        double valLoss = 0;
        for (int w = 0; w < batches; w++) {
            for (int i = 0; i < B; i++) valStarts[i] = (w * B + i) * T;
            window(val, valStarts, 0, inputs, targets);
            tape.reset();
            valLoss += net.loss(tape, inputs, targets, 0, B, T, 0f, 0).value().get(0);
        }
        valLoss /= batches;
        try (PrintWriter out = new PrintWriter(Files.newBufferedWriter(dir.resolve("anvil.txt")))) {
            for (int s = 0; s < steps; s++) out.printf(Locale.ROOT, "%.7f %.7f%n", loss[s], norm[s]);
            out.printf(Locale.ROOT, "val %.7f%n", valLoss);
        }
        compare(dir, loss, norm, valLoss, seconds, config);
    }

    private static void compare(Path dir, double[] loss, double[] norm, double valLoss, double seconds, ModelConfig config) throws IOException {
        int steps = loss.length;
        double[][] torch = readTorch(dir.resolve("torch.txt"), steps);
        Path exactFile = dir.resolve("torch-float64.txt");
        double[][] exact = Files.exists(exactFile) ? readTorch(exactFile, steps) : null;
        double maxLoss = 0, maxNorm = 0, maxTorchVsExact = 0, maxAnvilVsExact = 0;
        int worst = 0;
        System.out.printf(Locale.ROOT, "%s, %d steps of %d × %d (Anvil %.1f s)%n", config.summary(), steps, B, T, seconds);
        System.out.printf("%6s  %11s  %11s  %9s%s%n", "step", "torch loss", "anvil loss", "|Δ|", exact == null ? "" : "  float64 loss");
        for (int s = 0; s < steps; s++) {
            double d = Math.abs(torch[0][s] - loss[s]);
            maxNorm = Math.max(maxNorm, Math.abs(torch[1][s] - norm[s]) / Math.max(1e-12, torch[1][s]));
            if (d > maxLoss) {
                maxLoss = d;
                worst = s + 1;
            }
            if (exact != null) {
                maxTorchVsExact = Math.max(maxTorchVsExact, Math.abs(torch[0][s] - exact[0][s]));
                maxAnvilVsExact = Math.max(maxAnvilVsExact, Math.abs(loss[s] - exact[0][s]));
            }
            if (s < 3 || (s + 1) % Math.max(1, steps / 8) == 0 || s == steps - 1) {
                System.out.printf(Locale.ROOT, "%6d  %11.7f  %11.7f  %9.2e%s%n", s + 1, torch[0][s], loss[s], d,
                        exact == null ? "" : String.format(Locale.ROOT, "  %11.7f", exact[0][s]));
            }
        }
        System.out.printf(Locale.ROOT, "largest |Δ loss| %.2e (step %d); largest relative Δ gradient norm %.2e%n", maxLoss, worst, maxNorm);
        System.out.printf(Locale.ROOT, "whole val split after step %d: torch %.4f, anvil %.4f (|Δ| %.1e)%n", steps, torch[2][0], valLoss, Math.abs(torch[2][0] - valLoss));
        if (exact != null) {
            // float32 rounding alone moves a long run: how far each float32 run strays from the float64 one.
            System.out.printf(Locale.ROOT, "against torch in float64: largest |Δ loss| torch float32 %.2e, anvil %.2e; val float64 %.4f "
                    + "(torch float32 off by %.1e, anvil by %.1e)%n", maxTorchVsExact, maxAnvilVsExact, exact[2][0],
                    Math.abs(torch[2][0] - exact[2][0]), Math.abs(valLoss - exact[2][0]));
        }
    }

    /** A torch log: per step "loss norm", then "val LOSS"; as {losses, norms, {val}}. */
    private static double[][] readTorch(Path file, int steps) throws IOException {
        List<String> lines = Files.readAllLines(file);
        if (lines.size() != steps + 1 || !lines.get(steps).startsWith("val ")) {
            throw new IOException(file + ": " + lines.size() + " lines, expected " + steps + " steps and a val line");
        }
        double[][] out = {new double[steps], new double[steps], new double[1]};
        for (int s = 0; s < steps; s++) {
            String[] f = lines.get(s).trim().split(" ");
            out[0][s] = Double.parseDouble(f[0]);
            out[1][s] = Double.parseDouble(f[1]);
        }
        out[2][0] = Double.parseDouble(lines.get(steps).substring(4).trim());
        return out;
    }

    private static void window(char[] data, int[] starts, int first, int[] inputs, int[] targets) {
        for (int b = 0; b < B; b++) {
            int s = starts[first + b];
            for (int t = 0; t < T; t++) {
                inputs[b * T + t] = data[s + t];
                targets[b * T + t] = data[s + t + 1];
            }
        }
    }

    private static char[] readU16(Path file) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        char[] out = new char[b.remaining() / 2];
        b.asCharBuffer().get(out);
        return out;
    }

    private static int[] readI32(Path file) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        int[] out = new int[b.remaining() / 4];
        b.asIntBuffer().get(out);
        return out;
    }
}
