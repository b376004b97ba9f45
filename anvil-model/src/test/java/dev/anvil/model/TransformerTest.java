package dev.anvil.model;

import dev.anvil.core.autograd.Tape;
import dev.anvil.core.autograd.Var;
import dev.anvil.core.optim.AdamW;
import dev.anvil.core.optim.ParameterGroup;
import dev.anvil.core.random.Rng;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;


import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TransformerTest {

    static Stream<ModelConfig> models() {
        return Stream.of(
                ModelConfig.gpt2(23, 8, 2, 2, 16, true),
                ModelConfig.gpt2(23, 8, 2, 2, 16, false),
                ModelConfig.gpt2(23, 8, 2, 2, 16, false).withActivation(ModelConfig.Activation.GELU),
                ModelConfig.llama(23, 8, 2, 4, 2, 16),
                new ModelConfig(ModelConfig.Family.LLAMA, 23, 8, 1, 2, 1, 16, 32, 500000, 1e-6, true, false));
    }

    private static int[][] batch(int vocab, int n, long seed) {
        Rng r = new Rng(seed);
        int[] x = new int[n], y = new int[n];
        for (int i = 0; i < n; i++) {
            x[i] = r.nextInt(vocab);
            y[i] = r.nextInt(vocab);
        }
        return new int[][] {x, y};
    }

    /** Every parameter's gradient against central differences of the loss (float32, so loose tolerances). */
    @ParameterizedTest
    @MethodSource("models")
    void gradientsMatchFiniteDifferences(ModelConfig c) {
        Transformer net = new Transformer(c);
        net.initialize(new Rng(11));
        // Larger weights than the 0.02 init so every path carries signal.
        for (int i = 0; i < net.parameters().data().length; i++) net.parameters().data()[i] *= 5;
        int B = 2, T = 6;
        int[][] xy = batch(c.vocabSize(), B * T, 5);
        Tape tape = new Tape();
        net.zeroGradients();
        tape.backward(net.loss(tape, xy[0], xy[1], 0, B, T, 0f, 0));
        float[] p = net.parameters().data(), g = net.gradients().data().clone();
        Rng pick = new Rng(9);
        for (var e : net.parameters().layout().entries()) {
            for (int trial = 0; trial < 3; trial++) {
                int i = e.offset() + pick.nextInt(e.shape().size());
                float saved = p[i], h = 1e-3f;
                p[i] = saved + h;
                double up = lossOf(net, tape, xy, B, T);
                p[i] = saved - h;
                double down = lossOf(net, tape, xy, B, T);
                p[i] = saved;
                double numeric = (up - down) / (2 * h);
                assertThat((double) g[i]).as("d loss / d %s[%d]", e.name(), i - e.offset())
                        .isCloseTo(numeric, org.assertj.core.data.Offset.offset(2e-3 + 0.05 * Math.abs(numeric)));
            }
        }
    }

    private static double lossOf(Transformer net, Tape tape, int[][] xy, int B, int T) {
        tape.reset();
        tape.setGradEnabled(false);
        double l = net.loss(tape, xy[0], xy[1], 0, B, T, 0f, 0).value().get(0);
        tape.setGradEnabled(true);
        return l;
    }

    @ParameterizedTest
    @MethodSource("models")
    void learnsAFixedBatch(ModelConfig c) {
        Transformer net = new Transformer(c);
        net.initialize(new Rng(1));
        AdamW opt = new AdamW(net.parameters(), net.gradients(), ParameterGroup.all(net.parameters().layout(), 0), AdamW.Config.defaults());
        int B = 2, T = 8;
        int[][] xy = batch(c.vocabSize(), B * T, 2);
        Tape tape = new Tape();
        float first = 0, last = 0;
        for (int s = 0; s < 60; s++) {
            net.zeroGradients();
            tape.reset();
            Var loss = net.loss(tape, xy[0], xy[1], 0, B, T, 0f, 0);
            tape.backward(loss);
            opt.step(1e-2);
            if (s == 0) first = loss.value().get(0);
            last = loss.value().get(0);
        }
        assertThat((double) first).isCloseTo(Math.log(c.vocabSize()), org.assertj.core.data.Offset.offset(0.2));
        assertThat(last).isLessThan(first * 0.3f);
    }

    @ParameterizedTest
    @MethodSource("models")
    void sameInputsGiveBitIdenticalLossAndGradients(ModelConfig c) {
        float[][] runs = new float[2][];
        float[] losses = new float[2];
        for (int r = 0; r < 2; r++) {
            Transformer net = new Transformer(c);
            net.initialize(new Rng(8));
            int[][] xy = batch(c.vocabSize(), 4 * 8, 3);
            Tape tape = new Tape();
            net.zeroGradients();
            Var loss = net.loss(tape, xy[0], xy[1], 0, 4, 8, 0.2f, 99);
            tape.backward(loss);
            losses[r] = loss.value().get(0);
            runs[r] = net.gradients().data().clone();
        }
        assertThat(Float.floatToRawIntBits(losses[1])).isEqualTo(Float.floatToRawIntBits(losses[0]));
        assertThat(runs[1]).containsExactly(runs[0]);
    }

    @ParameterizedTest
    @MethodSource("models")
    void initializationScalesResidualProjections(ModelConfig c) {
        ModelConfig big = new ModelConfig(c.family(), 200, 16, 4, c.heads(), c.kvHeads(), 64, 256, c.ropeTheta(), c.normEps(), c.tiedEmbeddings(), c.bias());
        Transformer net = new Transformer(big);
        net.initialize(new Rng(2));
        for (var e : net.parameters().layout().entries()) {
            float[] d = net.parameters().data();
            double ss = 0;
            for (int i = e.offset(); i < e.offset() + e.shape().size(); i++) ss += (double) d[i] * d[i];
            double rms = Math.sqrt(ss / e.shape().size());
            if (e.shape().rank() == 1) {
                assertThat(rms).as(e.name()).isEqualTo(e.name().endsWith(".bias") ? 0.0 : 1.0);
            } else {
                double expected = TransformerLayout.isResidualProjection(e.name()) ? 0.02 / Math.sqrt(8) : 0.02;
                assertThat(rms).as(e.name()).isCloseTo(expected, org.assertj.core.data.Offset.offset(expected * 0.15));
            }
        }
    }

    @ParameterizedTest
    @MethodSource("models")
    void sequencesLongerThanTheContextAreRejected(ModelConfig c) {
        Transformer net = new Transformer(c);
        int[] ids = new int[2 * (c.contextLength() + 1)];
        assertThatThrownBy(() -> net.forward(new Tape(), ids, 0, 2, c.contextLength() + 1, 0f, 0))
                .hasMessageContaining("longer than the model's context of " + c.contextLength());
    }

}
