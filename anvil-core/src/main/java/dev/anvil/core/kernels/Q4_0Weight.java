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

    /**
     * The nibbles of {@code BYTE_LANES} bytes, shifted by −8, as ints of part {@code part}: XOR with
     * 0x88 turns each nibble q into the 4-bit two's complement of q − 8, so after sign-extending
     * the byte to 32 bits, {@code x >> 4} (arithmetic) is the high nibble − 8 and
     * {@code (x << 28) >> 28} the low nibble − 8 — three shifts instead of mask-shift-subtract twice.
     */
    private static IntVector centred(ByteVector q, int part) {
        return (IntVector) q.lanewise(VectorOperators.XOR, (byte) 0x88).convertShape(VectorOperators.B2I, INTS, part);
    }

    private static FloatVector low(IntVector centred) {
        return (FloatVector) centred.lanewise(VectorOperators.LSHL, 28).lanewise(VectorOperators.ASHR, 28).convert(VectorOperators.I2F, 0);
    }

    private static FloatVector high(IntVector centred) {
        return (FloatVector) centred.lanewise(VectorOperators.ASHR, 4).convert(VectorOperators.I2F, 0);
    }

    @Override
    void decodeSpan(int row, int col0, int count, float[] dst, int dstOff) {
        long at = row * rowBytes + (long) col0 / BLOCK * BLOCK_BYTES;
        for (int b = 0; b < count; b += BLOCK, at += BLOCK_BYTES) {
            FloatVector d = FloatVector.broadcast(FLOATS, Float.float16ToFloat(bytes.get(I16_LE, at)));
            for (int k = 0; k < HALF; k += BYTE_LANES) {
                ByteVector q = ByteVector.fromMemorySegment(BYTES, bytes, at + 2 + k, LE);
                for (int p = 0; p < BYTE_PARTS; p++) {
                    IntVector c = centred(q, p);
                    int j = dstOff + b + k + p * LANES;
                    low(c).mul(d).intoArray(dst, j);
                    high(c).mul(d).intoArray(dst, j + HALF);
                }
            }
        }
    }

    /** One block per step, acc += d·Σ (q − 8)·x, the block's d applied once; flat, as in {@link Q8_0Weight#rowDot}. */
    @Override
    float rowDot(int row, float[] x, int xOff) {
        MemorySegment w = bytes;
        long at = row * rowBytes;
        FloatVector acc = FloatVector.zero(FLOATS);
        for (int xb = xOff, end = xOff + cols; xb < end; xb += BLOCK, at += BLOCK_BYTES) {
            FloatVector s = FloatVector.zero(FLOATS);
            for (int k = 0; k < HALF; k += BYTE_LANES) {
                ByteVector q = ByteVector.fromMemorySegment(BYTES, w, at + 2 + k, LE);
                for (int p = 0; p < BYTE_PARTS; p++) {
                    IntVector c = centred(q, p);
                    int j = xb + k + p * LANES;
                    s = high(c).fma(FloatVector.fromArray(FLOATS, x, j + HALF), low(c).fma(FloatVector.fromArray(FLOATS, x, j), s));
                }
            }
            acc = s.fma(FloatVector.broadcast(FLOATS, Float.float16ToFloat(w.get(I16_LE, at))), acc);
        }
        return VectorMath.sumLanes(acc);
    }
}
