package dev.anvil.core.kernels;

import dev.anvil.core.compute.ComputePool;
import dev.anvil.core.tensor.DType;
import dev.anvil.core.tensor.HalfFloats;
import dev.anvil.core.tensor.QuantizedBlocks;
import dev.anvil.core.tensor.Tensor;
import dev.anvil.core.tensor.Weight;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The constructors behind {@link Weight#of}, {@link Weight#wrap} and {@link Weight#quantize} (the
 * implementations are package-private, next to their kernels). Use those factories.
 */
public final class Weights {
    private Weights() {}

    private static final ThreadLocal<byte[]> ROW_SCRATCH = ThreadLocal.withInitial(() -> new byte[0]);

    /** See {@link Weight#of}. */
    public static Weight of(Tensor t) {
        if (t.rank() != 2) throw new IllegalArgumentException("Weight.of: a weight is a rank-2 tensor [rows, cols], got shape " + t.shape());
        return new F32ArrayWeight(t);
    }

    /** See {@link Weight#wrap}. */
    public static Weight wrap(DType dtype, MemorySegment bytes, int rows, int cols) {
        if (dtype == null || bytes == null) throw new IllegalArgumentException("Weight.wrap: dtype and bytes must not be null");
        String shape = dtype + " [" + rows + "×" + cols + "]";
        if (rows < 0 || cols < 0) throw new IllegalArgumentException("Weight.wrap: " + shape + ": negative size");
        if (cols % dtype.blockSize() != 0) {
            throw new IllegalArgumentException("Weight.wrap: " + shape + ": cols " + cols + " is not a multiple of " + dtype
                    + "'s block of " + dtype.blockSize() + " elements (" + dtype.bytesPerBlock() + " bytes)");
        }
        long need = rows * dtype.byteSize(cols);
        if (bytes.byteSize() != need) {
            throw new IllegalArgumentException("Weight.wrap: " + shape + " needs " + need + " bytes (" + rows + " rows of "
                    + dtype.byteSize(cols) + "), the segment has " + bytes.byteSize());
        }
        return switch (dtype) {
            case F32 -> new F32Weight(bytes, rows, cols);
            case BF16 -> new BF16Weight(bytes, rows, cols);
            case F16 -> new F16Weight(bytes, rows, cols);
            case Q8_0 -> new Q8_0Weight(bytes, rows, cols);
            case Q4_0 -> new Q4_0Weight(bytes, rows, cols);
            case Q6_K -> new Q6_KWeight(bytes, rows, cols);
        };
    }

    /** See {@link Weight#quantize}: rows are encoded in parallel into one 64-byte-aligned off-heap segment. */
    public static Weight quantize(DType dtype, float[] src, int srcOff, int rows, int cols) {
        if (dtype == DType.Q6_K) throw new IllegalArgumentException("Weight.quantize: no Q6_K quantizer in Anvil; wrap the bytes of a llama.cpp file with Weight.wrap");
        if (rows < 0 || cols < 0) throw new IllegalArgumentException("Weight.quantize: " + dtype + " [" + rows + "×" + cols + "]: negative size");
        if (cols % dtype.blockSize() != 0) {
            throw new IllegalArgumentException("Weight.quantize: " + dtype + " [" + rows + "×" + cols + "]: cols " + cols
                    + " is not a multiple of the block of " + dtype.blockSize());
        }
        String problem = KernelChecks.range("src", src, srcOff, (long) rows * cols);
        if (problem != null) throw new IllegalArgumentException("Weight.quantize: " + dtype + " [" + rows + "×" + cols + "]: " + problem);
        int rowBytes = (int) dtype.byteSize(cols);
        MemorySegment dst = Arena.ofAuto().allocate((long) rows * rowBytes, 64);
        ComputePool.shared().parallelFor(rows, Math.max(1, (1 << 16) / Math.max(1, cols)), (r0, r1) -> {
            byte[] row = rowScratch(rowBytes);
            MemorySegment rowSegment = MemorySegment.ofArray(row);
            for (int r = r0; r < r1; r++) {
                encodeRow(dtype, src, srcOff + r * cols, cols, row, rowSegment);
                MemorySegment.copy(row, 0, dst, ValueLayout.JAVA_BYTE, (long) r * rowBytes, rowBytes);
            }
        });
        return wrap(dtype, dst, rows, cols);
    }

    /** One row of {@code cols} floats encoded as {@code dtype} into {@code row} (whose segment view is {@code rowSegment}). */
    private static void encodeRow(DType dtype, float[] src, int off, int cols, byte[] row, MemorySegment rowSegment) {
        switch (dtype) {
            case F32 -> MemorySegment.copy(src, off, rowSegment, SegmentWeight.F32_LE, 0, cols);
            case BF16 -> { for (int c = 0; c < cols; c++) rowSegment.set(SegmentWeight.I16_LE, 2L * c, HalfFloats.floatToBf16(src[off + c])); }
            case F16 -> { for (int c = 0; c < cols; c++) rowSegment.set(SegmentWeight.I16_LE, 2L * c, HalfFloats.floatToF16(src[off + c])); }
            case Q8_0 -> QuantizedBlocks.quantizeQ8_0(src, off, cols, row, 0);
            case Q4_0 -> QuantizedBlocks.quantizeQ4_0(src, off, cols, row, 0);
            case Q6_K -> throw new IllegalStateException("Q6_K is rejected before encoding");
        }
    }

    private static byte[] rowScratch(int size) {
        byte[] row = ROW_SCRATCH.get();
        if (row.length < size) {
            row = new byte[size];
            ROW_SCRATCH.set(row);
        }
        return row;
    }
}
