package dev.anvil.core.optim;

import dev.anvil.core.compute.ComputePool;

/**
 * Global-norm gradient clipping, as {@code torch.nn.utils.clip_grad_norm_}: if ‖g‖₂ over all
 * parameters exceeds maxNorm, every gradient is scaled by maxNorm / (‖g‖₂ + 1e-6).
 *
 * <p>The norm is summed in float64 over fixed blocks and the block sums are added in order, so
 * it is the same bit for bit whatever the number of threads.
 */
public final class GradientClipping {

    private static final int BLOCK = 1 << 14;

    private GradientClipping() {}

    /** ‖g‖₂ over the whole array; NaN or infinite if any gradient is. */
    public static double globalNorm(float[] grads) {
        int blocks = (grads.length + BLOCK - 1) / BLOCK;
        double[] partial = new double[blocks];
        ComputePool.shared().run(blocks, b -> {
            int start = b * BLOCK, end = Math.min(grads.length, start + BLOCK);
            double s = 0;
            for (int i = start; i < end; i++) s += (double) grads[i] * grads[i];
            partial[b] = s;
        });
        double total = 0;
        for (double s : partial) total += s;
        return Math.sqrt(total);
    }

    /**
     * Scales {@code grads} so their global norm is at most {@code maxNorm} and returns the norm
     * before clipping. A non-finite norm (NaN or infinity: a diverged step) leaves the gradients
     * untouched and is returned as is, so the caller can skip the update: check
     * {@code Double.isFinite(result)}.
     */
    public static double clipGlobalNorm(float[] grads, double maxNorm) {
        if (!(maxNorm > 0)) throw new IllegalArgumentException("clipGlobalNorm: maxNorm must be positive, got " + maxNorm);
        double norm = globalNorm(grads);
        if (!Double.isFinite(norm)) return norm;
        double coefficient = maxNorm / (norm + 1e-6);
        if (coefficient < 1) {
            float c = (float) coefficient;
            ComputePool.shared().parallelFor(grads.length, BLOCK, (s, e) -> {
                for (int i = s; i < e; i++) grads[i] *= c;
            });
        }
        return norm;
    }
}
