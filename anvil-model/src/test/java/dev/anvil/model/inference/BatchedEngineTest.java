package dev.anvil.model.inference;

import dev.anvil.core.autograd.Tape;
import dev.anvil.model.ModelConfig;
import dev.anvil.model.TestModels;
import dev.anvil.model.Transformer;
import dev.anvil.model.WeightSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The batched engine against the tape executor, the reference every inference path must equal. */
class BatchedEngineTest {

    static Stream<ModelConfig> models() {
        return Stream.of(
                ModelConfig.gpt2(50, 40, 2, 2, 32, true),
                ModelConfig.gpt2(50, 40, 2, 2, 32, false).withActivation(ModelConfig.Activation.GELU),
                ModelConfig.llama(50, 40, 2, 4, 2, 32),
                new ModelConfig(ModelConfig.Family.LLAMA, 50, 40, 2, 2, 1, 32, 64, 500000, 1e-6, true, false));
    }

    static Transformer model(ModelConfig c) {
        return TestModels.scaled(c, 3, 6);
    }

    static int[] tokens(int vocab, int n, long seed) {
        return TestModels.tokens(vocab, n, seed);
    }

    /** Logits [T, vocab] of one sequence through the tape (B = 1, gradients off). */
    static float[] tapeLogits(Transformer net, int[] seq) {
        Tape tape = new Tape();
        tape.setGradEnabled(false);
        return net.forward(tape, seq, 0, 1, seq.length, 0f, 0).value().toArray();
    }

    static void assertClose(float[] got, float[] want, int wantOff, String what) {
        double num = 0, den = 0, max = 0;
        for (int i = 0; i < got.length; i++) {
            double d = got[i] - want[wantOff + i];
            num += d * d;
            den += (double) want[wantOff + i] * want[wantOff + i];
            max = Math.max(max, Math.abs(d));
        }
        assertThat(Math.sqrt(num / Math.max(den, 1e-30))).as(what + " (max abs diff %.3g)", max).isLessThan(1e-5);
    }

    @ParameterizedTest
    @MethodSource("models")
    void aMixedBatchOfPromptsAndDecodeStepsGivesTheTapesLogits(ModelConfig c) {
        Transformer net = model(c);
        int V = c.vocabSize();
        int[][] full = {tokens(V, 30, 1), tokens(V, 12, 2), tokens(V, 20, 3)};
        int[] prompt = {17, 3, 9};
        BatchedEngine engine = new BatchedEngine(WeightSet.of(net), new BatchedEngine.Options(1 << 22, 4, 64));
        KvCache[] seqs = {engine.open(), engine.open(), engine.open()};

        // Step 1: all three prompts at once, logits at every position.
        float[][] got = new float[3][];
        List<BatchedEngine.Feed> feeds = new ArrayList<>();
        for (int s = 0; s < 3; s++) {
            got[s] = new float[prompt[s] * V];
            feeds.add(new BatchedEngine.Feed(seqs[s], full[s], 0, prompt[s], got[s], 0, true));
        }
        engine.step(feeds);
        for (int s = 0; s < 3; s++) assertClose(got[s], tapeLogits(net, Arrays.copyOf(full[s], prompt[s])), 0, "prefill of sequence " + s);

        // Then steps that mix: sequence 0 decodes one token a step, sequence 1 leaves after two, sequence 2 prefills a chunk of 4 then decodes.
        int[] length = prompt.clone();
        for (int step = 0; step < 6; step++) {
            feeds.clear();
            List<Integer> in = new ArrayList<>();
            for (int s = 0; s < 3; s++) {
                if (s == 1 && step >= 2) continue;
                int n = s == 2 && step == 0 ? 4 : 1;
                got[s] = new float[V];
                feeds.add(BatchedEngine.Feed.last(seqs[s], full[s], length[s], n, got[s]));
                in.add(s);
                length[s] += n;
            }
            if (step == 2) seqs[1].release();
            engine.step(feeds);
            for (int s : in) {
                float[] want = tapeLogits(net, Arrays.copyOf(full[s], length[s]));
                assertClose(got[s], want, (length[s] - 1) * V, "sequence " + s + " at step " + step);
            }
        }
        assertThat(seqs[0].length()).isEqualTo(prompt[0] + 6);
    }

    @ParameterizedTest
    @MethodSource("models")
    void aSequencesOutputDoesNotDependOnItsBatchmates(ModelConfig c) {
        Transformer net = model(c);
        int V = c.vocabSize();
        int[] mine = tokens(V, 9, 4);
        BatchedEngine alone = new BatchedEngine(WeightSet.of(net), new BatchedEngine.Options(1 << 22, 4, 64));
        float[] solo = new float[V];
        alone.step(List.of(BatchedEngine.Feed.last(alone.open(), mine, 0, mine.length, solo)));

        BatchedEngine shared = new BatchedEngine(WeightSet.of(net), new BatchedEngine.Options(1 << 22, 4, 64));
        float[] together = new float[V];
        List<BatchedEngine.Feed> feeds = new ArrayList<>();
        feeds.add(BatchedEngine.Feed.last(shared.open(), tokens(V, 13, 5), 0, 13, new float[V]));
        feeds.add(BatchedEngine.Feed.last(shared.open(), mine, 0, mine.length, together));
        feeds.add(BatchedEngine.Feed.last(shared.open(), tokens(V, 2, 6), 0, 2, new float[V]));
        shared.step(feeds);
        assertClose(together, solo, 0, "the same sequence alone and among others");
    }

    @Test
    void cachesGrowInBlocksAndGiveThemBack() {
        ModelConfig c = ModelConfig.llama(50, 40, 2, 4, 2, 32);
        BatchedEngine engine = new BatchedEngine(WeightSet.of(model(c)), new BatchedEngine.Options(KvBlockPool.bytesFor(c, 8, 64), 8, 64));
        KvCache a = engine.open(), b = engine.open();
        engine.step(List.of(BatchedEngine.Feed.last(a, tokens(50, 20, 1), 0, 20, new float[50]),
                BatchedEngine.Feed.last(b, tokens(50, 3, 2), 0, 3, new float[50])));
        assertThat(a.blockCount()).isEqualTo(3);
        assertThat(b.blockCount()).isEqualTo(1);
        assertThat(engine.pool().blocksInUse()).isEqualTo(4);
        a.truncate(8);
        assertThat(a.blockCount()).isEqualTo(1);
        a.release();
        b.release();
        assertThat(engine.pool().blocksInUse()).isZero();
        assertThat(engine.pool().bytesAllocated()).as("blocks are allocated as needed, not for the budget").isEqualTo(4 * engine.pool().bytesPerBlock());
    }

    @Test
    void aStepBeyondTheKvBudgetIsRefusedWithTheNumbersAndChangesNothing() {
        ModelConfig c = ModelConfig.llama(50, 40, 2, 4, 2, 32);
        BatchedEngine engine = new BatchedEngine(WeightSet.of(model(c)), new BatchedEngine.Options(KvBlockPool.bytesFor(c, 8, 32), 8, 64));
        KvCache a = engine.open(), b = engine.open();
        engine.step(List.of(BatchedEngine.Feed.last(a, tokens(50, 20, 1), 0, 20, new float[50])));
        assertThatThrownBy(() -> engine.step(List.of(BatchedEngine.Feed.last(a, tokens(50, 1, 1), 0, 1, new float[50]),
                BatchedEngine.Feed.last(b, tokens(50, 17, 2), 0, 17, new float[50]))))
                .isInstanceOf(KvBudgetExceededException.class)
                .hasMessageContaining("needs 3 more blocks of 8 positions")
                .hasMessageContaining("only 1 of 4 are free");
        assertThat(a.length()).isEqualTo(20);
        assertThat(b.length()).isZero();
        assertThat(engine.pool().blocksInUse()).isEqualTo(3);
    }

    @Test
    void badFeedsAreRefusedBeforeAnyWork() {
        ModelConfig c = ModelConfig.llama(50, 40, 2, 4, 2, 32);
        BatchedEngine engine = new BatchedEngine(WeightSet.of(model(c)), new BatchedEngine.Options(1 << 20, 8, 16));
        KvCache a = engine.open(8);
        assertThatThrownBy(() -> engine.step(List.of(BatchedEngine.Feed.last(a, new int[] {1, 99}, 0, 2, new float[50]))))
                .hasMessageContaining("token id 99 is outside the vocabulary of 50");
        assertThatThrownBy(() -> engine.step(List.of(BatchedEngine.Feed.last(a, new int[9], 0, 9, new float[50]))))
                .hasMessageContaining("exceed the sequence's capacity of 8");
        assertThatThrownBy(() -> engine.step(List.of(BatchedEngine.Feed.last(engine.open(), new int[17], 0, 17, new float[50]))))
                .hasMessageContaining("a step of 17 rows exceeds the limit of 16");
        assertThat(engine.pool().blocksInUse()).isZero();
    }
}
