package dev.anvil.core.kernels;

import dev.anvil.core.compute.ComputePool;

import static dev.anvil.core.kernels.KernelChecks.first;
import static dev.anvil.core.kernels.KernelChecks.optionalRange;
import static dev.anvil.core.kernels.KernelChecks.range;
import static dev.anvil.core.kernels.KernelChecks.sizes;

/** Fully connected layer, PyTorch layout: {@code out[N, OC] = in[N, C] · W[OC, C]ᵀ + bias[OC]}. */
public final class Linear {
    private Linear() {}

    /** Elements of dOut summed per parallel task in the bias gradient. */
    private static final int BIAS_GRAIN_ELEMENTS = 1 << 15;

    /** bias may be null. */
    public static void forward(float[] out, int outOff, float[] in, int inOff, float[] w, int wOff,
                               float[] bias, int biasOff, int N, int C, int OC) {
        String problem = first(sizes("N, C, OC", N, C, OC),
                range("out", out, outOff, (long) N * OC),
                range("in", in, inOff, (long) N * C),
                range("w", w, wOff, (long) OC * C),
                optionalRange("bias", bias, biasOff, OC));
        if (problem != null) throw fail("forward", N, C, OC, problem);
        if (N == 0 || OC == 0) return;
        if (bias == null) {
            Gemm.sgemm(false, true, N, OC, C, 1f, in, inOff, C, w, wOff, C, 0f, out, outOff, OC);
            return;
        }
        // Start every output row at the bias and let the GEMM accumulate onto it (beta = 1):
        // one pass over out instead of a GEMM pass plus a separate bias pass.
        ComputePool.shared().parallelFor(N, VectorMath.rowGrain(OC, BIAS_GRAIN_ELEMENTS), (i0, i1) -> {
            for (int i = i0; i < i1; i++) System.arraycopy(bias, biasOff, out, outOff + i * OC, OC);
        });
        Gemm.sgemm(false, true, N, OC, C, 1f, in, inOff, C, w, wOff, C, 1f, out, outOff, OC);
    }

    /** dIn += dOut·W; dW += dOutᵀ·in; dBias += Σ_rows dOut. Any gradient may be null. */
    public static void backward(float[] dIn, int dInOff, float[] dW, int dWOff, float[] dBias, int dBiasOff,
                                float[] dOut, int dOutOff, float[] in, int inOff, float[] w, int wOff,
                                int N, int C, int OC) {
        String problem = first(sizes("N, C, OC", N, C, OC),
                optionalRange("dIn", dIn, dInOff, (long) N * C),
                optionalRange("dW", dW, dWOff, (long) OC * C),
                optionalRange("dBias", dBias, dBiasOff, OC),
                range("dOut", dOut, dOutOff, (long) N * OC),
                dW == null ? null : range("in", in, inOff, (long) N * C),
                dIn == null ? null : range("w", w, wOff, (long) OC * C));
        if (problem != null) throw fail("backward", N, C, OC, problem);
        if (dIn != null && N > 0 && C > 0) {
            // dIn[N, C] += dOut[N, OC] · W[OC, C]
            Gemm.sgemm(false, false, N, C, OC, 1f, dOut, dOutOff, OC, w, wOff, C, 1f, dIn, dInOff, C);
        }
        if (dW != null && OC > 0 && C > 0) {
            // dW[OC, C] += dOut[N, OC]ᵀ · in[N, C]; dOut stored N×OC, read transposed (lda = OC).
            Gemm.sgemm(true, false, OC, C, N, 1f, dOut, dOutOff, OC, in, inOff, C, 1f, dW, dWOff, C);
        }
        if (dBias != null && N > 0 && OC > 0) biasBackward(dBias, dBiasOff, dOut, dOutOff, N, OC);
    }

    /**
     * dBias[j] += Σ_i dOut[i, j]: column sums, split over vector-wide column slices so each task
     * owns its slice of dBias and walks the rows in order (deterministic, no reduction step).
     */
    private static void biasBackward(float[] dBias, int dBiasOff, float[] dOut, int dOutOff, int N, int OC) {
        int lanes = VectorMath.LANES;
        int slices = (OC + lanes - 1) / lanes;
        int grainSlices = Math.max(1, BIAS_GRAIN_ELEMENTS / N / lanes);
        ComputePool.shared().parallelFor(slices, grainSlices, (s0, s1) -> {
            int c0 = s0 * lanes, width = Math.min(OC, s1 * lanes) - c0;
            for (int i = 0; i < N; i++) VectorMath.addInPlace(dBias, dBiasOff + c0, dOut, dOutOff + i * OC + c0, width);
        });
    }

    private static IllegalArgumentException fail(String op, int N, int C, int OC, String problem) {
        return new IllegalArgumentException("Linear." + op + "(N=" + N + ", C=" + C + ", OC=" + OC + "): " + problem);
    }
}
