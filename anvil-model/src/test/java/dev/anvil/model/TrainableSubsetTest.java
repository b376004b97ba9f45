package dev.anvil.model;

import dev.anvil.core.autograd.Tape;
import dev.anvil.core.optim.AdamW;
import dev.anvil.core.optim.ParameterGroup;
import dev.anvil.core.random.Rng;
import dev.anvil.core.tensor.ParameterBuffer;
import dev.anvil.model.exec.LinearAttachment;
import dev.anvil.model.exec.Ops;
import dev.anvil.model.inference.BatchedEngine;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Trainable subsets, frozen copies that share weights, heads, and attachments on a Linear. */
class TrainableSubsetTest {

    static Stream<ModelConfig> models() {
        return Stream.of(ModelConfig.gpt2(31, 12, 2, 2, 32, true), ModelConfig.llama(31, 12, 2, 4, 2, 32));
    }

    static Transformer model(ModelConfig c) {
        return TestModels.scaled(c, 5, 4);
    }

    static int[] tokens(int vocab, int n, long seed) {
        return TestModels.tokens(vocab, n, seed);
    }

    /** The MLP of the last layer and the final norm train; everything else is frozen. */
    static boolean lastMlp(ModelConfig c, String name) {
        return name.startsWith((c.family() == ModelConfig.Family.GPT2 ? "h." : "model.layers.") + (c.layers() - 1) + ".mlp.")
                || name.equals(TransformerLayout.names(c).finalNorm());
    }

    @ParameterizedTest
    @MethodSource("models")
    void frozenWeightsGetNoGradientNoOptimizerStateAndAreShared(ModelConfig c) {
        Transformer full = model(c);
        Transformer part = full.withTrainable(n -> lastMlp(c, n));
        List<String> trainable = part.gradients().layout().entries().stream().map(ParameterBuffer.Layout.Entry::name).toList();
        assertThat(trainable).isNotEmpty().allMatch(n -> lastMlp(c, n));
        assertThat(part.parameters().data().length).isEqualTo(part.gradients().data().length)
                .isEqualTo(trainable.stream().mapToInt(n -> part.tensor(n).size()).sum());
        String frozen = TransformerLayout.names(c).tokenEmbedding();
        assertThat(part.isTrainable(frozen)).isFalse();
        assertThat(part.tensor(frozen).data()).as("a frozen tensor is shared, not copied").isSameAs(full.tensor(frozen).data());

        int B = 2, T = 6;
        int[] x = tokens(c.vocabSize(), B * T, 1), y = tokens(c.vocabSize(), B * T, 2);
        Tape fullTape = new Tape(), partTape = new Tape();
        full.zeroGradients();
        fullTape.backward(full.loss(fullTape, x, y, 0, B, T, 0f, 0));
        part.zeroGradients();
        partTape.backward(part.loss(partTape, x, y, 0, B, T, 0f, 0));
        for (String n : trainable) {
            assertThat(part.gradients().get(n).toArray()).as("gradient of %s", n).containsExactly(full.gradients().get(n).toArray());
        }

        // AdamW over the subset: state only for the trainable elements, and a step moves only them.
        AdamW adamw = new AdamW(part.parameters(), part.gradients(), ParameterGroup.all(part.parameters().layout(), 0.1), AdamW.Config.defaults());
        assertThat(adamw.exportState().m()).hasSize(part.parameters().data().length);
        float[] before = full.tensor(frozen).toArray();
        adamw.step(1e-2);
        assertThat(part.tensor(frozen).toArray()).containsExactly(before);
    }

    @ParameterizedTest
    @MethodSource("models")
    void aFrozenCopySharesFrozenWeightsAndSnapshotsTrainableOnes(ModelConfig c) {
        Transformer part = model(c).withTrainable(n -> lastMlp(c, n));
        Transformer reference = part.frozenCopy();
        String frozen = TransformerLayout.names(c).tokenEmbedding();
        String moving = part.gradients().layout().entries().getFirst().name();
        assertThat(reference.tensor(frozen).data()).isSameAs(part.tensor(frozen).data());
        assertThat(reference.tensor(moving).data()).isNotSameAs(part.tensor(moving).data());
        assertThat(reference.gradients()).isNull();
        float[] snapshot = reference.tensor(moving).toArray();
        part.tensor(moving).data()[part.tensor(moving).offset()] += 1;
        assertThat(reference.tensor(moving).toArray()).containsExactly(snapshot);
    }

    /** A low-rank adapter (LoRA's shape) written once against Ops: y + s·(x·Aᵀ)·Bᵀ. */
    record LowRank(String a, String b, float s) implements LinearAttachment {
        @Override
        public <A> A apply(Ops<A> ops, String weight, A x, A y) {
            return ops.add(y, ops.scale(ops.linear(ops.linear(x, a, null), b, null), s));
        }
    }

    @ParameterizedTest
    @MethodSource("models")
    void anAttachmentTrainsAloneOnAFrozenBaseAndRunsInTheEngineToo(ModelConfig c) {
        Transformer base = model(c).withTrainable(n -> false);
        String target = TransformerLayout.names(c).blocks()[0].out();
        int r = 2, C = c.width();
        ParameterBuffer.Layout l = new ParameterBuffer.Layout().add("adapter.A", r, C).add("adapter.B", C, r);
        ParameterBuffer p = l.allocate(), g = l.allocate();
        new Rng(8).fillNormal(p.data(), 0, p.data().length, 0, 0.3);
        base.attach(target, new LowRank("adapter.A", "adapter.B", 0.5f), p, g);
        assertThatThrownBy(() -> base.attach("no.such.weight", new LowRank("x", "y", 1), l.allocate(), null)).hasMessageContaining("not a Linear weight");

        int B = 1, T = 7;
        int[] x = tokens(c.vocabSize(), T, 3), y = tokens(c.vocabSize(), T, 4);
        Tape tape = new Tape();
        base.zeroGradients();
        tape.backward(base.loss(tape, x, y, 0, B, T, 0f, 0));
        assertThat(base.gradients()).as("the base is frozen").isNull();
        // The adapter's gradient against central differences.
        Rng pick = new Rng(1);
        for (int trial = 0; trial < 6; trial++) {
            int i = pick.nextInt(p.data().length);
            float saved = p.data()[i], h = 1e-2f;
            p.data()[i] = saved + h;
            double up = lossOf(base, x, y, T);
            p.data()[i] = saved - h;
            double down = lossOf(base, x, y, T);
            p.data()[i] = saved;
            assertThat((double) g.data()[i]).as("adapter gradient %d", i).isCloseTo((up - down) / (2 * h), org.assertj.core.data.Offset.offset(2e-3 + 2e-2 * Math.abs((up - down) / (2 * h))));
        }
        // The same attachment in the engine gives the tape's logits.
        Tape t2 = new Tape();
        t2.setGradEnabled(false);
        float[] want = base.forward(t2, x, 0, 1, T, 0f, 0).value().toArray();
        BatchedEngine engine = new BatchedEngine(WeightSet.of(base), BatchedEngine.Options.forSequences(c, 1));
        engine.attach(target, new LowRank("adapter.A", "adapter.B", 0.5f), p);
        float[] got = new float[T * c.vocabSize()];
        engine.step(List.of(new BatchedEngine.Feed(engine.open(), x, 0, T, got, 0, true)));
        for (int i = 0; i < got.length; i++) assertThat(got[i]).isCloseTo(want[i], org.assertj.core.data.Offset.offset(1e-4f + 1e-5f * Math.abs(want[i])));
    }

    private static double lossOf(Transformer net, int[] x, int[] y, int T) {
        Tape tape = new Tape();
        tape.setGradEnabled(false);
        return net.loss(tape, x, y, 0, 1, T, 0f, 0).value().get(0);
    }

    @ParameterizedTest
    @MethodSource("models")
    void headsAreSeparateModulesWithTheirOwnTensors(ModelConfig c) {
        Transformer net = new Transformer(c, Heads.languageModel().withScore(3).withValue());
        net.initialize(new Rng(2));
        assertThat(net.layout().entry(TransformerLayout.SCORE_HEAD).shape().dims()).containsExactly(3, c.width());
        assertThat(net.layout().entry(TransformerLayout.VALUE_HEAD_BIAS).shape().dims()).containsExactly(1);
        int B = 2, T = 5;
        Tape tape = new Tape();
        var ops = net.ops(tape, tokens(c.vocabSize(), B * T, 1), 0, B, T);
        var hidden = TransformerBody.hiddenStates(ops, c, net.names(), 0f, 0);
        var scores = Heads.scores(ops, ops.rows(hidden, new int[] {T - 1, 2 * T - 1}));
        var values = Heads.values(ops, hidden);
        assertThat(scores.shape().dims()).containsExactly(2, 3);
        assertThat(values.shape().dims()).containsExactly(B, T, 1);
        net.zeroGradients();
        tape.backward(tape.sum(tape.add(tape.sum(scores), tape.sum(values))));
        assertThat(net.gradients().get(TransformerLayout.SCORE_HEAD).toArray()).as("score head gradient").isNotEqualTo(new float[3 * c.width()]);
        assertThat(net.gradients().get(TransformerLayout.VALUE_HEAD_BIAS).get(0)).as("d Σvalues / d bias = B·T").isEqualTo(B * T);

        Transformer scoreOnly = new Transformer(c, new Heads(false, 2, false));
        if (!c.tiedEmbeddings()) {
            assertThatThrownBy(() -> scoreOnly.forward(new Tape(), new int[] {1}, 0, 1, 1, 0f, 0))
                    .hasMessageContaining("has no LM head (it holds: a 2-class score head)");
        }
    }
}
