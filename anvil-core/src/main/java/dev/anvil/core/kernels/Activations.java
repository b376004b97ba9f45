package dev.anvil.core.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import static dev.anvil.core.kernels.KernelChecks.first;
import static dev.anvil.core.kernels.KernelChecks.optionalRange;
import static dev.anvil.core.kernels.KernelChecks.range;
import static dev.anvil.core.kernels.KernelChecks.sizes;

/**
 * Elementwise activations: GELU (tanh approximation, as GPT-2), SiLU, and SwiGLU's gated product.
 * Outputs may alias inputs (in place).
 *
 * <p>Everything is written in terms of the logistic σ(z) = 1/(1 + e^(−z)) with
 * {@link VectorMath#exp}: GPT-2's tanh form equals x·σ(2u) because 0.5·(1 + tanh u) = σ(2u), which
 * needs one exp and no tanh, and whose scalar tail matches the vector lanes bit for bit.
 */
public final class Activations {
    private Activations() {}

    private static final VectorSpecies<Float> S = VectorMath.SPECIES;
    private static final int L = VectorMath.LANES;

    /** √(2/π) and the cubic coefficient of GPT-2's tanh approximation. */
    private static final float GELU_K = 0.7978845608028654f;
    private static final float GELU_C = 0.044715f;
    private static final FloatVector ONE = FloatVector.broadcast(S, 1f);
    private static final FloatVector GELU_M2K = FloatVector.broadcast(S, -2 * GELU_K);
    private static final FloatVector GELU_M2KC = FloatVector.broadcast(S, -2 * GELU_K * GELU_C);
    private static final FloatVector GELU_2K = FloatVector.broadcast(S, 2 * GELU_K);
    private static final FloatVector GELU_6KC = FloatVector.broadcast(S, 6 * GELU_K * GELU_C);

    /** out = 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), computed as x·σ(2u), u = √(2/π)·(x + 0.044715·x³). */
    public static void geluForward(float[] out, int outOff, float[] in, int inOff, int n) {
        checkUnary("geluForward", out, outOff, in, inOff, n, "out", "in");
        VectorMath.parallelElementwise(n, (i0, i1) -> {
            int i = i0;
            for (int bound = i1 - L; i <= bound; i += L) {
                FloatVector x = FloatVector.fromArray(S, in, inOff + i);
                x.div(VectorMath.exp(minusTwoU(x)).add(1f)).intoArray(out, outOff + i);
            }
            for (; i < i1; i++) out[outOff + i] = gelu(in[inOff + i]);
        });
    }

    /**
     * dIn += dOut·gelu'(x). With s = σ(2u): 1 + tanh u = 2s and 1 − tanh²u = 4s(1 − s), so
     * gelu'(x) = 0.5·(1 + tanh u) + 0.5·x·(1 − tanh²u)·u'(x) = s + x·s·(1 − s)·(2k + 6k·0.044715·x²).
     */
    public static void geluBackward(float[] dIn, int dInOff, float[] in, int inOff, float[] dOut, int dOutOff, int n) {
        checkBinary("geluBackward", dIn, dInOff, in, inOff, dOut, dOutOff, n, "dIn", "in", "dOut");
        VectorMath.parallelElementwise(n, (i0, i1) -> {
            int i = i0;
            for (int bound = i1 - L; i <= bound; i += L) {
                FloatVector x = FloatVector.fromArray(S, in, inOff + i);
                FloatVector s = ONE.div(VectorMath.exp(minusTwoU(x)).add(1f));
                FloatVector twoDu = x.mul(x).fma(GELU_6KC, GELU_2K);
                FloatVector grad = x.mul(s).mul(ONE.sub(s)).fma(twoDu, s);
                FloatVector.fromArray(S, dOut, dOutOff + i).fma(grad, FloatVector.fromArray(S, dIn, dInOff + i))
                        .intoArray(dIn, dInOff + i);
            }
            for (; i < i1; i++) dIn[dInOff + i] = Math.fma(dOut[dOutOff + i], geluDerivative(in[inOff + i]), dIn[dInOff + i]);
        });
    }

    /** −2u = x·(−2k − 2k·0.044715·x²). */
    private static FloatVector minusTwoU(FloatVector x) {
        return x.mul(x).fma(GELU_M2KC, GELU_M2K).mul(x);
    }

    /** out = x·sigmoid(x). */
    public static void siluForward(float[] out, int outOff, float[] in, int inOff, int n) {
        checkUnary("siluForward", out, outOff, in, inOff, n, "out", "in");
        VectorMath.parallelElementwise(n, (i0, i1) -> {
            int i = i0;
            for (int bound = i1 - L; i <= bound; i += L) {
                FloatVector x = FloatVector.fromArray(S, in, inOff + i);
                x.mul(sigmoid(x)).intoArray(out, outOff + i);
            }
            for (; i < i1; i++) {
                float x = in[inOff + i];
                out[outOff + i] = x * sigmoid(x);
            }
        });
    }

    /** dIn += dOut·silu'(x), silu'(x) = σ(x)·(1 + x·(1 − σ(x))). */
    public static void siluBackward(float[] dIn, int dInOff, float[] in, int inOff, float[] dOut, int dOutOff, int n) {
        checkBinary("siluBackward", dIn, dInOff, in, inOff, dOut, dOutOff, n, "dIn", "in", "dOut");
        VectorMath.parallelElementwise(n, (i0, i1) -> {
            int i = i0;
            for (int bound = i1 - L; i <= bound; i += L) {
                FloatVector x = FloatVector.fromArray(S, in, inOff + i);
                FloatVector grad = siluDerivative(x, sigmoid(x));
                FloatVector.fromArray(S, dOut, dOutOff + i).fma(grad, FloatVector.fromArray(S, dIn, dInOff + i))
                        .intoArray(dIn, dInOff + i);
            }
            for (; i < i1; i++) {
                float x = in[inOff + i];
                float s = sigmoid(x);
                dIn[dInOff + i] = Math.fma(dOut[dOutOff + i], (x * (1f - s) + 1f) * s, dIn[dInOff + i]);
            }
        });
    }

    /** SwiGLU: out = silu(gate)·up. */
    public static void swigluForward(float[] out, int outOff, float[] gate, int gateOff, float[] up, int upOff, int n) {
        checkBinary("swigluForward", out, outOff, gate, gateOff, up, upOff, n, "out", "gate", "up");
        VectorMath.parallelElementwise(n, (i0, i1) -> {
            int i = i0;
            for (int bound = i1 - L; i <= bound; i += L) {
                FloatVector g = FloatVector.fromArray(S, gate, gateOff + i);
                g.mul(sigmoid(g)).mul(FloatVector.fromArray(S, up, upOff + i)).intoArray(out, outOff + i);
            }
            for (; i < i1; i++) {
                float g = gate[gateOff + i];
                out[outOff + i] = g * sigmoid(g) * up[upOff + i];
            }
        });
    }

    /** dGate += dOut·up·silu'(gate); dUp += dOut·silu(gate). Either gradient may be null. */
    public static void swigluBackward(float[] dGate, int dGateOff, float[] dUp, int dUpOff,
                                      float[] gate, int gateOff, float[] up, int upOff,
                                      float[] dOut, int dOutOff, int n) {
        String problem = first(sizes("n", n),
                optionalRange("dGate", dGate, dGateOff, n),
                optionalRange("dUp", dUp, dUpOff, n),
                range("gate", gate, gateOff, n),
                dGate == null ? null : range("up", up, upOff, n),
                range("dOut", dOut, dOutOff, n));
        if (problem != null) throw fail("swigluBackward", n, problem);
        if (dGate == null && dUp == null) return;
        VectorMath.parallelElementwise(n, (i0, i1) -> {
            int i = i0;
            for (int bound = i1 - L; i <= bound; i += L) {
                FloatVector g = FloatVector.fromArray(S, gate, gateOff + i);
                FloatVector go = FloatVector.fromArray(S, dOut, dOutOff + i);
                FloatVector s = sigmoid(g);
                if (dGate != null) {
                    FloatVector gu = go.mul(FloatVector.fromArray(S, up, upOff + i));
                    gu.fma(siluDerivative(g, s), FloatVector.fromArray(S, dGate, dGateOff + i)).intoArray(dGate, dGateOff + i);
                }
                if (dUp != null) go.fma(g.mul(s), FloatVector.fromArray(S, dUp, dUpOff + i)).intoArray(dUp, dUpOff + i);
            }
            for (; i < i1; i++) {
                float g = gate[gateOff + i], go = dOut[dOutOff + i];
                float s = sigmoid(g);
                if (dGate != null) dGate[dGateOff + i] = Math.fma(go * up[upOff + i], (g * (1f - s) + 1f) * s, dGate[dGateOff + i]);
                if (dUp != null) dUp[dUpOff + i] = Math.fma(go, g * s, dUp[dUpOff + i]);
            }
        });
    }

    // Scalar twins of the vector expressions, operation for operation, so tails match lanes bit for bit.

    static float gelu(float x) {
        return x / (VectorMath.exp(Math.fma(x * x, -2 * GELU_K * GELU_C, -2 * GELU_K) * x) + 1f);
    }

    static float geluDerivative(float x) {
        float s = 1f / (VectorMath.exp(Math.fma(x * x, -2 * GELU_K * GELU_C, -2 * GELU_K) * x) + 1f);
        return Math.fma(x * s * (1f - s), Math.fma(x * x, 6 * GELU_K * GELU_C, 2 * GELU_K), s);
    }

    /** σ(x) = 1/(1 + e^(−x)): for x → −∞, e^(−x) → ∞ and σ → 0 without NaN; for x → ∞, σ → 1. */
    private static FloatVector sigmoid(FloatVector x) {
        return ONE.div(VectorMath.exp(x.neg()).add(1f));
    }

    private static float sigmoid(float x) {
        return 1f / (VectorMath.exp(-x) + 1f);
    }

    /** silu'(x) = σ·(1 + x·(1 − σ)). */
    private static FloatVector siluDerivative(FloatVector x, FloatVector s) {
        return x.mul(ONE.sub(s)).add(1f).mul(s);
    }

    private static void checkUnary(String op, float[] out, int outOff, float[] in, int inOff, int n, String outName, String inName) {
        String problem = first(sizes("n", n), range(outName, out, outOff, n), range(inName, in, inOff, n));
        if (problem != null) throw fail(op, n, problem);
    }

    private static void checkBinary(String op, float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int n,
                                    String aName, String bName, String cName) {
        String problem = first(sizes("n", n), range(aName, a, aOff, n), range(bName, b, bOff, n), range(cName, c, cOff, n));
        if (problem != null) throw fail(op, n, problem);
    }

    private static IllegalArgumentException fail(String op, int n, String problem) {
        return new IllegalArgumentException("Activations." + op + "(n=" + n + "): " + problem);
    }
}
