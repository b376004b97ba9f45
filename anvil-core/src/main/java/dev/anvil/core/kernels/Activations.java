package dev.anvil.core.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import static dev.anvil.core.kernels.KernelChecks.first;
import static dev.anvil.core.kernels.KernelChecks.optionalRange;
import static dev.anvil.core.kernels.KernelChecks.range;
import static dev.anvil.core.kernels.KernelChecks.sizes;

/**
 * Elementwise activations: GELU (tanh approximation, as GPT-2 and Hugging Face's {@code gelu_new}),
 * GELU with erf ({@code torch.nn.GELU()}, as nanoGPT), SiLU, and SwiGLU's gated product.
 * Outputs may alias inputs (in place).
 *
 * <p>Everything is written in terms of the logistic σ(z) = 1/(1 + e^(−z)) with
 * {@link VectorMath#exp}: GPT-2's tanh form equals x·σ(2u) because 0.5·(1 + tanh u) = σ(2u), which
 * needs one exp and no tanh, and whose scalar tail matches the vector lanes bit for bit.
 *
 * <p>The erf form x·Φ(x) uses a rational-exponential erfc, erfc(z) ≈ t·exp(−z² + P(t)) with
 * t = 1/(1 + z/2) and P of degree 9 (the Chebyshev fit printed in Numerical Recipes, fractional
 * error below 1.2·10⁻⁷ for every z ≥ 0): only fma, one division and {@link VectorMath#exp}, so it
 * is the same in every JIT tier, and Φ(x) = ½·erfc(−x/√2) keeps its relative accuracy far into the
 * negative tail instead of cancelling 1 − erf.
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

    /** 1/√2 and 1/√(2π). */
    private static final float INV_SQRT2 = 0.70710678118654752f;
    private static final float INV_SQRT_2PI = 0.39894228040143268f;
    /** P(t) of erfc(z) ≈ t·exp(−z² + P(t)), constant term first. */
    private static final float E0 = -1.26551223f, E1 = 1.00002368f, E2 = 0.37409196f, E3 = 0.09678418f, E4 = -0.18628806f,
            E5 = 0.27886807f, E6 = -1.13520398f, E7 = 1.48851587f, E8 = -0.82215223f, E9 = 0.17087277f;

    /** out = x·Φ(x) = ½·x·(1 + erf(x/√2)): GELU as defined, PyTorch's {@code nn.GELU()} (approximate='none'). */
    public static void geluErfForward(float[] out, int outOff, float[] in, int inOff, int n) {
        checkUnary("geluErfForward", out, outOff, in, inOff, n, "out", "in");
        VectorMath.parallelElementwise(n, (i0, i1) -> {
            int i = i0;
            for (int bound = i1 - L; i <= bound; i += L) {
                FloatVector x = FloatVector.fromArray(S, in, inOff + i);
                x.mul(normalCdf(x)).intoArray(out, outOff + i);
            }
            for (; i < i1; i++) {
                float x = in[inOff + i];
                out[outOff + i] = x * normalCdf(x);
            }
        });
    }

    /** dIn += dOut·(Φ(x) + x·φ(x)), φ(x) = e^(−x²/2)/√(2π) the normal density. */
    public static void geluErfBackward(float[] dIn, int dInOff, float[] in, int inOff, float[] dOut, int dOutOff, int n) {
        checkBinary("geluErfBackward", dIn, dInOff, in, inOff, dOut, dOutOff, n, "dIn", "in", "dOut");
        VectorMath.parallelElementwise(n, (i0, i1) -> {
            int i = i0;
            for (int bound = i1 - L; i <= bound; i += L) {
                FloatVector x = FloatVector.fromArray(S, in, inOff + i);
                FloatVector density = VectorMath.exp(x.mul(x).mul(-0.5f)).mul(INV_SQRT_2PI);
                FloatVector grad = x.fma(density, normalCdf(x));
                FloatVector.fromArray(S, dOut, dOutOff + i).fma(grad, FloatVector.fromArray(S, dIn, dInOff + i))
                        .intoArray(dIn, dInOff + i);
            }
            for (; i < i1; i++) {
                float x = in[inOff + i];
                float density = VectorMath.exp(x * x * -0.5f) * INV_SQRT_2PI;
                dIn[dInOff + i] = Math.fma(dOut[dOutOff + i], Math.fma(x, density, normalCdf(x)), dIn[dInOff + i]);
            }
        });
    }

    /**
     * Φ(x) from the lower tail h = Φ(−|x|) = ½·erfc(|x|/√2): h for x &lt; 0, 1 − h otherwise. h is
     * small where Φ is small, so x·Φ(x) keeps its relative accuracy for negative x. The exponent's
     * −z² is taken as −x²/2 in one fma (x·(−½) is exact), not from the rounded z, whose error
     * would grow with z² in the tail.
     */
    private static FloatVector normalCdf(FloatVector x) {
        FloatVector z = x.abs().mul(INV_SQRT2);
        FloatVector t = ONE.div(z.fma(FloatVector.broadcast(S, 0.5f), ONE));
        FloatVector p = t.fma(FloatVector.broadcast(S, E9), FloatVector.broadcast(S, E8));
        p = p.fma(t, FloatVector.broadcast(S, E7));
        p = p.fma(t, FloatVector.broadcast(S, E6));
        p = p.fma(t, FloatVector.broadcast(S, E5));
        p = p.fma(t, FloatVector.broadcast(S, E4));
        p = p.fma(t, FloatVector.broadcast(S, E3));
        p = p.fma(t, FloatVector.broadcast(S, E2));
        p = p.fma(t, FloatVector.broadcast(S, E1));
        p = p.fma(t, FloatVector.broadcast(S, E0));
        FloatVector h = t.mul(VectorMath.exp(x.mul(-0.5f).fma(x, p))).mul(0.5f);
        return ONE.sub(h).blend(h, x.compare(VectorOperators.LT, 0f));
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

    static float normalCdf(float x) {
        float z = Math.abs(x) * INV_SQRT2;
        float t = 1f / Math.fma(z, 0.5f, 1f);
        float p = Math.fma(t, E9, E8);
        p = Math.fma(p, t, E7);
        p = Math.fma(p, t, E6);
        p = Math.fma(p, t, E5);
        p = Math.fma(p, t, E4);
        p = Math.fma(p, t, E3);
        p = Math.fma(p, t, E2);
        p = Math.fma(p, t, E1);
        p = Math.fma(p, t, E0);
        float h = t * VectorMath.exp(Math.fma(x * -0.5f, x, p)) * 0.5f;
        return x < 0f ? h : 1f - h;
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
