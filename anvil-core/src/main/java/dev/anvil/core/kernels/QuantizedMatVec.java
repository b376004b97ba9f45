package dev.anvil.core.kernels;

import dev.anvil.core.compute.ComputePool;
import dev.anvil.core.tensor.QuantizedBlocks;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Matrix-vector products against block-quantized weights, the decode step's shape:
 * {@code out[OC] = W[OC, C] · x[C]} with W stored row by row as Q4_0 blocks
 * ({@link QuantizedBlocks}: C / 32 blocks of 18 bytes per row). Decode is bound by the bytes of
 * weights it reads; Q4_0 reads 4.5 bits per weight instead of float32's 32, so the same memory
 * bandwidth feeds ~7× as many multiply-adds.
 *
 * <p>Per block: one 16-byte load holds the 32 nibbles; the low nibbles are elements 0…15 and the
 * high nibbles 16…31, each widened to floats 8 at a time, shifted by −8, multiplied with the
 * matching x and summed, and the block sum is scaled by its d once. x stays float32 (llama.cpp
 * instead quantizes x to Q8_0 and multiplies integers; keeping x exact is what makes this kernel
 * equal, up to summation order, to the float product with the dequantized weights). Rows are split
 * across the compute pool.
 */
public final class QuantizedMatVec {
    private QuantizedMatVec() {}

    private static final VectorSpecies<Byte> BYTES = ByteVector.SPECIES_128;
    private static final VectorSpecies<Float> FLOATS = FloatVector.SPECIES_256;
    /** Multiply-adds per parallel task (rows × C), enough to amortise the hand-off. */
    private static final int WORK_PER_TASK = 1 << 15;

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
        int grain = Math.max(1, WORK_PER_TASK / Math.max(1, C));
        ComputePool.shared().parallelFor(OC, grain, (o0, o1) -> {
            for (int o = o0; o < o1; o++) out[outOff + o] = rowDot(x, xOff, w, (int) (wOff + o * rowBytes), C);
        });
    }

    private static float rowDot(float[] x, int xOff, byte[] w, int at, int C) {
        FloatVector sum = FloatVector.zero(FLOATS);
        for (int b = 0; b < C; b += QuantizedBlocks.BLOCK, at += QuantizedBlocks.Q4_0_BYTES) {
            float d = QuantizedBlocks.getF16(w, at);
            ByteVector q = ByteVector.fromArray(BYTES, w, at + 2);
            ByteVector lo = q.and((byte) 0x0F).sub((byte) 8);
            ByteVector hi = q.lanewise(VectorOperators.LSHR, 4).and((byte) 0x0F).sub((byte) 8);
            int xb = xOff + b;
            FloatVector block = ((FloatVector) lo.convertShape(VectorOperators.B2F, FLOATS, 0)).mul(FloatVector.fromArray(FLOATS, x, xb));
            block = ((FloatVector) lo.convertShape(VectorOperators.B2F, FLOATS, 1)).fma(FloatVector.fromArray(FLOATS, x, xb + 8), block);
            block = ((FloatVector) hi.convertShape(VectorOperators.B2F, FLOATS, 0)).fma(FloatVector.fromArray(FLOATS, x, xb + 16), block);
            block = ((FloatVector) hi.convertShape(VectorOperators.B2F, FLOATS, 1)).fma(FloatVector.fromArray(FLOATS, x, xb + 24), block);
            sum = block.fma(FloatVector.broadcast(FLOATS, d), sum);
        }
        // The lane order of this sum may differ between interpreter and JIT; inference does not need bit-exact replays.
        return sum.reduceLanes(VectorOperators.ADD);
    }
}
