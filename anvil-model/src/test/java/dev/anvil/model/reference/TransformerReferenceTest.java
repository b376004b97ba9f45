package dev.anvil.model.reference;

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
import dev.anvil.core.reference.TorchReference;
import dev.anvil.core.tensor.ParameterBuffer;
import dev.anvil.core.tensor.Tensor;
import dev.anvil.model.Heads;
import dev.anvil.model.ModelConfig;
import dev.anvil.model.Transformer;
import dev.anvil.model.TransformerLayout;
import dev.anvil.model.exec.TapeOps;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The libtorch pin of the production {@link Transformer} (llm.c's test_gpt2 pattern): a model built
 * and initialized by Anvil, its weights read by Hugging Face name from {@link Transformer#tensors()}
 * and run through the same architecture written with libtorch ops ({@link TorchTransformer}); logits,
 * loss, every gradient, ten AdamW steps, a frozen subset and the score / value heads must agree.
 */
class TransformerReferenceTest {

    private static final int B = 2, T = 16;
    /** The ignore index of {@link Transformer#loss} (it passes −1 to the tape's cross-entropy). */
    private static final int IGNORE = -1;
    private static final double BETA1 = 0.9, BETA2 = 0.95, EPS = 1e-8, WEIGHT_DECAY = 0.1;
    private static final int STEPS = 10;

    /** A model shape under test; the name is what the report prints. */
    record Case(String name, ModelConfig config) {
        @Override
        public String toString() {
            return name;
        }
    }

    private static final Case GPT2_BIAS_TANH = new Case("gpt2 bias gelu_tanh",
            new ModelConfig(ModelConfig.Family.GPT2, 96, 20, 2, 4, 4, 48, 192, 0, 1e-5, true, true, ModelConfig.Activation.GELU_TANH));
    private static final Case GPT2_NO_BIAS_ERF = new Case("gpt2 no-bias gelu(erf)",
            new ModelConfig(ModelConfig.Family.GPT2, 96, 20, 2, 4, 4, 48, 192, 0, 1e-5, true, false, ModelConfig.Activation.GELU));
    private static final Case LLAMA_GQA_UNTIED = new Case("llama gqa 4q/2kv untied θ=5e4 ε=1e-6",
            new ModelConfig(ModelConfig.Family.LLAMA, 100, 20, 2, 4, 2, 64, 128, 50_000, 1e-6, false, false));
    private static final Case LLAMA_TIED = new Case("llama 4q/1kv tied θ=1e4",
            new ModelConfig(ModelConfig.Family.LLAMA, 100, 20, 2, 4, 1, 64, 128, 10_000, 1e-5, true, false));

    static Stream<Case> models() {
        return Stream.of(GPT2_BIAS_TANH, GPT2_NO_BIAS_ERF, LLAMA_GQA_UNTIED, LLAMA_TIED);
    }

    static Stream<Case> families() {
        return Stream.of(GPT2_BIAS_TANH, LLAMA_GQA_UNTIED);
    }

    // ---------------------------------------------------------------------------------------------
    // Setup shared by both sides

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
            targets[0] = IGNORE;
            targets[T + 3] = IGNORE;
            targets[T + 4] = IGNORE;
            return new Batch(tokens, targets);
        }
    }

    /**
     * How much the initialized matrices are scaled up. {@link Transformer#initialize}'s N(0, 0.02)
     * keeps every pre-activation so small that GELU's tanh and erf forms agree to 3·10⁻⁶ in the
     * logits and 4·10⁻⁵ in the gradients, under the tolerance: the pin could not tell them apart.
     * ×8 (std 0.16, residual projections 0.08) puts activations in the range where the
     * architecture's choices show ({@link #aWrongVariantOnTorchsSideFailsTheComparison}).
     */
    private static final float MATRIX_SCALE = 8f;

    /**
     * A production model, initialized by {@link Transformer#initialize}, its matrices scaled by
     * {@link #MATRIX_SCALE}, its norm gains and biases moved off 1 and 0 (so a gain or bias applied
     * in the wrong place, or not at all, shows).
     */
    private static Transformer build(ModelConfig c, Heads heads) {
        Transformer net = new Transformer(c, heads);
        net.initialize(new Rng(42));
        Rng rng = new Rng(43);
        for (var e : net.tensors().entrySet()) {
            Tensor t = e.getValue();
            if (t.rank() != 1) {
                for (int i = 0; i < t.size(); i++) t.data()[t.offset() + i] *= MATRIX_SCALE;
                continue;
            }
            double std = e.getKey().endsWith(".bias") ? 0.05 : 0.1;
            for (int i = 0; i < t.size(); i++) t.data()[t.offset() + i] += (float) (std * rng.nextGaussian());
        }
        return net;
    }

    private static Map<String, float[]> copyOf(Map<String, Tensor> tensors) {
        Map<String, float[]> values = new LinkedHashMap<>();
        for (var e : tensors.entrySet()) values.put(e.getKey(), e.getValue().toArray());
        return values;
    }

    private static Set<String> names(ParameterBuffer.Layout layout) {
        Set<String> s = new LinkedHashSet<>();
        for (var e : layout.entries()) s.add(e.name());
        return s;
    }

    /** Weight matrices (and embeddings) decay, norms and biases do not: the trainer's split. */
    private static List<ParameterGroup> groups(ParameterBuffer.Layout layout) {
        return ParameterGroup.decayAndNoDecay(layout, name -> TransformerLayout.isMatrix(layout.entry(name)), WEIGHT_DECAY);
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

    /** The largest error of each kind over one case, for the closing line of its report. */
    private static final class Worst {
        private final Map<String, Double> max = new LinkedHashMap<>();

        double note(String kind, double err) {
            max.merge(kind, err, Math::max);
            return err;
        }

        @Override
        public String toString() {
            StringBuilder s = new StringBuilder();
            max.forEach((k, v) -> s.append(s.isEmpty() ? "" : ", ").append(k).append(' ').append(String.format("%.2e", v)));
            return s.toString();
        }
    }

    // ---------------------------------------------------------------------------------------------
    // libtorch's side

    private static Engine torch() {
        return Engine.getEngine("PyTorch");
    }

    private record TorchRun(float[] logits, float loss, Map<String, float[]> grads) {}

    /** The tensors as libtorch arrays of their layout shapes, requiring a gradient where {@code trainable} says. */
    private static Map<String, NDArray> arrays(NDManager m, ParameterBuffer.Layout layout, Map<String, float[]> values, Set<String> trainable) {
        Map<String, NDArray> p = new LinkedHashMap<>();
        for (var e : layout.entries()) {
            NDArray a = m.create(values.get(e.name()), new Shape(Arrays.stream(e.shape().dims()).asLongStream().toArray()));
            if (trainable.contains(e.name())) a.setRequiresGradient(true);
            p.put(e.name(), a);
        }
        return p;
    }

    private static Map<String, float[]> gradients(Map<String, NDArray> p, Set<String> trainable) {
        Map<String, float[]> grads = new LinkedHashMap<>();
        for (String name : trainable) grads.put(name, p.get(name).getGradient().toFloatArray());
        return grads;
    }

    /** Forward, mean cross-entropy and backward in libtorch, copied out of native memory. */
    private static TorchRun torchStep(NDManager base, ModelConfig c, ParameterBuffer.Layout layout, Map<String, float[]> values,
                                      Set<String> trainable, Batch batch) {
        try (NDManager m = base.newSubManager()) {
            Map<String, NDArray> p = arrays(m, layout, values, trainable);
            NDArray logits, loss;
            try (GradientCollector gc = torch().newGradientCollector()) {
                logits = TorchTransformer.logits(c, p, TorchTransformer.hidden(m, c, p, batch.tokens(), B, T));
                loss = TorchReference.crossEntropy(m, logits, batch.targets(), IGNORE);
                gc.backward(loss);
            }
            return new TorchRun(logits.toFloatArray(), loss.toFloatArray()[0], gradients(p, trainable));
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Anvil's side

    /** One forward + backward through {@link Transformer#loss}; gradients land in {@code net.gradients()}. */
    private static float anvilStep(Transformer net, Tape tape, Batch batch) {
        tape.reset();
        net.zeroGradients();
        Var loss = net.loss(tape, batch.tokens(), batch.targets(), 0, B, T, 0f, 0L);
        tape.backward(loss);
        return loss.value().get(0);
    }

    private static float[] anvilLogits(Transformer net, Batch batch) {
        return net.forward(new Tape(), batch.tokens(), 0, B, T, 0f, 0L).value().toArray();
    }

    /**
     * Elements [from, to) of a tensor whose gradient is zero in exact arithmetic, so only rounding
     * noise reaches the optimizer: the key third of GPT-2's qkv bias (q·(k + b) shifts a query's
     * scores by the constant q·b, which softmax ignores). Null if none.
     */
    private static int[] zeroGradientRange(ModelConfig c, String name) {
        return name.endsWith("attn.c_attn.bias") ? new int[] {c.width(), 2 * c.width()} : null;
    }

    // ---------------------------------------------------------------------------------------------
    // The comparisons

    /** Logits, loss and every trainable gradient of one step against libtorch. */
    private static void compareStep(String label, Transformer net, Batch batch, Worst worst) {
        Set<String> trainable = names(net.gradients().layout());
        float[] logits = anvilLogits(net, batch);
        float loss = anvilStep(net, new Tape(), batch);
        TorchRun theirs;
        try (NDManager base = torch().newBaseManager()) {
            theirs = torchStep(base, net.config(), net.layout(), copyOf(net.tensors()), trainable, batch);
        }
        double logitsError = worst.note("logits", relativeError(logits, theirs.logits()));
        double lossError = worst.note("loss", Math.abs(loss - theirs.loss()) / Math.abs(theirs.loss()));
        System.out.printf("%s: loss %.6f (torch %.6f, rel %.2e), logits rel %.2e%n", label, loss, theirs.loss(), lossError, logitsError);
        assertThat(logitsError).as("%s: logits", label).isLessThan(1e-4);
        assertThat(lossError).as("%s: loss", label).isLessThan(1e-5);
        for (String name : trainable) {
            double err = worst.note("gradient", relativeError(net.gradients().get(name).toArray(), theirs.grads().get(name)));
            System.out.printf("  grad %-40s rel %.2e%n", name, err);
            assertThat(err).as("%s: gradient of %s", label, name).isLessThan(1e-4);
        }
    }

    /**
     * {@link #STEPS} AdamW steps (warmup-cosine) on each side, Anvil's optimizer over
     * {@code net.parameters()}, torch's update written out per trainable tensor; losses on the way
     * and the parameters at the end must agree, and the frozen tensors must not move.
     */
    private static void trackAdamW(String label, Transformer net, Batch batch, Worst worst) {
        ParameterBuffer.Layout trainableLayout = net.parameters().layout();
        Set<String> trainable = names(trainableLayout);
        Map<String, float[]> frozenBefore = copyOf(net.tensors());
        frozenBefore.keySet().removeAll(trainable);
        LearningRateSchedule schedule = LearningRateSchedule.warmupCosine(3e-3, 3, STEPS, 3e-4);
        AdamW adamW = new AdamW(net.parameters(), net.gradients(), groups(trainableLayout), new AdamW.Config(BETA1, BETA2, EPS));
        Tape tape = new Tape();

        Map<String, float[]> torchValues = copyOf(net.tensors());
        Map<String, float[]> torchM = new LinkedHashMap<>(), torchV = new LinkedHashMap<>();
        for (String name : trainable) {
            torchM.put(name, new float[torchValues.get(name).length]);
            torchV.put(name, new float[torchValues.get(name).length]);
        }
        float[] ourLosses = new float[STEPS], torchLosses = new float[STEPS];
        long[] arenaArrays = new long[STEPS];
        try (NDManager base = torch().newBaseManager()) {
            for (int step = 0; step < STEPS; step++) {
                double lr = schedule.at(step);
                ourLosses[step] = anvilStep(net, tape, batch);
                arenaArrays[step] = tape.arena().arraysCreated();
                adamW.step(lr);

                TorchRun theirs = torchStep(base, net.config(), net.layout(), torchValues, trainable, batch);
                torchLosses[step] = theirs.loss();
                try (NDManager m = base.newSubManager()) {
                    for (String name : trainable) {
                        double wd = TransformerLayout.isMatrix(trainableLayout.entry(name)) ? WEIGHT_DECAY : 0.0;
                        torchValues.put(name, TorchReference.adamW(m, torchValues.get(name), theirs.grads().get(name),
                                torchM.get(name), torchV.get(name), step + 1, lr, BETA1, BETA2, EPS, wd));
                    }
                }
            }
        }
        System.out.printf("%s losses: ours  %s%n%s         torch %s%n", label, Arrays.toString(ourLosses),
                " ".repeat(label.length()), Arrays.toString(torchLosses));
        for (int step = 0; step < STEPS; step++) {
            double rel = worst.note("loss in training", Math.abs(ourLosses[step] - torchLosses[step]) / Math.abs(torchLosses[step]));
            assertThat(rel).as("%s: loss at step %d: ours %f, torch %f", label, step, ourLosses[step], torchLosses[step]).isLessThan(1e-4);
        }
        assertThat(ourLosses[STEPS - 1]).as("%s: training lowers the loss", label).isLessThan(ourLosses[0]);
        // After the first step the arena hands back the same buffers: no activation garbage.
        for (int step = 1; step < STEPS; step++) {
            assertThat(arenaArrays[step]).as("%s: arena arrays after step %d", label, step).isEqualTo(arenaArrays[0]);
        }
        // Where a gradient is zero in exact arithmetic both sides hold rounding noise, and Adam's
        // g/√v turns noise of either sign into a full ±lr step; those elements are left out.
        for (String name : trainable) {
            float[] ours = net.tensor(name).toArray(), theirs = torchValues.get(name).clone();
            int[] noise = zeroGradientRange(net.config(), name);
            if (noise != null) {
                for (int i = noise[0]; i < noise[1]; i++) ours[i] = theirs[i] = 0f;
            }
            double err = worst.note("parameter after " + STEPS + " steps", relativeError(ours, theirs));
            System.out.printf("  %-40s parameter rel error after %d steps %.2e%n", name, STEPS, err);
            assertThat(err).as("%s: parameter %s after %d steps", label, name, STEPS).isLessThan(1e-4);
        }
        for (var e : frozenBefore.entrySet()) {
            assertThat(net.tensor(e.getKey()).toArray()).as("%s: frozen %s does not move", label, e.getKey()).isEqualTo(e.getValue());
        }
    }

    // ---------------------------------------------------------------------------------------------
    // The tests

    @ParameterizedTest
    @MethodSource("models")
    void logitsLossAndEveryGradientMatchLibtorch(Case c) {
        Transformer net = build(c.config(), Heads.languageModel());
        assertThat(names(net.gradients().layout())).as("everything trains").isEqualTo(names(net.layout()));
        Worst worst = new Worst();
        compareStep(c.name(), net, Batch.random(c.config().vocabSize(), 7), worst);
        System.out.printf("%s: largest relative errors: %s%n", c.name(), worst);
    }

    @ParameterizedTest
    @MethodSource("models")
    void tenAdamWStepsTrackLibtorch(Case c) {
        Transformer net = build(c.config(), Heads.languageModel());
        Worst worst = new Worst();
        trackAdamW(c.name(), net, Batch.random(c.config().vocabSize(), 7), worst);
        System.out.printf("%s: largest relative errors: %s%n", c.name(), worst);
    }

    /** The config with one hyperparameter changed, for {@link #aWrongVariantOnTorchsSideFailsTheComparison}. */
    private static ModelConfig with(ModelConfig c, double ropeTheta, double normEps) {
        return new ModelConfig(c.family(), c.vocabSize(), c.contextLength(), c.layers(), c.heads(), c.kvHeads(), c.width(),
                c.hiddenWidth(), ropeTheta, normEps, c.tiedEmbeddings(), c.bias(), c.activation());
    }

    static Stream<Arguments> wrongVariants() {
        ModelConfig llama = LLAMA_GQA_UNTIED.config();
        return Stream.of(
                Arguments.of(GPT2_BIAS_TANH, GPT2_BIAS_TANH.config().withActivation(ModelConfig.Activation.GELU), "erf GELU for tanh"),
                Arguments.of(GPT2_NO_BIAS_ERF, GPT2_NO_BIAS_ERF.config().withActivation(ModelConfig.Activation.GELU_TANH), "tanh GELU for erf"),
                Arguments.of(LLAMA_GQA_UNTIED, with(llama, 10_000, llama.normEps()), "θ = 1e4 for 5e4"),
                Arguments.of(LLAMA_GQA_UNTIED, with(llama, llama.ropeTheta(), 1e-5), "ε = 1e-5 for 1e-6"));
    }

    /**
     * The pin's power: with torch's side built from a config that differs in one choice, the
     * gradient comparison fails its tolerance, so a production model that made that mistake would
     * fail the pin.
     */
    @ParameterizedTest(name = "{0}: {2}")
    @MethodSource("wrongVariants")
    void aWrongVariantOnTorchsSideFailsTheComparison(Case c, ModelConfig wrong, String what) {
        Transformer net = build(c.config(), Heads.languageModel());
        Batch batch = Batch.random(c.config().vocabSize(), 7);
        float[] logits = anvilLogits(net, batch);
        anvilStep(net, new Tape(), batch);
        Set<String> all = names(net.layout());
        TorchRun theirs;
        try (NDManager base = torch().newBaseManager()) {
            theirs = torchStep(base, wrong, net.layout(), copyOf(net.tensors()), all, batch);
        }
        double worstGradient = 0;
        String where = null;
        for (String name : all) {
            double err = relativeError(net.gradients().get(name).toArray(), theirs.grads().get(name));
            if (err > worstGradient) {
                worstGradient = err;
                where = name;
            }
        }
        System.out.printf("%s vs torch with %s: logits rel %.2e, worst gradient rel %.2e (%s)%n",
                c.name(), what, relativeError(logits, theirs.logits()), worstGradient, where);
        assertThat(worstGradient).as("%s: torch with %s must be told apart", c.name(), what).isGreaterThan(1e-4);
    }

    /** Layer 1's MLP and the final norm train; everything else is frozen. */
    private static Predicate<String> mlp1AndFinalNorm(ModelConfig c) {
        return c.family() == ModelConfig.Family.GPT2
                ? name -> name.startsWith("h.1.mlp.") || name.startsWith("ln_f.")
                : name -> name.startsWith("model.layers.1.mlp.") || name.equals("model.norm.weight");
    }

    @ParameterizedTest
    @MethodSource("families")
    void aFrozenSubsetHasNoGradientOrOptimizerStateAndTheRestMatchesLibtorch(Case c) {
        Predicate<String> trains = mlp1AndFinalNorm(c.config());
        Transformer net = build(c.config(), Heads.languageModel()).withTrainable(trains);
        String label = c.name() + " [layer 1 MLP + final norm train]";

        Set<String> expected = new LinkedHashSet<>(), frozen = new LinkedHashSet<>();
        int trainableElements = 0;
        for (var e : net.layout().entries()) {
            if (trains.test(e.name())) {
                expected.add(e.name());
                trainableElements += e.shape().size();
            } else {
                frozen.add(e.name());
            }
        }
        assertThat(expected).as("the subset is not empty").isNotEmpty();
        assertThat(frozen).as("something is frozen").isNotEmpty();
        assertThat(names(net.gradients().layout())).as("gradients hold exactly the trainable tensors").isEqualTo(expected);
        assertThat(names(net.parameters().layout())).as("parameters hold exactly the trainable tensors").isEqualTo(expected);
        for (String name : frozen) assertThat(net.isTrainable(name)).as("%s is frozen", name).isFalse();
        for (String name : expected) assertThat(net.isTrainable(name)).as("%s trains", name).isTrue();

        AdamW adamW = new AdamW(net.parameters(), net.gradients(), groups(net.parameters().layout()), new AdamW.Config(BETA1, BETA2, EPS));
        assertThat(net.parameters().data().length).as("trainable elements").isEqualTo(trainableElements)
                .isLessThan(net.layout().totalSize());
        assertThat(adamW.exportState().m()).as("first moment: trainable elements only").hasSize(trainableElements);
        assertThat(adamW.exportState().v()).as("second moment: trainable elements only").hasSize(trainableElements);

        Worst worst = new Worst();
        Batch batch = Batch.random(c.config().vocabSize(), 7);
        compareStep(label, net, batch, worst);
        trackAdamW(label, net, batch, worst);
        System.out.printf("%s: largest relative errors: %s%n", label, worst);
    }

    @ParameterizedTest
    @MethodSource("families")
    void scoreAndValueHeadsMatchLibtorch(Case c) {
        ModelConfig config = c.config();
        Transformer net = build(config, Heads.languageModel().withScore(3).withValue());
        String label = c.name() + " [score(3) + value heads]";
        Batch batch = Batch.random(config.vocabSize(), 7);
        int[] lastRows = new int[B];
        for (int b = 0; b < B; b++) lastRows[b] = b * T + T - 1;
        Rng rng = new Rng(5);
        float[] scoreWeights = new float[B * 3], valueWeights = new float[B * T];
        rng.fillNormal(scoreWeights, 0, scoreWeights.length, 0, 1);
        rng.fillNormal(valueWeights, 0, valueWeights.length, 0, 1);

        // Anvil: a scalar objective Σ scores·w_s + Σ values·w_v on the tape.
        Tape tape = new Tape();
        net.zeroGradients();
        TapeOps ops = net.ops(tape, batch.tokens(), 0, B, T);
        Var hidden = net.hidden(tape, batch.tokens(), 0, B, T, 0f, 0L);
        Var scores = Heads.scores(ops, ops.rows(hidden, lastRows));
        Var values = Heads.values(ops, hidden);
        assertThat(scores.shape().dims()).containsExactly(B, 3);
        assertThat(values.size()).isEqualTo(B * T);
        Var objective = tape.add(
                tape.sum(tape.mul(scores, tape.input(Tensor.of(scoreWeights, scores.shape().dims()), false))),
                tape.sum(tape.mul(values, tape.input(Tensor.of(valueWeights, values.shape().dims()), false))));
        tape.backward(objective);

        // The LM head takes no part in the objective: an untied one gets no gradient on either side.
        Set<String> inGraph = names(net.layout());
        boolean untiedLm = inGraph.remove("lm_head.weight");
        float[] torchScores, torchValues;
        float torchObjective;
        Map<String, float[]> torchGrads;
        try (NDManager m = torch().newBaseManager()) {
            Map<String, NDArray> p = arrays(m, net.layout(), copyOf(net.tensors()), inGraph);
            NDArray s, v, o;
            try (GradientCollector gc = torch().newGradientCollector()) {
                NDArray h = TorchTransformer.hidden(m, config, p, batch.tokens(), B, T);
                s = TorchReference.linear(h.get(":, {}, :", T - 1), p.get("score.weight"), null);
                v = TorchReference.linear(h, p.get("v_head.summary.weight"), p.get("v_head.summary.bias"));
                o = s.mul(m.create(scoreWeights, new Shape(B, 3))).sum()
                        .add(v.mul(m.create(valueWeights, new Shape(B, T, 1))).sum());
                gc.backward(o);
            }
            torchScores = s.toFloatArray();
            torchValues = v.toFloatArray();
            torchObjective = o.toFloatArray()[0];
            torchGrads = gradients(p, inGraph);
        }

        Worst worst = new Worst();
        double scoreError = worst.note("scores", relativeError(scores.value().toArray(), torchScores));
        double valueError = worst.note("values", relativeError(values.value().toArray(), torchValues));
        double objectiveError = worst.note("objective", Math.abs(objective.value().get(0) - torchObjective) / Math.abs(torchObjective));
        System.out.printf("%s: scores rel %.2e, values rel %.2e, objective %.6f (torch %.6f, rel %.2e)%n",
                label, scoreError, valueError, objective.value().get(0), torchObjective, objectiveError);
        assertThat(scoreError).as("%s: scores", label).isLessThan(1e-4);
        assertThat(valueError).as("%s: values", label).isLessThan(1e-4);
        assertThat(objectiveError).as("%s: objective", label).isLessThan(1e-5);
        for (String name : inGraph) {
            double err = worst.note("gradient", relativeError(net.gradients().get(name).toArray(), torchGrads.get(name)));
            System.out.printf("  grad %-40s rel %.2e%n", name, err);
            assertThat(err).as("%s: gradient of %s", label, name).isLessThan(1e-4);
        }
        if (untiedLm) {
            assertThat(net.gradients().get("lm_head.weight").toArray()).as("%s: the unused LM head", label)
                    .containsOnly(0f);
        }
        System.out.printf("%s: largest relative errors: %s%n", label, worst);
    }
}
