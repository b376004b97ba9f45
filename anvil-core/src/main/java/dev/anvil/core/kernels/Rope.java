package dev.anvil.core.kernels;

/**
 * Rotary position embedding on x[B, T, H, D]: each pair of channels is rotated by angle
 * pos·θ^(−2i/D). Two pairings exist in the wild: {@link Style#HALF} pairs (i, i + D/2) as Hugging
 * Face's rotate_half does (the layout of our checkpoints); {@link Style#INTERLEAVED} pairs
 * (2i, 2i+1) as Meta's original code and GGUF do.
 */
public final class Rope {
    private Rope() {}

    public enum Style { HALF, INTERLEAVED }

    /** Precomputed cos/sin for positions [0, maxT) and D/2 frequencies. */
    public static final class Table {
        public Table(int maxT, int headDim, double theta) { throw new UnsupportedOperationException("not implemented yet"); }
        public int maxT() { throw new UnsupportedOperationException("not implemented yet"); }
        public int headDim() { throw new UnsupportedOperationException("not implemented yet"); }
    }

    /** out = rotate(in) at positions pos0 + t. out may equal in (in place). */
    public static void forward(float[] out, int outOff, float[] in, int inOff, int B, int T, int H, int D,
                               int pos0, Table table, Style style) { throw new UnsupportedOperationException("not implemented yet"); }

    /** dIn += rotate⁻¹(dOut) (the transpose of a rotation is the rotation by −angle). */
    public static void backward(float[] dIn, int dInOff, float[] dOut, int dOutOff, int B, int T, int H, int D,
                                int pos0, Table table, Style style) { throw new UnsupportedOperationException("not implemented yet"); }
}
