package dev.anvil.core.kernels;

/** Row-wise softmax over the last axis, numerically stable (max subtracted). */
public final class Softmax {
    private Softmax() {}

    public static void forward(float[] out, int outOff, float[] in, int inOff, int N, int C) { throw new UnsupportedOperationException("not implemented yet"); }

    /** dIn += out ⊙ (dOut − Σ dOut⊙out). */
    public static void backward(float[] dIn, int dInOff, float[] out, int outOff, float[] dOut, int dOutOff, int N, int C) { throw new UnsupportedOperationException("not implemented yet"); }
}
