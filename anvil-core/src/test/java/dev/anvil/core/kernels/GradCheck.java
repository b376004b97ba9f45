package dev.anvil.core.kernels;

import java.util.SplittableRandom;
import java.util.function.ToDoubleFunction;

/**
 * Finite differences in float64, the reference every backward kernel is checked against.
 *
 * <p>Pattern: write the op's forward once more in plain float64 loops in the test (the reference
 * function), reduce its output to a scalar loss L = Σ out ⊙ w with fixed random weights w, and
 * take central differences dL/dx_i ≈ (L(x + h·e_i) − L(x − h·e_i)) / 2h. The float32 backward
 * kernel, fed dOut = w, must match that gradient to within float32 rounding.
 */
public final class GradCheck {

    private GradCheck() {}

    /** Central-difference gradient of {@code f} at {@code x} (x is restored afterwards). */
    public static double[] numericGradient(ToDoubleFunction<double[]> f, double[] x, double h) {
        double[] g = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            double xi = x[i];
            x[i] = xi + h;
            double fp = f.applyAsDouble(x);
            x[i] = xi - h;
            double fm = f.applyAsDouble(x);
            x[i] = xi;
            g[i] = (fp - fm) / (2 * h);
        }
        return g;
    }

    /** Σ out_i · w_i: the scalar whose gradient with respect to out is w. */
    public static double weightedSum(double[] out, double[] w) {
        double s = 0;
        for (int i = 0; i < out.length; i++) s += out[i] * w[i];
        return s;
    }

    /** ‖a − b‖ / max(‖b‖, tiny): the normwise relative error used throughout the tests. */
    public static double relativeError(float[] a, double[] b) {
        if (a.length != b.length) throw new IllegalArgumentException("lengths differ: " + a.length + " vs " + b.length);
        double num = 0, den = 0;
        for (int i = 0; i < a.length; i++) {
            double d = a[i] - b[i];
            num += d * d;
            den += b[i] * b[i];
        }
        return Math.sqrt(num) / Math.max(Math.sqrt(den), 1e-30);
    }

    public static double[] randomDoubles(SplittableRandom rng, int n, double lo, double hi) {
        double[] x = new double[n];
        for (int i = 0; i < n; i++) x[i] = rng.nextDouble(lo, hi);
        return x;
    }

    public static float[] toFloats(double[] x) {
        float[] f = new float[x.length];
        for (int i = 0; i < x.length; i++) f[i] = (float) x[i];
        return f;
    }

    /** Widens float32 values back to float64 so the reference sees exactly what the kernel saw. */
    public static double[] toDoubles(float[] x) {
        double[] d = new double[x.length];
        for (int i = 0; i < x.length; i++) d[i] = x[i];
        return d;
    }
}
