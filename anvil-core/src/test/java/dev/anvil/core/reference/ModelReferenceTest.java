package dev.anvil.core.reference;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.anvil.core.autograd.Tape;
import dev.anvil.core.autograd.Var;
import dev.anvil.core.optim.AdamW;
import dev.anvil.core.optim.LearningRateSchedule;
import dev.anvil.core.optim.ParameterGroup;
import dev.anvil.core.random.Rng;
import dev.anvil.core.tensor.ParameterBuffer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * llm.c's test_gpt2 pattern: the same tiny model, the same initial weights and the same token
 * batch through Anvil's autograd and through libtorch's; logits, loss and every parameter
 * gradient must agree, and so must the losses of ten AdamW steps taken independently on each side.
 */
class ModelReferenceTest {

    private static final int B = 2, T = 16;
    private static final double BETA1 = 0.9, BETA2 = 0.95, EPS = 1e-8, WEIGHT_DECAY = 0.1;

    static Stream<ReferenceModel> models() {
        return Stream.of(
                new TinyGpt2(96, 48, 4, T, false),
                new TinyGpt2(96, 48, 4, T, true),
                new TinyLlama(100, 64, 4, 2, 128, T));
    }

    /** Token batch: B sequences of T + 1 tokens; inputs are the first T, targets the next T. */
    private record Batch(int[] tokens, int[] targets) {
        static Batch random(int vocab, long seed) {
            Rng rng = new Rng(seed);
            int[] tokens = new int[B * T], targets = new int[B * T];
            for (int b = 0; b < B; b++) {
                int[] seq = new int[T + 1];
                for (int t = 0; t <= T; t++) seq[t] = rng.nextInt(vocab);
                System.arraycopy(seq, 0, tokens, b * T, T);
                System.arraycopy(seq, 1, targets, b * T, T);
            }
            // A few positions don't count (padding, or a prompt in fine-tuning).
            targets[0] = ReferenceModel.IGNORE_INDEX;
            targets[T + 3] = ReferenceModel.IGNORE_INDEX;
            targets[T + 4] = ReferenceModel.IGNORE_INDEX;
            return new Batch(tokens, targets);
        }
    }

    /** One forward + backward on Anvil's side; gradients land in {@code grads}. */
    private static ReferenceModel.Output<Var> anvilStep(ReferenceModel model, Tape tape, Map<String, Var> vars, ParameterBuffer grads, Batch batch) {
        tape.reset();
        Arrays.fill(grads.data(), 0f);
        ReferenceModel.Output<Var> out = model.anvil(tape, vars, batch.tokens(), batch.targets(), B, T);
        tape.backward(out.loss());
        return out;
    }

    /** Result of one forward + backward on libtorch's side, copied out of native memory. */
    private record TorchResult(float[] logits, float loss, Map<String, float[]> grads) {}

    private static TorchResult torchStep(ReferenceModel model, NDManager base, Map<String, float[]> values, Batch batch) {
        try (NDManager m = base.newSubManager()) {
            Map<String, NDArray> p = new LinkedHashMap<>();
            for (var e : model.layout().entries()) {
                long[] dims = Arrays.stream(e.shape().dims()).asLongStream().toArray();
                NDArray a = m.create(values.get(e.name()), new Shape(dims));
                a.setRequiresGradient(true);
                p.put(e.name(), a);
            }
            ReferenceModel.Output<NDArray> out;
            try (GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
                out = model.torch(m, p, batch.tokens(), batch.targets(), B, T);
                gc.backward(out.loss());
            }
            Map<String, float[]> grads = new LinkedHashMap<>();
            for (var e : p.entrySet()) grads.put(e.getKey(), e.getValue().getGradient().toFloatArray());
            return new TorchResult(out.logits().toFloatArray(), out.loss().toFloatArray()[0], grads);
        }
    }

    private static Map<String, float[]> copyOf(ParameterBuffer params) {
        Map<String, float[]> values = new LinkedHashMap<>();
        for (var e : params.views().entrySet()) values.put(e.getKey(), e.getValue().toArray());
        return values;
    }

    static double relativeError(float[] got, float[] want) {
        assertThat(got).hasSameSizeAs(want);
        double num = 0, den = 0;
        for (int i = 0; i < got.length; i++) {
            double d = (double) got[i] - want[i];
            num += d * d;
            den += (double) want[i] * want[i];
        }
        return Math.sqrt(num) / Math.max(Math.sqrt(den), 1e-30);
    }

    @ParameterizedTest
    @MethodSource("models")
    void logitsLossAndEveryGradientMatchLibtorch(ReferenceModel model) {
        ParameterBuffer.Layout layout = model.layout();
        ParameterBuffer params = layout.allocate(), grads = layout.allocate();
        model.initialize(params, new Rng(42));
        Batch batch = Batch.random(model.vocab(), 7);

        ReferenceModel.Output<Var> ours = anvilStep(model, new Tape(), Var.parameters(params, grads), grads, batch);
        TorchResult torch;
        try (NDManager base = Engine.getEngine("PyTorch").newBaseManager()) {
            torch = torchStep(model, base, copyOf(params), batch);
        }

        double logitsError = relativeError(ours.logits().value().toArray(), torch.logits());
        double lossError = Math.abs(ours.loss().value().get(0) - torch.loss()) / Math.abs(torch.loss());
        System.out.printf("%s: loss %.6f (torch %.6f, rel %.2e), logits rel %.2e%n",
                model.getClass().getSimpleName(), ours.loss().value().get(0), torch.loss(), lossError, logitsError);
        assertThat(logitsError).as("logits").isLessThan(1e-4);
        assertThat(lossError).as("loss").isLessThan(1e-5);
        for (var e : layout.entries()) {
            float[] want = torch.grads().get(e.name());
            double err = relativeError(grads.get(e.name()).toArray(), want);
            System.out.printf("  grad %-28s rel %.2e%n", e.name(), err);
            assertThat(err).as("gradient of %s", e.name()).isLessThan(1e-4);
        }
    }

    @ParameterizedTest
    @MethodSource("models")
    void tenAdamWStepsTrackLibtorch(ReferenceModel model) {
        ParameterBuffer.Layout layout = model.layout();
        ParameterBuffer params = layout.allocate(), grads = layout.allocate();
        model.initialize(params, new Rng(42));
        Batch batch = Batch.random(model.vocab(), 7);
        LearningRateSchedule schedule = LearningRateSchedule.warmupCosine(3e-3, 3, 10, 3e-4);

        List<ParameterGroup> groups = ParameterGroup.decayAndNoDecay(layout, model::decays, WEIGHT_DECAY);
        AdamW adamW = new AdamW(params, grads, groups, new AdamW.Config(BETA1, BETA2, EPS));
        Map<String, Var> vars = Var.parameters(params, grads);
        Tape tape = new Tape();

        Map<String, float[]> torchValues = copyOf(params);
        Map<String, float[]> torchM = new LinkedHashMap<>(), torchV = new LinkedHashMap<>();
        for (var e : torchValues.entrySet()) {
            torchM.put(e.getKey(), new float[e.getValue().length]);
            torchV.put(e.getKey(), new float[e.getValue().length]);
        }

        float[] ourLosses = new float[10], torchLosses = new float[10];
        long[] arenaArrays = new long[10];
        try (NDManager base = Engine.getEngine("PyTorch").newBaseManager()) {
            for (int step = 0; step < 10; step++) {
                double lr = schedule.at(step);
                ourLosses[step] = anvilStep(model, tape, vars, grads, batch).loss().value().get(0);
                arenaArrays[step] = tape.arena().arraysCreated();
                adamW.step(lr);

                TorchResult torch = torchStep(model, base, torchValues, batch);
                torchLosses[step] = torch.loss();
                try (NDManager m = base.newSubManager()) {
                    for (var e : layout.entries()) {
                        String name = e.name();
                        double wd = model.decays(name) ? WEIGHT_DECAY : 0.0;
                        torchValues.put(name, TorchReference.adamW(m, torchValues.get(name), torch.grads().get(name),
                                torchM.get(name), torchV.get(name), step + 1, lr, BETA1, BETA2, EPS, wd));
                    }
                }
            }
        }
        System.out.printf("%s losses: ours %s%n          torch %s%n", model.getClass().getSimpleName(),
                Arrays.toString(ourLosses), Arrays.toString(torchLosses));
        for (int step = 0; step < 10; step++) {
            double rel = Math.abs(ourLosses[step] - torchLosses[step]) / Math.abs(torchLosses[step]);
            assertThat(rel).as("loss at step %d: ours %f, torch %f", step, ourLosses[step], torchLosses[step]).isLessThan(1e-4);
        }
        assertThat(ourLosses[9]).as("training lowers the loss").isLessThan(ourLosses[0]);
        // After the first step the arena hands back the same buffers: no activation garbage.
        for (int step = 1; step < 10; step++) assertThat(arenaArrays[step]).as("arena arrays after step %d", step).isEqualTo(arenaArrays[0]);
        // Where a gradient is zero in exact arithmetic (the key bias: softmax ignores a constant
        // added to every score of a row) both sides hold rounding noise, and Adam's g/√v turns
        // noise of either sign into a full ±lr step; those elements are left out of the comparison.
        for (var e : layout.entries()) {
            float[] ours = params.get(e.name()).toArray(), theirs = torchValues.get(e.name()).clone();
            int[] noise = model.zeroGradientRange(e.name());
            if (noise != null) {
                Arrays.fill(ours, noise[0], noise[1], 0f);
                Arrays.fill(theirs, noise[0], noise[1], 0f);
            }
            double err = relativeError(ours, theirs);
            System.out.printf("  %-28s parameter rel error after 10 steps %.2e%n", e.name(), err);
            assertThat(err).as("parameter %s after 10 steps", e.name()).isLessThan(1e-4);
        }
    }
}
