package dev.anvil.train;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The trainer's console commentary: a line every train.log_interval steps (and the first and last),
 * evaluations, samples, checkpoints, skipped updates and loss spikes, and the summary.
 */
public final class ConsoleTrainingListener implements TrainingListener {

    private final PrintStream out;
    private final int logInterval;
    private long firstStep;

    public ConsoleTrainingListener(PrintStream out, int logInterval) {
        this.out = out;
        this.logInterval = logInterval;
    }

    @Override
    public void onStart(Start s) {
        firstStep = s.step();
        if (s.resumedFrom() == null) return;
        out.printf("resuming from %s (step %d)%n", s.resumedFrom(), s.step());
        if (s.savedThreads() != s.threads()) {
            out.printf("note: the run used %d compute threads, this session uses %d: training continues correctly, but the losses will "
                    + "not be bit-identical to an uninterrupted run (reductions split by thread count)%n", s.savedThreads(), s.threads());
        }
    }

    @Override
    public void onStep(Step s) {
        if (s.step() % logInterval != 0 && s.step() != s.maxSteps() && s.step() != firstStep + 1) return;
        out.printf(Locale.ROOT, "step %5d/%d | loss %.4f | lr %.2e | norm %.3f | %,.0f tok/s | %s | ETA %s%n",
                s.step(), s.maxSteps(), s.loss(), s.lr(), s.gradNorm(), s.tokensPerSecond(),
                Double.isNaN(s.mfu()) ? "MFU n/a" : String.format(Locale.ROOT, "MFU %.1f%%", 100 * s.mfu()), duration(s.etaSeconds()));
    }

    @Override
    public void onNonFinite(long step, float loss, double gradNorm) {
        out.printf("step %d: non-finite %s, update skipped%n", step, Float.isFinite(loss) ? "gradient norm " + gradNorm : "loss " + loss);
    }

    @Override
    public void onLossSpike(long step, float loss, double runningAverage) {
        out.printf(Locale.ROOT, "step %d: loss spike %.4f (running average %.4f)%n", step, loss, runningAverage);
    }

    @Override
    public void onGemmCeiling(double flopsPerSecond) {
        out.printf(Locale.ROOT, "GEMM ceiling (measured): %.1f GFLOP/s%n", flopsPerSecond / 1e9);
    }

    @Override
    public void onEvaluation(long step, Evaluation.Result r) {
        out.printf(Locale.ROOT, "step %5d | val loss %.4f | %.4f bits/byte%n", step, r.loss(), r.bitsPerByte());
    }

    @Override
    public void onSample(long step, String text) {
        out.printf("sample at step %d:%n%s%n", step, text);
    }

    @Override
    public void onCheckpoint(long step, Path checkpoint, boolean last) {
        if (!last) out.printf("checkpoint %s%n", checkpoint.getFileName());
    }

    @Override
    public void onFinish(Trainer.Summary s) {
        out.printf(Locale.ROOT, "done: %d steps, train loss %.4f, val loss %.4f (%.4f bits/byte), %s wall%n",
                s.steps(), s.lastTrainLoss(), s.lastValLoss(), s.lastValBpb(), duration(s.seconds()));
    }

    /** 42s, 3m07s, 1h02m03s. */
    static String duration(double seconds) {
        if (!Double.isFinite(seconds)) return "?";
        long s = Math.round(seconds);
        return s >= 3600 ? String.format("%dh%02dm%02ds", s / 3600, s / 60 % 60, s % 60) : s >= 60 ? String.format("%dm%02ds", s / 60, s % 60) : s + "s";
    }
}
