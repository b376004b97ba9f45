package dev.anvil.core.kernels;

/**
 * Inverted dropout with a counter-based mask: element i is kept iff hash(seed, i) ≥ p, and kept
 * elements are scaled by 1/(1−p). The mask is a pure function of (seed, i), so backward recomputes
 * it instead of storing it, and a resumed run reproduces it exactly.
 */
public final class Dropout {
    private Dropout() {}

    public static void forward(float[] out, int outOff, float[] in, int inOff, int n, float p, long seed) { throw new UnsupportedOperationException("not implemented yet"); }

    public static void backward(float[] dIn, int dInOff, float[] dOut, int dOutOff, int n, float p, long seed) { throw new UnsupportedOperationException("not implemented yet"); }
}
