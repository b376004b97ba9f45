package dev.anvil.core.kernels;

import dev.anvil.core.compute.ComputePool;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * Rotary position embedding on x[B, T, H, D]: each pair of channels is rotated by angle
 * pos·θ^(−2i/D). Two pairings exist in the wild: {@link Style#HALF} pairs (i, i + D/2) as Hugging
 * Face's rotate_half does (the layout of our checkpoints); {@link Style#INTERLEAVED} pairs
 * (2i, 2i+1) as Meta's original code and GGUF do.
 *
 * <p>For a pair (x₁, x₂) and angle φ the forward is the rotation
 * (x₁ cos φ − x₂ sin φ, x₂ cos φ + x₁ sin φ); a rotation's transpose is its inverse, the rotation
 * by −φ, so backward applies (g₁ cos φ + g₂ sin φ, g₂ cos φ − g₁ sin φ) to the incoming gradient.
 * The two styles differ only in which channels form a pair, i.e. by a fixed permutation of the
 * channels of each head.
 */
public final class Rope {
    private Rope() {}

    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final int LANES = SPECIES.length();

    public enum Style { HALF, INTERLEAVED }

    /** Precomputed cos/sin for positions [0, maxT) and D/2 frequencies. */
    public static final class Table {
        private final int maxT, headDim;
        /** [maxT][headDim/2]: cos and sin of pos·θ^(−2i/D), computed in double, stored as float. */
        private final float[] cos, sin;

        public Table(int maxT, int headDim, double theta) {
            if (maxT < 1) throw new IllegalArgumentException("rope table: maxT must be at least 1, got " + maxT);
            if (headDim < 2 || headDim % 2 != 0) {
                throw new IllegalArgumentException("rope table: headDim must be even and at least 2, got " + headDim);
            }
            if (!(theta > 0) || Double.isInfinite(theta)) {
                throw new IllegalArgumentException("rope table: theta must be positive and finite, got " + theta);
            }
            if ((long) maxT * (headDim / 2) > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException("rope table: maxT=" + maxT + " × headDim/2=" + headDim / 2 + " entries is too many");
            }
            this.maxT = maxT;
            this.headDim = headDim;
            int half = headDim / 2;
            double[] frequency = new double[half];
            for (int i = 0; i < half; i++) frequency[i] = Math.pow(theta, -2.0 * i / headDim);
            cos = new float[maxT * half];
            sin = new float[maxT * half];
            for (int p = 0; p < maxT; p++) {
                for (int i = 0; i < half; i++) {
                    double angle = p * frequency[i];
                    cos[p * half + i] = (float) Math.cos(angle);
                    sin[p * half + i] = (float) Math.sin(angle);
                }
            }
        }

        public int maxT() {
            return maxT;
        }

        public int headDim() {
            return headDim;
        }
    }

    /** out = rotate(in) at positions pos0 + t. out may equal in (in place). */
    public static void forward(float[] out, int outOff, float[] in, int inOff, int B, int T, int H, int D,
                               int pos0, Table table, Style style) {
        check("rope.forward", "out", out, outOff, "in", in, inOff, B, T, H, D, pos0, table, style);
        rotateAll(out, outOff, in, inOff, B, T, H, D, pos0, table, style, false);
    }

    /** dIn += rotate⁻¹(dOut) (the transpose of a rotation is the rotation by −angle). */
    public static void backward(float[] dIn, int dInOff, float[] dOut, int dOutOff, int B, int T, int H, int D,
                                int pos0, Table table, Style style) {
        check("rope.backward", "dIn", dIn, dInOff, "dOut", dOut, dOutOff, B, T, H, D, pos0, table, style);
        rotateAll(dIn, dInOff, dOut, dOutOff, B, T, H, D, pos0, table, style, true);
    }

    /**
     * Forward: dst = R(φ)·src. Backward: dst += R(−φ)·src. Each pair is read before it is written,
     * so dst may be src at the same offset.
     */
    private static void rotateAll(float[] dst, int dstOff, float[] src, int srcOff, int B, int T, int H, int D,
                                  int pos0, Table table, Style style, boolean backward) {
        int rowsPerStep = H * D;
        int grain = Math.max(1, 16384 / rowsPerStep);
        ComputePool.shared().parallelFor(B * T, grain, (start, end) -> {
            for (int bt = start; bt < end; bt++) {
                int pos = pos0 + bt % T;
                int trig = pos * (D / 2);
                for (int h = 0; h < H; h++) {
                    int o = bt * rowsPerStep + h * D;
                    if (style == Style.HALF) {
                        rotateHalf(dst, dstOff + o, src, srcOff + o, D, table.cos, table.sin, trig, backward);
                    } else {
                        rotateInterleaved(dst, dstOff + o, src, srcOff + o, D, table.cos, table.sin, trig, backward);
                    }
                }
            }
        });
    }

    /** Pairs (i, i + D/2): both halves are contiguous, so vectors run along i. */
    private static void rotateHalf(float[] dst, int d0, float[] src, int s0, int D, float[] cos, float[] sin,
                                   int trig, boolean backward) {
        int half = D / 2;
        for (int i = 0; i < half; i += LANES) {
            VectorMask<Float> m = SPECIES.indexInRange(i, half);
            FloatVector c = FloatVector.fromArray(SPECIES, cos, trig + i, m);
            FloatVector s = FloatVector.fromArray(SPECIES, sin, trig + i, m);
            FloatVector x1 = FloatVector.fromArray(SPECIES, src, s0 + i, m);
            FloatVector x2 = FloatVector.fromArray(SPECIES, src, s0 + half + i, m);
            if (!backward) {
                x1.mul(c).sub(x2.mul(s)).intoArray(dst, d0 + i, m);
                x2.mul(c).add(x1.mul(s)).intoArray(dst, d0 + half + i, m);
            } else {
                FloatVector y1 = x1.mul(c).add(x2.mul(s));
                FloatVector y2 = x2.mul(c).sub(x1.mul(s));
                FloatVector.fromArray(SPECIES, dst, d0 + i, m).add(y1).intoArray(dst, d0 + i, m);
                FloatVector.fromArray(SPECIES, dst, d0 + half + i, m).add(y2).intoArray(dst, d0 + half + i, m);
            }
        }
    }

    /** Pairs (2i, 2i + 1). Scalar: RoPE is O(T·H·D), small beside the matrix products around it. */
    private static void rotateInterleaved(float[] dst, int d0, float[] src, int s0, int D, float[] cos, float[] sin,
                                          int trig, boolean backward) {
        int half = D / 2;
        for (int i = 0; i < half; i++) {
            float c = cos[trig + i], s = sin[trig + i];
            float x1 = src[s0 + 2 * i], x2 = src[s0 + 2 * i + 1];
            if (!backward) {
                dst[d0 + 2 * i] = x1 * c - x2 * s;
                dst[d0 + 2 * i + 1] = x2 * c + x1 * s;
            } else {
                dst[d0 + 2 * i] += x1 * c + x2 * s;
                dst[d0 + 2 * i + 1] += x2 * c - x1 * s;
            }
        }
    }

    private static void check(String op, String dstName, float[] dst, int dstOff, String srcName, float[] src, int srcOff,
                              int B, int T, int H, int D, int pos0, Table table, Style style) {
        String shape = op + "(B=" + B + ", T=" + T + ", H=" + H + ", D=" + D + ", pos0=" + pos0 + ")";
        if (table == null) throw new IllegalArgumentException(shape + ": table is null");
        if (style == null) throw new IllegalArgumentException(shape + ": style is null");
        if (B < 1 || T < 1 || H < 1 || D < 1) throw new IllegalArgumentException(shape + ": every dimension must be at least 1");
        if (D % 2 != 0) throw new IllegalArgumentException(shape + ": D must be even (channels rotate in pairs)");
        if (D != table.headDim()) {
            throw new IllegalArgumentException(shape + ": D differs from the table's headDim " + table.headDim());
        }
        if (pos0 < 0 || (long) pos0 + T > table.maxT()) {
            throw new IllegalArgumentException(shape + ": positions " + pos0 + " … " + ((long) pos0 + T - 1)
                    + " fall outside the table's [0, " + table.maxT() + ")");
        }
        long size = (long) B * T * H * D;
        checkArray(shape, dstName, dst, dstOff, size);
        checkArray(shape, srcName, src, srcOff, size);
    }

    private static void checkArray(String shape, String name, float[] a, int off, long size) {
        if (a == null) throw new IllegalArgumentException(shape + ": " + name + " is null");
        if (off < 0 || off + size > a.length) {
            throw new IllegalArgumentException(shape + ": " + name + " [B, T, H, D] needs " + size
                    + " elements at offset " + off + ", array has " + a.length);
        }
    }
}
