package dev.anvil.core.optim;

/**
 * The learning rate as a function of the (0-based) optimizer step.
 */
public sealed interface LearningRateSchedule {

    double at(long step);

    /** The same rate at every step. */
    record Constant(double lr) implements LearningRateSchedule {
        public Constant {
            if (!(lr >= 0) || !Double.isFinite(lr)) throw new IllegalArgumentException("learning rate " + lr);
        }

        @Override
        public double at(long step) {
            return lr;
        }
    }

    /** How the rate falls from its peak to the floor after warmup. */
    enum Decay { COSINE, LINEAR, NONE }

    /**
     * Linear warmup over {@code warmupSteps} (step s &lt; warmup gets peak·(s + 1)/warmup, so the
     * last warmup step reaches the peak), then decay from peak at step {@code warmupSteps} to
     * {@code floor} at step {@code totalSteps}, and the floor after that. Cosine:
     * floor + (peak − floor)·½(1 + cos(π·progress)); linear: floor + (peak − floor)·(1 − progress).
     */
    record WarmupDecay(double peak, long warmupSteps, long totalSteps, double floor, Decay decay) implements LearningRateSchedule {
        public WarmupDecay {
            if (!(peak >= 0) || !(floor >= 0) || floor > peak) throw new IllegalArgumentException("schedule peak " + peak + ", floor " + floor);
            if (warmupSteps < 0 || totalSteps < warmupSteps) throw new IllegalArgumentException("schedule warmup " + warmupSteps + " of " + totalSteps + " steps");
        }

        @Override
        public double at(long step) {
            if (step < 0) throw new IllegalArgumentException("negative step " + step);
            if (step < warmupSteps) return peak * (step + 1) / warmupSteps;
            if (decay == Decay.NONE) return peak;
            if (step >= totalSteps) return floor;
            double progress = (double) (step - warmupSteps) / (totalSteps - warmupSteps);
            double fraction = decay == Decay.COSINE ? 0.5 * (1 + Math.cos(Math.PI * progress)) : 1 - progress;
            return floor + (peak - floor) * fraction;
        }
    }

    static LearningRateSchedule constant(double lr) {
        return new Constant(lr);
    }

    static LearningRateSchedule warmupCosine(double peak, long warmupSteps, long totalSteps, double floor) {
        return new WarmupDecay(peak, warmupSteps, totalSteps, floor, Decay.COSINE);
    }

    static LearningRateSchedule warmupLinear(double peak, long warmupSteps, long totalSteps, double floor) {
        return new WarmupDecay(peak, warmupSteps, totalSteps, floor, Decay.LINEAR);
    }

    static LearningRateSchedule warmupConstant(double peak, long warmupSteps) {
        return new WarmupDecay(peak, warmupSteps, warmupSteps, peak, Decay.NONE);
    }
}
