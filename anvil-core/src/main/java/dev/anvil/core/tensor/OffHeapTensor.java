package dev.anvil.core.tensor;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A row-major tensor in off-heap memory: a {@link MemorySegment} that is either allocated in an
 * {@link Arena} or memory-mapped from a file (checkpoint tensors, token shards), so multi-GB
 * weights are read without copying them onto the Java heap. Elements are little-endian, as in
 * safetensors and GGUF. Float types (F32, BF16, F16) can be read element-wise or converted in bulk
 * to a heap {@code float[]} for the kernels; quantized types are exposed as raw bytes.
 */
public final class OffHeapTensor {

    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final MemorySegment segment;
    private final DType dtype;
    private final Shape shape;

    public OffHeapTensor(MemorySegment segment, DType dtype, Shape shape) {
        long need = dtype.byteSize(shape.elementCount());
        if (segment.byteSize() != need) {
            throw new IllegalArgumentException(dtype + " tensor of shape " + shape + " needs " + need + " bytes, segment has " + segment.byteSize());
        }
        this.segment = segment;
        this.dtype = dtype;
        this.shape = shape;
    }

    /** Zero-filled off-heap tensor that lives as long as {@code arena}. */
    public static OffHeapTensor allocate(Arena arena, DType dtype, Shape shape) {
        return new OffHeapTensor(arena.allocate(dtype.byteSize(shape.elementCount()), 64), dtype, shape);
    }

    /**
     * Maps {@code shape} elements of {@code dtype} starting at byte {@code offset} of {@code file},
     * read-only, for the lifetime of {@code arena}. A file too short for the tensor is an error
     * naming the file, the offset and the sizes (a truncated checkpoint must not read garbage).
     */
    public static OffHeapTensor map(Path file, long offset, DType dtype, Shape shape, Arena arena) throws IOException {
        long bytes = dtype.byteSize(shape.elementCount());
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (offset < 0 || offset + bytes > size) {
                throw new IOException(file + ": " + dtype + " tensor " + shape + " at byte offset " + offset + " needs " + bytes
                        + " bytes, but the file has only " + Math.max(0, size - offset) + " bytes from there (file truncated or corrupt?)");
            }
            MemorySegment seg = bytes == 0 ? arena.allocate(0) : ch.map(FileChannel.MapMode.READ_ONLY, offset, bytes, arena);
            return new OffHeapTensor(seg, dtype, shape);
        }
    }

    /** Writes the tensor's raw bytes to {@code file} (replacing it). */
    public void writeTo(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            ch.write(segment.asByteBuffer());
        }
        if (Files.size(file) != segment.byteSize()) throw new IOException(file + ": short write");
    }

    public MemorySegment segment() {
        return segment;
    }

    public DType dtype() {
        return dtype;
    }

    public Shape shape() {
        return shape;
    }

    /** Element {@code i} as a float (float types only). */
    public float getFloat(long i) {
        if (i < 0 || i >= shape.elementCount()) throw new IndexOutOfBoundsException("index " + i + " outside tensor of shape " + shape);
        return switch (dtype) {
            case F32 -> segment.getAtIndex(F32_LE, i);
            case BF16 -> HalfFloats.bf16ToFloat(segment.getAtIndex(I16_LE, i));
            case F16 -> HalfFloats.f16ToFloat(segment.getAtIndex(I16_LE, i));
            default -> throw new UnsupportedOperationException("element access to " + dtype + " needs dequantization of its block");
        };
    }

    public void setFloat(long i, float v) {
        if (i < 0 || i >= shape.elementCount()) throw new IndexOutOfBoundsException("index " + i + " outside tensor of shape " + shape);
        switch (dtype) {
            case F32 -> segment.setAtIndex(F32_LE, i, v);
            case BF16 -> segment.setAtIndex(I16_LE, i, HalfFloats.floatToBf16(v));
            case F16 -> segment.setAtIndex(I16_LE, i, HalfFloats.floatToF16(v));
            default -> throw new UnsupportedOperationException("element access to " + dtype + " needs quantization of its block");
        }
    }

    /** All elements converted to float32, into {@code dst[dstOff ...]}. */
    public void copyTo(float[] dst, int dstOff) {
        int n = checkedCount(dst.length - dstOff);
        if (dtype == DType.F32) {
            MemorySegment.copy(segment, F32_LE, 0, dst, dstOff, n);
        } else {
            for (int i = 0; i < n; i++) dst[dstOff + i] = getFloat(i);
        }
    }

    /** Sets all elements from float32 values (rounding to nearest even for 16-bit types). */
    public void copyFrom(float[] src, int srcOff) {
        int n = checkedCount(src.length - srcOff);
        if (dtype == DType.F32) {
            MemorySegment.copy(src, srcOff, segment, F32_LE, 0, n);
        } else {
            for (int i = 0; i < n; i++) setFloat(i, src[srcOff + i]);
        }
    }

    /** A heap float32 copy, for kernels. */
    public Tensor toHeap() {
        float[] data = new float[shape.size()];
        copyTo(data, 0);
        return new Tensor(data, 0, shape);
    }

    private int checkedCount(long room) {
        int n = shape.size();
        if (room < n) throw new IllegalArgumentException("tensor of shape " + shape + " has " + n + " elements, array has room for " + room);
        return n;
    }

    @Override
    public String toString() {
        return "OffHeapTensor[" + dtype + " " + shape + "]";
    }
}
