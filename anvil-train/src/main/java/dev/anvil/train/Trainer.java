package dev.anvil.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.anvil.core.autograd.Tape;
import dev.anvil.core.autograd.Var;
import dev.anvil.core.compute.ComputePool;
import dev.anvil.core.kernels.Gemm;
import dev.anvil.core.optim.AdamW;
import dev.anvil.core.optim.GradientClipping;
import dev.anvil.core.optim.LearningRateSchedule;
import dev.anvil.core.optim.ParameterGroup;
import dev.anvil.core.random.Rng;
import dev.anvil.model.Transformer;
import dev.anvil.model.TransformerLayout;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The training loop, independent of what is trained on: each step is train.grad_accum micro-batches
 * from {@link Batches}, each one's {@link Objective} loss differentiated on one tape (scaled by
 * 1/grad_accum so the gradients sum to the mean), global-norm clipping, then AdamW at the step's
 * learning rate (warmup + cosine, linear or constant). A step whose loss or gradient norm is not
 * finite skips its update (or stops the run, train.on_nonfinite: stop). Every eval.interval steps
 * it evaluates, every eval.sample_interval steps it samples, every checkpoint.interval steps (and
 * at the last) it writes a checkpoint; {@code metrics.jsonl} records every step, and
 * {@link TrainingListener}s hear everything as it happens.
 *
 * <p>Exact resume: everything that decides the numbers of step s is in the checkpoint (weights,
 * AdamW moments and step, the batches' position, this trainer's generator for dropout seeds, the
 * loss average that spike detection compares against) or derived from the seed and s. With the
 * same thread count the kernels reduce in a fixed order, so a resumed run repeats an uninterrupted
 * one bit for bit. The order of the arithmetic here — one dropout seed drawn per micro-batch, the
 * losses summed in double in micro-batch order — is part of that contract.
 *
 * @param <B> the batch type the batches produce and the objective reads
 */
public final class Trainer<B extends TrainingBatch> {

    /** The end state of a run. */
    public record Summary(long steps, double lastTrainLoss, double lastValLoss, double lastValBpb, double seconds) {}

    private final TrainingConfig config;
    private final Transformer net;
    private final Batches<B> batches;
    private final Objective<B> objective;
    private final RunCheckpoints checkpoints;
    private final MetricsLog metrics;
    private final AdamW adamw;
    private final LearningRateSchedule schedule;
    /** Activations of the training step; the evaluation may run on it too, reusing its buffers. */
    private final Tape tape = new Tape();
    private final List<TrainingListener> listeners = new ArrayList<>();
    private Evaluation evaluation;
    private SampleGenerator samples;
    private ObjectNode runState = JsonNodeFactory.instance.objectNode();
    private double flopsPerToken = Double.NaN;

    public Trainer(TrainingConfig config, Transformer net, Batches<B> batches, Objective<B> objective, Path runDir) {
        TrainingConfig.Train tc = config.train();
        this.config = config;
        this.net = net;
        this.batches = batches;
        this.objective = objective;
        this.checkpoints = new RunCheckpoints(runDir);
        this.metrics = new MetricsLog(runDir.resolve("metrics.jsonl"));
        List<ParameterGroup> groups = ParameterGroup.decayAndNoDecay(net.parameters().layout(),
                name -> TransformerLayout.isMatrix(net.parameters().layout().entry(name)), tc.weightDecay());
        this.adamw = new AdamW(net.parameters(), net.gradients(), groups, new AdamW.Config(tc.beta1(), tc.beta2(), tc.eps()));
        this.schedule = switch (tc.schedule()) {
            case "cosine" -> LearningRateSchedule.warmupCosine(tc.lr(), tc.warmupSteps(), tc.maxSteps(), tc.minLr());
            case "linear" -> LearningRateSchedule.warmupLinear(tc.lr(), tc.warmupSteps(), tc.maxSteps(), tc.minLr());
            default -> LearningRateSchedule.warmupConstant(tc.lr(), tc.warmupSteps());
        };
    }

    /** The tape the steps run on, for an evaluation that wants to share its buffers. */
    public Tape tape() {
        return tape;
    }

    public Trainer<B> evaluation(Evaluation e) {
        this.evaluation = e;
        return this;
    }

    public Trainer<B> samples(SampleGenerator s) {
        this.samples = s;
        return this;
    }

    public Trainer<B> listener(TrainingListener l) {
        listeners.add(l);
        return this;
    }

    /** Fields written into every checkpoint's state.json beside the trainer's own (what the run was trained on, for checks on resume). */
    public Trainer<B> runState(ObjectNode state) {
        this.runState = state.deepCopy();
        return this;
    }

    /** Training FLOPs per token of the model at the batches' sequence length: with the GEMM ceiling, the MFU figure. */
    public Trainer<B> flopsPerToken(double flops) {
        this.flopsPerToken = flops;
        return this;
    }

    /**
     * Trains from step 0 (the weights as the caller initialized them) or from {@code resumeFrom},
     * whose weights, optimizer state, batch position and generator this loads, up to train.max_steps.
     */
    public Summary run(Optional<RunCheckpoints.Saved> resumeFrom) throws IOException {
        long wallStart = System.nanoTime();
        TrainingConfig.Train tc = config.train();
        TrainingConfig.Eval ec = config.eval();
        Rng trainerRng = new Rng(tc.seed() ^ 0x5DEECE66DL);
        long step = 0;
        double lossEma = Double.NaN;
        int threads = ComputePool.shared().threads(), savedThreads = threads;
        Files.createDirectories(metrics.file().getParent());
        if (resumeFrom.isPresent()) {
            JsonNode st = resumeFrom.get().state();
            RunCheckpoints.load(resumeFrom.get(), net.config(), net.parameters(), adamw);
            step = st.get("step").asLong();
            batches.restore(st.get("loader"));
            long[] tr = new long[4];
            for (int i = 0; i < 4; i++) tr[i] = st.get("trainer_rng").get(i).asLong();
            trainerRng = Rng.fromState(tr);
            lossEma = st.path("loss_ema").asDouble(Double.NaN);
            savedThreads = st.path("threads").asInt(threads);
            metrics.truncateAfter(step);
        } else {
            metrics.truncateAfter(-1);
        }
        for (TrainingListener l : listeners) {
            l.onStart(new TrainingListener.Start(step, tc.maxSteps(), resumeFrom.map(RunCheckpoints.Saved::path).orElse(null), savedThreads, threads));
        }

        int accum = tc.gradAccum();
        double lastLoss = Double.NaN;
        Evaluation.Result lastEval = new Evaluation.Result(Double.NaN, Double.NaN);
        // The GEMM ceiling is measured after a few training steps, once the JIT has compiled the kernels.
        double ceiling = Double.NaN;
        double stepSecondsSum = 0;
        int stepsTimed = 0;
        long firstStep = step;
        try {
            if (step == 0 && ec.interval() > 0 && evaluation != null) lastEval = evaluate(0);
            while (step < tc.maxSteps()) {
                long t0 = System.nanoTime();
                double lr = schedule.at(step);
                net.zeroGradients();
                double lossSum = 0;
                long stepTokens = 0;
                int microTokens = 0;
                for (int micro = 0; micro < accum; micro++) {
                    B batch = batches.next();
                    microTokens = batch.tokenCount();
                    stepTokens += microTokens;
                    tape.reset();
                    long dropoutSeed = trainerRng.nextLong();
                    Var loss = objective.loss(tape, net, batch, (float) tc.dropout(), dropoutSeed);
                    lossSum += loss.value().get(0);
                    tape.backward(accum == 1 ? loss : tape.scale(loss, 1f / accum));
                }
                float loss = (float) (lossSum / accum);
                double norm = tc.gradClip() > 0 ? GradientClipping.clipGlobalNorm(net.gradients().data(), tc.gradClip())
                        : GradientClipping.globalNorm(net.gradients().data());
                step++;
                boolean finite = Float.isFinite(loss) && Double.isFinite(norm);
                if (finite) adamw.step(lr);
                double seconds = (System.nanoTime() - t0) / 1e9;
                if (step > firstStep + 1) { // the first step includes JIT warm-up
                    stepSecondsSum += seconds;
                    stepsTimed++;
                }
                if (tc.measureGemmCeiling() && Double.isNaN(ceiling) && step >= firstStep + 20) {
                    ceiling = measureGemmCeiling(microTokens, net.config().width());
                    for (TrainingListener l : listeners) l.onGemmCeiling(ceiling);
                }
                double tokensPerSecond = stepTokens / seconds;
                double mfu = flopsPerToken * tokensPerSecond / ceiling;

                ObjectNode rec = MetricsLog.record("train", step);
                rec.put("loss", (double) loss); // exact: every float is a double
                rec.put("lr", lr);
                rec.put("grad_norm", norm);
                rec.put("ms", seconds * 1e3);
                rec.put("tokens_per_s", tokensPerSecond);
                if (!Double.isNaN(mfu)) rec.put("mfu", mfu);
                metrics.append(rec);

                if (!finite) {
                    ObjectNode ev = MetricsLog.record("event", step);
                    ev.put("event", "nonfinite");
                    ev.put("loss", String.valueOf(loss));
                    ev.put("grad_norm", String.valueOf(norm));
                    metrics.append(ev);
                    if (tc.onNonFinite() == TrainingConfig.NonFinitePolicy.STOP) {
                        throw new NonFiniteTrainingException("step " + step + ": non-finite " + (Float.isFinite(loss) ? "gradient norm " + norm : "loss " + loss)
                                + "; stopping without a checkpoint (the last good one is in " + checkpoints.directory() + ")");
                    }
                    for (TrainingListener l : listeners) l.onNonFinite(step, loss, norm);
                } else {
                    if (!Double.isNaN(lossEma) && step > firstStep + 10 && loss > tc.spikeFactor() * lossEma) {
                        ObjectNode ev = MetricsLog.record("event", step);
                        ev.put("event", "loss_spike");
                        ev.put("loss", loss);
                        ev.put("loss_ema", lossEma);
                        metrics.append(ev);
                        for (TrainingListener l : listeners) l.onLossSpike(step, loss, lossEma);
                    }
                    lossEma = Double.isNaN(lossEma) ? loss : 0.9 * lossEma + 0.1 * loss;
                    lastLoss = loss;
                }
                double meanStepSeconds = stepsTimed > 0 ? stepSecondsSum / stepsTimed : seconds;
                TrainingListener.Step report = new TrainingListener.Step(step, tc.maxSteps(), loss, lr, norm, seconds, tokensPerSecond, mfu,
                        meanStepSeconds * (tc.maxSteps() - step));
                for (TrainingListener l : listeners) l.onStep(report);

                boolean last = step == tc.maxSteps();
                if (ec.interval() > 0 && evaluation != null && (step % ec.interval() == 0 || last)) lastEval = evaluate(step);
                if (samples != null && ec.sampleInterval() > 0 && ec.sampleTokens() > 0 && (step % ec.sampleInterval() == 0 || last)) {
                    String text = samples.sample(step);
                    ObjectNode s = MetricsLog.record("sample", step);
                    s.put("text", text);
                    metrics.append(s);
                    for (TrainingListener l : listeners) l.onSample(step, text);
                }
                if ((config.checkpoint().interval() > 0 && step % config.checkpoint().interval() == 0) || last) {
                    Path written = writeCheckpoint(step, trainerRng, lossEma);
                    for (TrainingListener l : listeners) l.onCheckpoint(step, written, last);
                }
            }
        } finally {
            metrics.close();
        }
        Summary summary = new Summary(step, lastLoss, lastEval.loss(), lastEval.bitsPerByte(), (System.nanoTime() - wallStart) / 1e9);
        for (TrainingListener l : listeners) l.onFinish(summary);
        return summary;
    }

    private Evaluation.Result evaluate(long step) throws IOException {
        Evaluation.Result r = evaluation.evaluate();
        ObjectNode rec = MetricsLog.record("eval", step);
        rec.put("val_loss", r.loss());
        rec.put("val_bpb", r.bitsPerByte());
        metrics.append(rec);
        for (TrainingListener l : listeners) l.onEvaluation(step, r);
        return r;
    }

    private Path writeCheckpoint(long step, Rng trainerRng, double lossEma) throws IOException {
        if (!allFinite(net.parameters().data())) {
            throw new NonFiniteTrainingException("step " + step + ": the weights contain NaN or infinity; not writing a checkpoint");
        }
        ObjectNode state = JsonNodeFactory.instance.objectNode();
        state.put("step", step);
        state.put("adamw_step", adamw.stepCount());
        state.set("loader", batches.position());
        ArrayNode tr = state.putArray("trainer_rng");
        for (long x : trainerRng.state()) tr.add(x);
        state.put("loss_ema", lossEma);
        state.setAll(runState);
        state.put("threads", ComputePool.shared().threads());
        Path written = checkpoints.write(step, net.config(), net.parameters(), adamw, state, config.toTree());
        checkpoints.prune(config.checkpoint().keep());
        return written;
    }

    private static boolean allFinite(float[] a) {
        for (float v : a) if (!Float.isFinite(v)) return false;
        return true;
    }

    /**
     * FLOP/s of the GEMM kernel at a training-like shape (rows = the micro-batch's tokens, a square
     * C×C weight), the ceiling the MFU figure is measured against: the best of a few runs after a
     * short warm-up.
     */
    public static double measureGemmCeiling(int rows, int width) {
        int m = Math.max(256, Math.min(rows, 2048)), n = Math.max(256, width), k = Math.max(256, width);
        float[] a = new float[m * k], b = new float[n * k], c = new float[m * n];
        Rng rng = new Rng(7);
        rng.fillUniform(a, 0, a.length, -1, 1);
        rng.fillUniform(b, 0, b.length, -1, 1);
        double best = 0;
        long end = System.nanoTime() + 300_000_000L;
        int runs = 0;
        while (System.nanoTime() < end || runs < 3) {
            long t0 = System.nanoTime();
            Gemm.sgemm(false, true, m, n, k, 1f, a, 0, k, b, 0, k, 0f, c, 0, n);
            double s = (System.nanoTime() - t0) / 1e9;
            best = Math.max(best, 2.0 * m * n * k / s);
            runs++;
        }
        return best;
    }
}
