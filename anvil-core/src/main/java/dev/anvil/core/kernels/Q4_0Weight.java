package dev.anvil.core.kernels;

import dev.anvil.core.tensor.DType;
import dev.anvil.core.tensor.QuantizedBlocks;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;

/**
 * Q4_0 weights ({@link QuantizedBlocks}): per 32 elements an 18-byte block, f16 scale d at bytes
 * 0–1, then 16 bytes whose byte j holds element j in its low nibble and element j + 16 in its high
 * nibble; W = (q − 8)·d. A load of 16 bytes (or 8, twice) thus gives two runs of consecutive
 * elements, j… from the low nibbles and j + 16… from the high ones.
 */
final class Q4_0Weight extends SegmentWeight {

    private static final int BLOCK = QuantizedBlocks.BLOCK, BLOCK_BYTES = QuantizedBlocks.Q4_0_BYTES, HALF = BLOCK / 2;
    private static final VectorSpecies<Integer> INTS = FLOATS.withLanes(int.class);

    Q4_0Weight(MemorySegment bytes, int rows, int cols) {
        super(DType.Q4_0, bytes, rows, cols);
    }

    /** The low nibbles of part {@code part} of {@code q}, minus 8, as floats. */
    private static FloatVector low(ByteVector q, int part) {
        IntVector v = (IntVector) q.convertShape(VectorOperators.B2I, INTS, part);
        return (FloatVector) v.and(0xF).sub(8).convert(VectorOperators.I2F, 0);
    }

    /** The high nibbles, minus 8 (the sign-extended upper bits are masked off). */
    private static FloatVector high(ByteVector q, int part) {
        IntVector v = (IntVector) q.convertShape(VectorOperators.B2I, INTS, part);
        return (FloatVector) v.lanewise(VectorOperators.LSHR, 4).and(0xF).sub(8).convert(VectorOperators.I2F, 0);
    }

    @Override
    void decodeSpan(int row, int col0, int count, float[] dst, int dstOff) {
        long at = row * rowBytes + (long) col0 / BLOCK * BLOCK_BYTES;
        for (int b = 0; b < count; b += BLOCK, at += BLOCK_BYTES) {
            FloatVector d = scaleAt(at);
            for (int k = 0; k < HALF; k += BYTE_LANES) {
                ByteVector q = ByteVector.fromMemorySegment(BYTES, bytes, at + 2 + k, LE);
                for (int p = 0; p < BYTE_PARTS; p++) {
                    int j = dstOff + b + k + p * LANES;
                    low(q, p).mul(d).intoArray(dst, j);
                    high(q, p).mul(d).intoArray(dst, j + HALF);
                }
            }
        }
    }

    /** Σ_i (q_i − 8)·x[xb + i] over the block at byte {@code at}, unscaled, as LANES partial sums. */
    private FloatVector blockDot(long at, float[] x, int xb) {
        FloatVector sum = FloatVector.zero(FLOATS);
        for (int k = 0; k < HALF; k += BYTE_LANES) {
            ByteVector q = ByteVector.fromMemorySegment(BYTES, bytes, at + 2 + k, LE);
            for (int p = 0; p < BYTE_PARTS; p++) {
                int j = xb + k + p * LANES;
                sum = low(q, p).fma(FloatVector.fromArray(FLOATS, x, j), sum);
                sum = high(q, p).fma(FloatVector.fromArray(FLOATS, x, j + HALF), sum);
            }
        }
        return sum;
    }

    /** Four rows at a time; per block acc += d·Σ (q − 8)·x, the block's d applied once. */
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
