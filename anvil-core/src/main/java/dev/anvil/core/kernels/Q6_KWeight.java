package dev.anvil.core.kernels;

import dev.anvil.core.tensor.DType;

import java.lang.foreign.MemorySegment;

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
 * Products go through decoded spans (a scalar decode; these tensors are the embedding and often
 * the output projection, read once per token).
 */
final class Q6_KWeight extends SegmentWeight {

    private static final int BLOCK = 256, BLOCK_BYTES = 210, QH = 128, SCALES = 192, D = 208;
    private static final ThreadLocal<byte[]> BLOCK_SCRATCH = ThreadLocal.withInitial(() -> new byte[BLOCK_BYTES]);

    Q6_KWeight(MemorySegment bytes, int rows, int cols) {
        super(DType.Q6_K, bytes, rows, cols);
    }

    @Override
    void decodeSpan(int row, int col0, int count, float[] dst, int dstOff) {
        byte[] blk = BLOCK_SCRATCH.get();
        long at = row * rowBytes + (long) col0 / BLOCK * BLOCK_BYTES;
        for (int b = 0; b < count; b += BLOCK, at += BLOCK_BYTES) {
            MemorySegment.copy(bytes, java.lang.foreign.ValueLayout.JAVA_BYTE, at, blk, 0, BLOCK_BYTES);
            float d = Float.float16ToFloat((short) ((blk[D] & 0xFF) | blk[D + 1] << 8));
            for (int half = 0; half < 2; half++) {
                int ql = 64 * half, qh = QH + 32 * half, sc = SCALES + 8 * half, y = dstOff + b + 128 * half;
                for (int l = 0; l < 32; l++) {
                    int is = sc + l / 16, lo = blk[ql + l] & 0xFF, hi = blk[ql + l + 32] & 0xFF, h = blk[qh + l] & 0xFF;
                    dst[y + l] = d * blk[is] * ((lo & 0xF | (h & 3) << 4) - 32);
                    dst[y + l + 32] = d * blk[is + 2] * ((hi & 0xF | (h >> 2 & 3) << 4) - 32);
                    dst[y + l + 64] = d * blk[is + 4] * ((lo >> 4 | (h >> 4 & 3) << 4) - 32);
                    dst[y + l + 96] = d * blk[is + 6] * ((hi >> 4 | (h >> 6 & 3) << 4) - 32);
                }
            }
        }
    }

    @Override
    float rowDot(int row, float[] x, int xOff, float[] xFacts) {
        return rowDotViaSpans(row, x, xOff);
    }
}
