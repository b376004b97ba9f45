package dev.anvil.cli.recipe;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.anvil.core.compute.ComputePool;
import dev.anvil.model.ModelConfig;
import dev.anvil.model.ModelConfigFiles;
import dev.anvil.train.Evaluation;
import dev.anvil.train.Pretraining;
import dev.anvil.train.RunCheckpoints;
import dev.anvil.train.Trainer;
import dev.anvil.train.TrainingConfig;
import dev.anvil.train.TrainingListener;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * {@code anvil train} on the token shards, with {@code train/} as the run directory (checkpoints,
 * metrics.jsonl, the training report, the tokenizer): {@code anvil generate/chat/export --model
 * RUN/train} use it as is. An interrupted stage resumes from its last checkpoint.
 */
final class TrainStage implements Stage {
    /** Training FLOP/s per compute thread assumed before any step ran: a quickstart-sized Llama measured ~80 GFLOP/s on the 2-core dev machine (bench train); the run then calibrates. */
    private static final double FLOPS_PER_THREAD = 30e9;

    @Override
    public String name() {
        return "train";
    }

    @Override
    public List<String> consumes() {
        return List.of("tokenize");
    }

    @Override
    public JsonNode config(Recipe recipe) {
        return recipe.resolved().get("train");
    }

    @Override
    public double estimateSeconds(StageContext ctx) {
        Recipe r = ctx.recipe();
        TrainingConfig.Train t = r.training().train();
        int vocab = (int) Stage.upstream(ctx, "tokenize", "vocab_size", r.tokenizer().type().equals("bpe") ? r.tokenizer().vocabSize() : 100);
        ModelConfig model = ModelConfigFiles.fromTree(r.training().model(), vocab);
        int T = t.seqLen() == 0 ? model.contextLength() : t.seqLen();
        double tokens = (double) t.maxSteps() * t.batchSize() * T * t.gradAccum();
        double evalTokens = r.training().eval().interval() == 0 ? 0
                : (t.maxSteps() / (double) r.training().eval().interval() + 1) * r.training().eval().batches() * t.batchSize() * T / 3.0;
        return 5 + model.trainingFlopsPerToken(T) * (tokens + evalTokens) / (FLOPS_PER_THREAD * ComputePool.shared().threads());
    }

    @Override
    public Result run(StageContext ctx) throws Exception {
        Path dir = ctx.dir();
        TrainingConfig config = ctx.recipe().training().withDataPath(ctx.dir("tokenize").toString());
        boolean resume = !new RunCheckpoints(dir).complete().isEmpty();
        Trainer.Summary sm = new Pretraining(config, dir, resume, ctx.log()).listener(new ProgressListener(ctx.progress())).run();
        ObjectNode s = JsonNodeFactory.instance.objectNode();
        s.put("steps", sm.steps());
        s.put("train_loss", sm.lastTrainLoss());
        s.put("val_loss", sm.lastValLoss());
        s.put("val_bpb", sm.lastValBpb());
        s.put("seconds", sm.seconds());
        s.put("resumed", resume);
        List<Path> checkpoints = new RunCheckpoints(dir).complete();
        if (checkpoints.isEmpty()) throw new IllegalStateException("stage train: no checkpoint was written in " + dir);
        Path last = checkpoints.getLast();
        s.put("checkpoint", ctx.runDir().relativize(last.toAbsolutePath()).toString());
        ctx.log().printf(Locale.ROOT, "done: %d steps, val loss %.4f%n", sm.steps(), sm.lastValLoss());
        return new Result(s, List.of("train/metrics.jsonl", "train/tokenizer", ctx.runDir().relativize(last.toAbsolutePath()).toString()));
    }

    /** The stage's progress bar, driven by the trainer's steps: fraction of train.max_steps, the loss and the last val loss. */
    private static final class ProgressListener implements TrainingListener {
        private final RunProgress progress;
        private String lastVal = "";

        ProgressListener(RunProgress progress) {
            this.progress = progress;
        }

        @Override
        public void onEvaluation(long step, Evaluation.Result result) {
            lastVal = String.format(Locale.ROOT, " val %.4f", result.loss());
        }

        @Override
        public void onStep(Step s) {
            progress.update((double) s.step() / s.maxSteps(), String.format(Locale.ROOT, "step %d/%d loss %.4f%s", s.step(), s.maxSteps(), s.loss(), lastVal));
        }
    }
}
