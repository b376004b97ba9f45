package dev.anvil.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.anvil.core.random.Rng;
import dev.anvil.model.ModelConfigFiles;
import dev.anvil.model.Transformer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The trainer with batches and an objective of its own (not pretraining's): listeners hear every
 * step, evaluation and checkpoint as values, and a run resumed in-process from a checkpoint
 * repeats the uninterrupted one bit for bit.
 */
class TrainerTest {

    /** Copies of one fixed batch, counting how many were served: the whole position. */
    static final class CountingBatches implements Batches<TokenWindowBatches.Windows> {
        final TokenWindowBatches.Windows batch;
        long served;

        CountingBatches(int B, int T, int vocab) {
            int[] in = new int[B * T], tg = new int[B * T];
            Rng r = new Rng(3);
            for (int i = 0; i < in.length; i++) {
                in[i] = r.nextInt(vocab);
                tg[i] = r.nextInt(vocab);
            }
            batch = new TokenWindowBatches.Windows(in, tg, B, T);
        }

        @Override
        public TokenWindowBatches.Windows next() {
            served++;
            return batch;
        }

        @Override
        public ObjectNode position() {
            return JsonNodeFactory.instance.objectNode().put("served", served);
        }

        @Override
        public void restore(JsonNode position) {
            served = position.get("served").asLong();
        }
    }

    /** Records what the trainer reports. */
    static final class Recorder implements TrainingListener {
        final List<String> events = new ArrayList<>();
        final List<Float> losses = new ArrayList<>();

        @Override
        public void onStart(Start s) {
            events.add("start " + s.step() + (s.resumedFrom() == null ? "" : " resumed"));
        }

        @Override
        public void onStep(Step s) {
            losses.add(s.loss());
            assertThat(s.tokensPerSecond()).isPositive();
        }

        @Override
        public void onEvaluation(long step, Evaluation.Result result) {
            assertThat(result.loss()).isFinite();
            events.add("eval " + step);
        }

        @Override
        public void onCheckpoint(long step, Path checkpoint, boolean last) {
            events.add("checkpoint " + step + (last ? " last" : ""));
        }

        @Override
        public void onFinish(Trainer.Summary summary) {
            events.add("finish " + summary.steps());
        }
    }

    private static TrainingConfig config(int steps) throws IOException {
        ObjectNode tree = TrainingFixtures.recipe("unused", steps);
        // A constant rate after warmup, so that a run of fewer steps is a prefix of a longer one.
        ((ObjectNode) tree.get("train")).put("schedule", "constant");
        ((ObjectNode) tree.get("eval")).put("interval", 4).put("sample_interval", 0);
        ((ObjectNode) tree.get("checkpoint")).put("interval", 3);
        return TrainingConfig.fromTree(tree);
    }

    private static Recorder train(TrainingConfig config, Path runDir, boolean resume) throws IOException {
        Transformer net = new Transformer(ModelConfigFiles.fromTree(config.model(), 40));
        Optional<RunCheckpoints.Saved> saved = resume ? new RunCheckpoints(runDir).latest() : Optional.empty();
        if (saved.isEmpty()) net.initialize(new Rng(config.train().seed()));
        CountingBatches batches = new CountingBatches(2, 16, 40);
        Recorder recorder = new Recorder();
        // A masked objective: only the first half of each window counts (the shape SFT's loss will have).
        Objective<TokenWindowBatches.Windows> firstHalf = (tape, model, b, dropout, seed) -> {
            int[] targets = b.targets().clone();
            for (int row = 0; row < b.batchSize(); row++) {
                for (int t = b.seqLen() / 2; t < b.seqLen(); t++) targets[row * b.seqLen() + t] = -1;
            }
            return model.loss(tape, b.inputs(), targets, 0, b.batchSize(), b.seqLen(), dropout, seed);
        };
        Trainer<TokenWindowBatches.Windows> trainer = new Trainer<>(config, net, batches, firstHalf, runDir)
                .listener(recorder)
                .evaluation(() -> new Evaluation.Result(net.parameters().data()[0], Double.NaN));
        Trainer.Summary s = trainer.run(saved);
        assertThat(s.steps()).isEqualTo(config.train().maxSteps());
        assertThat(batches.served).isEqualTo((long) s.steps() * config.train().gradAccum());
        return recorder;
    }

    @Test
    void listenersHearEveryStepAndAResumedRunRepeatsTheUninterruptedOne(@TempDir Path dir) throws IOException {
        Recorder whole = train(config(10), dir.resolve("whole"), false);
        assertThat(whole.losses).hasSize(10).allMatch(Float::isFinite);
        assertThat(whole.losses.getLast()).isLessThan(whole.losses.getFirst());
        assertThat(whole.events).containsExactly("start 0", "eval 0", "checkpoint 3", "eval 4", "checkpoint 6", "eval 8",
                "checkpoint 9", "eval 10", "checkpoint 10 last", "finish 10");

        Path split = dir.resolve("split");
        train(config(6), split, false);
        Recorder rest = train(config(10), split, true);
        assertThat(rest.events.getFirst()).isEqualTo("start 6 resumed");
        assertThat(rest.losses).containsExactlyElementsOf(whole.losses.subList(6, 10));
        assertThat(Files.readAllBytes(split.resolve("checkpoints/step_000010/model.safetensors")))
                .isEqualTo(Files.readAllBytes(dir.resolve("whole/checkpoints/step_000010/model.safetensors")));
    }
}
