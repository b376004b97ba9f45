package dev.anvil.core.kernels;

/** Elementwise activations: GELU (tanh approximation, as GPT-2), SiLU, and SwiGLU's gated product. */
public final class Activations {
    private Activations() {}

    /** out = 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). */
    public static void geluForward(float[] out, int outOff, float[] in, int inOff, int n) { throw new UnsupportedOperationException("not implemented yet"); }

    public static void geluBackward(float[] dIn, int dInOff, float[] in, int inOff, float[] dOut, int dOutOff, int n) { throw new UnsupportedOperationException("not implemented yet"); }

    /** out = x·sigmoid(x). */
    public static void siluForward(float[] out, int outOff, float[] in, int inOff, int n) { throw new UnsupportedOperationException("not implemented yet"); }

    public static void siluBackward(float[] dIn, int dInOff, float[] in, int inOff, float[] dOut, int dOutOff, int n) { throw new UnsupportedOperationException("not implemented yet"); }

    /** SwiGLU: out = silu(gate)·up. */
    public static void swigluForward(float[] out, int outOff, float[] gate, int gateOff, float[] up, int upOff, int n) { throw new UnsupportedOperationException("not implemented yet"); }

    public static void swigluBackward(float[] dGate, int dGateOff, float[] dUp, int dUpOff,
                                      float[] gate, int gateOff, float[] up, int upOff,
                                      float[] dOut, int dOutOff, int n) { throw new UnsupportedOperationException("not implemented yet"); }
}
