package dev.anvil.core.kernels;

import dev.anvil.core.tensor.DType;
import dev.anvil.core.tensor.QuantizedBlocks;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;

/**
 * Q8_0 weights ({@link QuantizedBlocks}): per 32 elements a 34-byte block, f16 scale d at bytes
 * 0–1 then 32 int8 q; W = q·d. x stays float32, so the products equal the float products with the
 * dequantized weights up to summation order.
 */
final class Q8_0Weight extends SegmentWeight {

    private static final int BLOCK = QuantizedBlocks.BLOCK, BLOCK_BYTES = QuantizedBlocks.Q8_0_BYTES;

    Q8_0Weight(MemorySegment bytes, int rows, int cols) {
        super(DType.Q8_0, bytes, rows, cols);
    }

    /** Part {@code part} of the int8 lanes of {@code q} as floats. */
    private static FloatVector values(ByteVector q, int part) {
        return (FloatVector) q.convertShape(VectorOperators.B2F, FLOATS, part);
    }

    @Override
    void decodeSpan(int row, int col0, int count, float[] dst, int dstOff) {
        long at = row * rowBytes + (long) col0 / BLOCK * BLOCK_BYTES;
        for (int b = 0; b < count; b += BLOCK, at += BLOCK_BYTES) {
            FloatVector d = scaleAt(at);
            for (int k = 0; k < BLOCK; k += BYTE_LANES) {
                ByteVector q = ByteVector.fromMemorySegment(BYTES, bytes, at + 2 + k, LE);
                for (int p = 0; p < BYTE_PARTS; p++) values(q, p).mul(d).intoArray(dst, dstOff + b + k + p * LANES);
            }
        }
    }

    /** Σ_i q_i·x[xb + i] over the block at byte {@code at}, unscaled, as LANES partial sums. */
    private FloatVector blockDot(long at, float[] x, int xb) {
        FloatVector sum = FloatVector.zero(FLOATS);
        for (int k = 0; k < BLOCK; k += BYTE_LANES) {
            ByteVector q = ByteVector.fromMemorySegment(BYTES, bytes, at + 2 + k, LE);
            for (int p = 0; p < BYTE_PARTS; p++) sum = values(q, p).fma(FloatVector.fromArray(FLOATS, x, xb + k + p * LANES), sum);
        }
        return sum;
    }

    /**
     * Four rows at a time (four load streams in flight); per block the integer-valued products are
     * summed unscaled and then multiplied by the block's d once: acc += d·Σ q·x.
     */
    @Override
    void matVecRows(float[] x, int xOff, int r0, int r1, float[] out, int outOff) {
        int blocks = cols / BLOCK;
        for (int r = r0; r < r1; r += GROUP) {
            long w0 = rowStart(r, r1), w1 = rowStart(r + 1, r1), w2 = rowStart(r + 2, r1), w3 = rowStart(r + 3, r1);
            FloatVector a0 = FloatVector.zero(FLOATS), a1 = a0, a2 = a0, a3 = a0;
            for (int b = 0; b < blocks; b++) {
                long at = (long) b * BLOCK_BYTES;
                int xb = xOff + b * BLOCK;
                a0 = blockDot(w0 + at, x, xb).fma(scaleAt(w0 + at), a0);
                a1 = blockDot(w1 + at, x, xb).fma(scaleAt(w1 + at), a1);
                a2 = blockDot(w2 + at, x, xb).fma(scaleAt(w2 + at), a2);
                a3 = blockDot(w3 + at, x, xb).fma(scaleAt(w3 + at), a3);
            }
            storeGroupWithTails(x, xOff, cols, out, outOff, r, r1, a0, a1, a2, a3);
        }
    }
}
