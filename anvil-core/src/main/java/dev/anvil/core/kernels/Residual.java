package dev.anvil.core.kernels;

/** Residual connection: {@code out = a + b}. */
public final class Residual {
    private Residual() {}

    public static void forward(float[] out, int outOff, float[] a, int aOff, float[] b, int bOff, int n) { throw new UnsupportedOperationException("not implemented yet"); }

    /** dA += dOut; dB += dOut (either may be null). */
    public static void backward(float[] dA, int dAOff, float[] dB, int dBOff, float[] dOut, int dOutOff, int n) { throw new UnsupportedOperationException("not implemented yet"); }
}
