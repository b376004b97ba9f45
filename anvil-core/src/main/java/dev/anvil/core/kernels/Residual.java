package dev.anvil.core.kernels;

import static dev.anvil.core.kernels.KernelChecks.first;
import static dev.anvil.core.kernels.KernelChecks.optionalRange;
import static dev.anvil.core.kernels.KernelChecks.range;
import static dev.anvil.core.kernels.KernelChecks.sizes;

/** Residual connection: {@code out = a + b}. out may alias a or b (in place). */
public final class Residual {
    private Residual() {}

    public static void forward(float[] out, int outOff, float[] a, int aOff, float[] b, int bOff, int n) {
        String problem = first(sizes("n", n), range("out", out, outOff, n), range("a", a, aOff, n), range("b", b, bOff, n));
        if (problem != null) throw fail("forward", n, problem);
        VectorMath.parallelElementwise(n, (i0, i1) -> VectorMath.add(out, outOff + i0, a, aOff + i0, b, bOff + i0, i1 - i0));
    }

    /** dA += dOut; dB += dOut (either may be null). */
    public static void backward(float[] dA, int dAOff, float[] dB, int dBOff, float[] dOut, int dOutOff, int n) {
        String problem = first(sizes("n", n), optionalRange("dA", dA, dAOff, n), optionalRange("dB", dB, dBOff, n),
                range("dOut", dOut, dOutOff, n));
        if (problem != null) throw fail("backward", n, problem);
        if (dA == null && dB == null) return;
        VectorMath.parallelElementwise(n, (i0, i1) -> {
            if (dA != null) VectorMath.addInPlace(dA, dAOff + i0, dOut, dOutOff + i0, i1 - i0);
            if (dB != null) VectorMath.addInPlace(dB, dBOff + i0, dOut, dOutOff + i0, i1 - i0);
        });
    }

    private static IllegalArgumentException fail(String op, int n, String problem) {
        return new IllegalArgumentException("Residual." + op + "(n=" + n + "): " + problem);
    }
}
