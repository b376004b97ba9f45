package dev.anvil.core.kernels;

import java.util.SplittableRandom;
import java.util.function.ToDoubleFunction;

/**
 * Finite differences at a sample of coordinates, for inputs too large to difference in full (the
 * multi-threaded sizes): the check is the same as {@link GradCheck}'s, restricted to the sample.
 * Also the padding used to test offsets: arrays with junk before and after the tensor.
 */
final class SampledGradient {
    private SampledGradient() {}

    /** All of [0, n) when n ≤ count, else count distinct indices drawn at random. */
    static int[] indices(SplittableRandom rng, int n, int count) {
        if (n <= count) {
            int[] all = new int[n];
            for (int i = 0; i < n; i++) all[i] = i;
            return all;
        }
        return rng.ints(0, n).distinct().limit(count).sorted().toArray();
    }

    /** Central differences of f at x along each coordinate in idx (x is restored). */
    static double[] numeric(ToDoubleFunction<double[]> f, double[] x, double h, int[] idx) {
        double[] g = new double[idx.length];
        for (int k = 0; k < idx.length; k++) {
            int i = idx[k];
            double xi = x[i];
            x[i] = xi + h;
            double fp = f.applyAsDouble(x);
            x[i] = xi - h;
            double fm = f.applyAsDouble(x);
            x[i] = xi;
            g[k] = (fp - fm) / (2 * h);
        }
        return g;
    }

    /**
     * Normwise relative error of the accumulated gradient (after − before, from offset off) against
     * the numeric gradient at idx: checks the value and that backward added rather than overwrote.
     */
    static double accumulatedError(float[] after, float[] before, int off, int[] idx, double[] numeric) {
        float[] added = new float[idx.length];
        for (int k = 0; k < idx.length; k++) added[k] = after[off + idx[k]] - before[off + idx[k]];
        return GradCheck.relativeError(added, numeric);
    }

    /** x copied into a new array at offset off, with off junk values before and tail after. */
    static float[] padded(SplittableRandom rng, float[] x, int off, int tail) {
        float[] p = new float[off + x.length + tail];
        for (int i = 0; i < p.length; i++) p[i] = (float) rng.nextDouble(-1, 1);
        System.arraycopy(x, 0, p, off, x.length);
        return p;
    }

    /** n random floats in [lo, hi). */
    static float[] randomFloats(SplittableRandom rng, int n, double lo, double hi) {
        return GradCheck.toFloats(GradCheck.randomDoubles(rng, n, lo, hi));
    }

    /** Normwise relative error of a[off, off+b.length) against b. */
    static double forwardError(float[] a, int off, double[] b) {
        float[] slice = new float[b.length];
        System.arraycopy(a, off, slice, 0, b.length);
        return GradCheck.relativeError(slice, b);
    }
}
