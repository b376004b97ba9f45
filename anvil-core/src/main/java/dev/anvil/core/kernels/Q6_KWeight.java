package dev.anvil.core.kernels;

import dev.anvil.core.tensor.DType;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Q6_K weights, ggml's {@code block_q6_K}: a super-block of 256 elements in 210 bytes,
 * <pre>
 *   ql[128]     bytes   0–127  low 4 bits of the 6-bit values
 *   qh[64]      bytes 128–191  high 2 bits, four values per byte
 *   scales[16]  bytes 192–207  int8, one per 16 elements
 *   d           bytes 208–209  f16 super-block scale
 * </pre>
 * Each half of 128 elements uses 64 bytes of ql, 32 of qh and 8 scales. For l ∈ [0, 32) in a half
 * (ggml's {@code dequantize_row_q6_K}):
 * <pre>
 *   element l      : q = (ql[l]      &amp; 0xF) | ((qh[l] &gt;&gt; 0) &amp; 3) &lt;&lt; 4, scale sc[l/16]
 *   element l + 32 : q = (ql[l + 32] &amp; 0xF) | ((qh[l] &gt;&gt; 2) &amp; 3) &lt;&lt; 4, scale sc[l/16 + 2]
 *   element l + 64 : q = (ql[l]      &gt;&gt; 4)  | ((qh[l] &gt;&gt; 4) &amp; 3) &lt;&lt; 4, scale sc[l/16 + 4]
 *   element l + 96 : q = (ql[l + 32] &gt;&gt; 4)  | ((qh[l] &gt;&gt; 6) &amp; 3) &lt;&lt; 4, scale sc[l/16 + 6]
 *   W = d · sc · (q − 32), evaluated as (d · sc) · (q − 32) in float32, as the C does.
 * </pre>
 * Products go through decoded spans (these tensors are the embedding and often the output
 * projection).
 */
final class Q6_KWeight extends SegmentWeight {

    private static final int BLOCK = 256, BLOCK_BYTES = 210, QH = 128, SCALES = 192, D = 208;
    private static final VectorSpecies<Integer> INTS = FLOATS.withLanes(int.class);

    Q6_KWeight(MemorySegment bytes, int rows, int cols) {
        super(DType.Q6_K, bytes, rows, cols);
    }

    /**
     * Vectorised over l: for a run of lanes l … l + LANES (never crossing a multiple of 16) the
     * four scales are uniform, so each of the four outputs is one int expression over zero-extended
     * bytes of ql and qh, minus 32, converted and multiplied by the broadcast float d·sc — the same
     * two float roundings as the C.
     */
    @Override
    void decodeSpan(int row, int col0, int count, float[] dst, int dstOff) {
        MemorySegment w = bytes;
        long at = row * rowBytes + (long) col0 / BLOCK * BLOCK_BYTES;
        for (int b = 0; b < count; b += BLOCK, at += BLOCK_BYTES) {
            float d = Float.float16ToFloat(w.get(I16_LE, at + D));
            for (int half = 0; half < 2; half++) {
                long ql = at + 64 * half, qh = at + QH + 32 * half, sc = at + SCALES + 8 * half;
                int y = dstOff + b + 128 * half;
                for (int l0 = 0; l0 < 32; l0 += BYTE_LANES) {
                    ByteVector lowBytes = ByteVector.fromMemorySegment(BYTES, w, ql + l0, LE);
                    ByteVector highBytes = ByteVector.fromMemorySegment(BYTES, w, ql + l0 + 32, LE);
                    ByteVector topBytes = ByteVector.fromMemorySegment(BYTES, w, qh + l0, LE);
                    for (int p = 0; p < BYTE_PARTS; p++) {
                        int l = l0 + p * LANES;
                        IntVector lo = widen(lowBytes, p), hi = widen(highBytes, p), top = widen(topBytes, p);
                        long is = sc + l / 16;
                        store(lo.and(0xF).or(top.and(3).lanewise(VectorOperators.LSHL, 4)), d * w.get(ValueLayout.JAVA_BYTE, is), dst, y + l);
                        store(hi.and(0xF).or(top.lanewise(VectorOperators.LSHR, 2).and(3).lanewise(VectorOperators.LSHL, 4)), d * w.get(ValueLayout.JAVA_BYTE, is + 2), dst, y + l + 32);
                        store(lo.lanewise(VectorOperators.LSHR, 4).or(top.lanewise(VectorOperators.LSHR, 4).and(3).lanewise(VectorOperators.LSHL, 4)), d * w.get(ValueLayout.JAVA_BYTE, is + 4), dst, y + l + 64);
                        store(hi.lanewise(VectorOperators.LSHR, 4).or(top.lanewise(VectorOperators.LSHR, 6).lanewise(VectorOperators.LSHL, 4)), d * w.get(ValueLayout.JAVA_BYTE, is + 6), dst, y + l + 96);
                    }
                }
            }
        }
    }

    private static IntVector widen(ByteVector bytes, int part) {
        return (IntVector) bytes.convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, part);
    }

    /** dst[at …] = scale · (q − 32), q the 6-bit values. */
    private static void store(IntVector q, float scale, float[] dst, int at) {
        ((FloatVector) q.sub(32).convert(VectorOperators.I2F, 0)).mul(scale).intoArray(dst, at);
    }

    @Override
    float rowDot(int row, float[] x, int xOff, float[] xFacts) {
        return rowDotViaSpans(row, x, xOff);
    }
}
