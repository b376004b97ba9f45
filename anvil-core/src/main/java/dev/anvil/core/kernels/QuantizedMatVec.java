package dev.anvil.core.kernels;

import dev.anvil.core.tensor.DType;
import dev.anvil.core.tensor.QuantizedBlocks;
import dev.anvil.core.tensor.Weight;

import java.lang.foreign.MemorySegment;

/**
 * The Q4_0 matrix-vector product over a byte array: {@code out[OC] = W[OC, C] · x[C]} with W stored
 * row by row as Q4_0 blocks ({@link QuantizedBlocks}: C / 32 blocks of 18 bytes per row).
 *
 * @deprecated a thin delegate to the {@link Weight} kernels, kept while callers move to
 *     {@code Weight.wrap(DType.Q4_0, bytes, OC, C).matVec(...)}.
 */
@Deprecated
public final class QuantizedMatVec {
    private QuantizedMatVec() {}

    /** {@code out[outOff + o] = Σ_c W[o, c]·x[xOff + c]} for o ∈ [0, OC), W Q4_0 at {@code w[wOff…]}. */
    public static void q4_0(float[] out, int outOff, float[] x, int xOff, byte[] w, int wOff, int OC, int C) {
        long rowBytes = (long) C / QuantizedBlocks.BLOCK * QuantizedBlocks.Q4_0_BYTES;
        String problem = KernelChecks.first(
                KernelChecks.sizes("OC, C", OC, C),
                C % QuantizedBlocks.BLOCK != 0 ? "C = " + C + " is not a multiple of " + QuantizedBlocks.BLOCK : null,
                KernelChecks.range("out", out, outOff, OC),
                KernelChecks.range("x", x, xOff, C),
                w == null ? "w is null" : wOff < 0 || wOff + rowBytes * OC > w.length
                        ? "w at offset " + wOff + " needs " + rowBytes * OC + " bytes, array has " + w.length : null);
        if (problem != null) throw new IllegalArgumentException("QuantizedMatVec.q4_0 [OC=" + OC + ", C=" + C + "]: " + problem);
        Weight.wrap(DType.Q4_0, MemorySegment.ofArray(w).asSlice(wOff, rowBytes * OC), OC, C).matVec(x, xOff, out, outOff);
    }
}
