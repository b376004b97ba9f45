package dev.anvil.core.tensor;

import java.util.Arrays;

/** Dimensions of a contiguous row-major tensor, outermost first. */
public record Shape(int... dims) {

    public Shape {
        dims = dims.clone();
        for (int i = 0; i < dims.length; i++) {
            if (dims[i] < 0) throw new IllegalArgumentException("negative dimension " + dims[i] + " at axis " + i + " in " + Arrays.toString(dims));
        }
    }

    public static Shape of(int... dims) {
        return new Shape(dims);
    }

    public int rank() {
        return dims.length;
    }

    public int dim(int axis) {
        return dims[axis < 0 ? dims.length + axis : axis];
    }

    /** Number of elements; fails if it does not fit an int index (a float[] cannot hold more). */
    public int size() {
        long n = elementCount();
        if (n > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("shape " + this + " has " + n + " elements, more than one float[] can hold");
        return (int) n;
    }

    public long elementCount() {
        long n = 1;
        for (int d : dims) n *= d;
        return n;
    }

    @Override
    public int[] dims() {
        return dims.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Shape s && Arrays.equals(dims, s.dims);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(dims);
    }

    @Override
    public String toString() {
        return Arrays.toString(dims);
    }
}
