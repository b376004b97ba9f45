package dev.anvil.core.tensor;

import java.util.Arrays;

/**
 * A contiguous row-major float32 tensor: a window {@code [offset, offset + size)} into a heap
 * {@code float[]}. Many tensors may share one array (views into a {@link ParameterBuffer}); kernels
 * take the array and offset directly so the hot loops see plain arrays.
 */
public final class Tensor {

    private final float[] data;
    private final int offset;
    private final Shape shape;
    private final int size;

    public Tensor(float[] data, int offset, Shape shape) {
        this.data = data;
        this.offset = offset;
        this.shape = shape;
        this.size = shape.size();
        if (offset < 0 || (long) offset + size > data.length) {
            throw new IllegalArgumentException("tensor of shape " + shape + " at offset " + offset + " does not fit an array of " + data.length);
        }
    }

    public static Tensor zeros(int... dims) {
        Shape s = Shape.of(dims);
        return new Tensor(new float[s.size()], 0, s);
    }

    public static Tensor of(float[] values, int... dims) {
        Shape s = Shape.of(dims);
        if (s.size() != values.length) throw new IllegalArgumentException("shape " + s + " needs " + s.size() + " values, got " + values.length);
        return new Tensor(values, 0, s);
    }

    public float[] data() {
        return data;
    }

    public int offset() {
        return offset;
    }

    public Shape shape() {
        return shape;
    }

    public int dim(int axis) {
        return shape.dim(axis);
    }

    public int rank() {
        return shape.rank();
    }

    public int size() {
        return size;
    }

    public float get(int flatIndex) {
        return data[offset + checkIndex(flatIndex)];
    }

    public void set(int flatIndex, float v) {
        data[offset + checkIndex(flatIndex)] = v;
    }

    private int checkIndex(int i) {
        if (i < 0 || i >= size) throw new IndexOutOfBoundsException("index " + i + " outside tensor of shape " + shape);
        return i;
    }

    /** Same elements, another shape with the same element count. */
    public Tensor reshape(int... dims) {
        Shape s = Shape.of(dims);
        if (s.size() != size) throw new IllegalArgumentException("cannot reshape " + shape + " (" + size + " elements) to " + s);
        return new Tensor(data, offset, s);
    }

    /** Row {@code i} along the first axis, as a tensor of rank one less. */
    public Tensor slice(int i) {
        int[] d = shape.dims();
        if (d.length == 0 || i < 0 || i >= d[0]) throw new IndexOutOfBoundsException("slice " + i + " of shape " + shape);
        int[] rest = Arrays.copyOfRange(d, 1, d.length);
        int inner = size / d[0];
        return new Tensor(data, offset + i * inner, Shape.of(rest));
    }

    public void fill(float v) {
        Arrays.fill(data, offset, offset + size, v);
    }

    public void copyFrom(Tensor src) {
        if (src.size != size) throw new IllegalArgumentException("copy from " + src.shape + " into " + shape + ": sizes differ");
        System.arraycopy(src.data, src.offset, data, offset, size);
    }

    /** A fresh contiguous copy of the elements. */
    public float[] toArray() {
        return Arrays.copyOfRange(data, offset, offset + size);
    }

    @Override
    public String toString() {
        return "Tensor" + shape;
    }
}
