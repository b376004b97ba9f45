package dev.anvil.core.kernels;

/** Fully connected layer, PyTorch layout: {@code out[N, OC] = in[N, C] · W[OC, C]ᵀ + bias[OC]}. */
public final class Linear {
    private Linear() {}

    /** bias may be null. */
    public static void forward(float[] out, int outOff, float[] in, int inOff, float[] w, int wOff,
                               float[] bias, int biasOff, int N, int C, int OC) { throw new UnsupportedOperationException("not implemented yet"); }

    /** dIn += dOut·W; dW += dOutᵀ·in; dBias += Σ_rows dOut. Any gradient may be null. */
    public static void backward(float[] dIn, int dInOff, float[] dW, int dWOff, float[] dBias, int dBiasOff,
                                float[] dOut, int dOutOff, float[] in, int inOff, float[] w, int wOff,
                                int N, int C, int OC) { throw new UnsupportedOperationException("not implemented yet"); }
}
