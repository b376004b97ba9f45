package dev.anvil.core.kernels;

/** RMSNorm over the last axis: {@code y = x·rstd·weight}, rstd = 1/sqrt(mean(x²) + eps). */
public final class RmsNorm {
    private RmsNorm() {}

    /** in/out [N, C]; saves rstd[N] for backward. */
    public static void forward(float[] out, int outOff, float[] rstd, int rstdOff, float[] in, int inOff,
                               float[] weight, int wOff, int N, int C, float eps) { throw new UnsupportedOperationException("not implemented yet"); }

    public static void backward(float[] dIn, int dInOff, float[] dWeight, int dwOff, float[] dOut, int dOutOff,
                                float[] in, int inOff, float[] weight, int wOff, float[] rstd, int rstdOff,
                                int N, int C) { throw new UnsupportedOperationException("not implemented yet"); }
}
