package dev.anvil.train;

import java.nio.file.Path;

/**
 * What a {@link Trainer} reports while it runs, as values rather than console text: the console
 * ({@link ConsoleTrainingListener}), a progress bar or a test each pick what they need. Calls come
 * from the training thread, in step order; every method does nothing by default.
 */
public interface TrainingListener {

    /**
     * @param step          the step training starts from (0, or the checkpoint's)
     * @param resumedFrom   the checkpoint resumed from, or null for a fresh run
     * @param savedThreads  compute threads of the run that wrote that checkpoint (equals {@code threads} on a fresh run)
     * @param threads       compute threads of this session: with a different count, reductions split differently
     */
    record Start(long step, long maxSteps, Path resumedFrom, int savedThreads, int threads) {}

    /**
     * One optimizer step.
     *
     * @param loss            mean loss over the step's micro-batches (as float, the precision it has)
     * @param gradNorm        global gradient norm before clipping
     * @param tokensPerSecond tokens of the step / its wall time
     * @param mfu             model FLOP utilization against the measured GEMM ceiling, NaN until measured
     * @param etaSeconds      the remaining steps at this session's mean step time (the first step, with JIT warm-up, left out)
     */
    record Step(long step, long maxSteps, float loss, double lr, double gradNorm, double seconds, double tokensPerSecond, double mfu,
                double etaSeconds) {}

    default void onStart(Start start) {}

    default void onStep(Step step) {}

    /** The step's loss or gradient norm was NaN or infinite and its update was skipped (train.on_nonfinite: skip). */
    default void onNonFinite(long step, float loss, double gradNorm) {}

    /** The loss jumped above train.spike_factor × its running average. */
    default void onLossSpike(long step, float loss, double runningAverage) {}

    /** The GEMM kernel's FLOP/s at a training-like shape, measured once after the JIT warmed up: the MFU's denominator. */
    default void onGemmCeiling(double flopsPerSecond) {}

    default void onEvaluation(long step, Evaluation.Result result) {}

    default void onSample(long step, String text) {}

    /** @param last whether this is the checkpoint of the final step */
    default void onCheckpoint(long step, Path checkpoint, boolean last) {}

    default void onFinish(Trainer.Summary summary) {}
}
