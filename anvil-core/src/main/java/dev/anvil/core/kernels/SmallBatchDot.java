package dev.anvil.core.kernels;

import jdk.incubator.vector.FloatVector;

import static dev.anvil.core.kernels.VectorMath.LANES;
import static dev.anvil.core.kernels.VectorMath.SPECIES;

/**
 * {@code out[n, r] = W[r]·in[n]} for a group of up to four weight rows (float32, already decoded)
 * and a few dozen inputs: the batched decode step's product. The group stays in L1 while every
 * input passes it, so W is read from memory once per step, and nothing is packed: the
 * {@link Gemm#sgemm} path packed the whole weight on every call, which cost a batch-16 decode step
 * a third of its time.
 *
 * <p>Register tile: 4 rows × 4 inputs, 16 accumulators, 8 loads per 16 FMAs. Every (row, input)
 * pair is summed the same way in every tile shape (one accumulator over the whole vectors, its
 * lanes added in {@link VectorMath#sumLanes}' order, then the scalar tail), so an input's outputs do
 * not depend on which inputs share its batch or where in the batch it sits.
 */
final class SmallBatchDot {
    private SmallBatchDot() {}

    /**
     * {@code out[outOff + n·outStride + r0 + j] = Σ_c w[wOff + j·cols + c]·in[inOff + n·cols + c]}
     * for j < rowCount (≤ 4), n < N.
     */
    static void rows(float[] w, int wOff, int rowCount, int cols, float[] in, int inOff, int N, float[] out, int outOff, int outStride, int r0) {
        if (rowCount == 4) {
            int n = 0;
            float[] lanes = LANES_SCRATCH.get();
            for (; n + 4 <= N; n += 4) tile4x4(w, wOff, cols, in, inOff + n * cols, out, outOff + n * outStride + r0, outStride, lanes);
            for (; n < N; n++) tile4x1(w, wOff, cols, in, inOff + n * cols, out, outOff + n * outStride + r0, lanes);
        } else {
            float[] lanes = LANES_SCRATCH.get();
            for (int j = 0; j < rowCount; j++) {
                for (int n = 0; n < N; n++) out[outOff + n * outStride + r0 + j] = dot(w, wOff + j * cols, in, inOff + n * cols, cols, lanes);
            }
        }
    }

    private static void tile4x4(float[] w, int wOff, int cols, float[] in, int inOff, float[] out, int outOff, int outStride, float[] lanes) {
        int w1 = wOff + cols, w2 = w1 + cols, w3 = w2 + cols;
        int i1 = inOff + cols, i2 = i1 + cols, i3 = i2 + cols;
        FloatVector zero = FloatVector.zero(SPECIES);
        FloatVector c00 = zero, c01 = zero, c02 = zero, c03 = zero, c10 = zero, c11 = zero, c12 = zero, c13 = zero,
                c20 = zero, c21 = zero, c22 = zero, c23 = zero, c30 = zero, c31 = zero, c32 = zero, c33 = zero;
        int c = 0;
        for (int bound = SPECIES.loopBound(cols); c < bound; c += LANES) {
            FloatVector x0 = FloatVector.fromArray(SPECIES, in, inOff + c);
            FloatVector x1 = FloatVector.fromArray(SPECIES, in, i1 + c);
            FloatVector x2 = FloatVector.fromArray(SPECIES, in, i2 + c);
            FloatVector x3 = FloatVector.fromArray(SPECIES, in, i3 + c);
            FloatVector v = FloatVector.fromArray(SPECIES, w, wOff + c);
            c00 = v.fma(x0, c00); c01 = v.fma(x1, c01); c02 = v.fma(x2, c02); c03 = v.fma(x3, c03);
            v = FloatVector.fromArray(SPECIES, w, w1 + c);
            c10 = v.fma(x0, c10); c11 = v.fma(x1, c11); c12 = v.fma(x2, c12); c13 = v.fma(x3, c13);
            v = FloatVector.fromArray(SPECIES, w, w2 + c);
            c20 = v.fma(x0, c20); c21 = v.fma(x1, c21); c22 = v.fma(x2, c22); c23 = v.fma(x3, c23);
            v = FloatVector.fromArray(SPECIES, w, w3 + c);
            c30 = v.fma(x0, c30); c31 = v.fma(x1, c31); c32 = v.fma(x2, c32); c33 = v.fma(x3, c33);
        }
        int o1 = outOff + outStride, o2 = o1 + outStride, o3 = o2 + outStride;
        out[outOff] = finish(c00, lanes, w, wOff, in, inOff, c, cols);
        out[o1] = finish(c01, lanes, w, wOff, in, i1, c, cols);
        out[o2] = finish(c02, lanes, w, wOff, in, i2, c, cols);
        out[o3] = finish(c03, lanes, w, wOff, in, i3, c, cols);
        out[outOff + 1] = finish(c10, lanes, w, w1, in, inOff, c, cols);
        out[o1 + 1] = finish(c11, lanes, w, w1, in, i1, c, cols);
        out[o2 + 1] = finish(c12, lanes, w, w1, in, i2, c, cols);
        out[o3 + 1] = finish(c13, lanes, w, w1, in, i3, c, cols);
        out[outOff + 2] = finish(c20, lanes, w, w2, in, inOff, c, cols);
        out[o1 + 2] = finish(c21, lanes, w, w2, in, i1, c, cols);
        out[o2 + 2] = finish(c22, lanes, w, w2, in, i2, c, cols);
        out[o3 + 2] = finish(c23, lanes, w, w2, in, i3, c, cols);
        out[outOff + 3] = finish(c30, lanes, w, w3, in, inOff, c, cols);
        out[o1 + 3] = finish(c31, lanes, w, w3, in, i1, c, cols);
        out[o2 + 3] = finish(c32, lanes, w, w3, in, i2, c, cols);
        out[o3 + 3] = finish(c33, lanes, w, w3, in, i3, c, cols);
    }

    /** Four rows against one input: the batch's remainder after the tiles of four. */
    private static void tile4x1(float[] w, int wOff, int cols, float[] in, int inOff, float[] out, int outOff, float[] lanes) {
        int w1 = wOff + cols, w2 = w1 + cols, w3 = w2 + cols;
        FloatVector c0 = FloatVector.zero(SPECIES), c1 = c0, c2 = c0, c3 = c0;
        int c = 0;
        for (int bound = SPECIES.loopBound(cols); c < bound; c += LANES) {
            FloatVector x = FloatVector.fromArray(SPECIES, in, inOff + c);
            c0 = FloatVector.fromArray(SPECIES, w, wOff + c).fma(x, c0);
            c1 = FloatVector.fromArray(SPECIES, w, w1 + c).fma(x, c1);
            c2 = FloatVector.fromArray(SPECIES, w, w2 + c).fma(x, c2);
            c3 = FloatVector.fromArray(SPECIES, w, w3 + c).fma(x, c3);
        }
        out[outOff] = finish(c0, lanes, w, wOff, in, inOff, c, cols);
        out[outOff + 1] = finish(c1, lanes, w, w1, in, inOff, c, cols);
        out[outOff + 2] = finish(c2, lanes, w, w2, in, inOff, c, cols);
        out[outOff + 3] = finish(c3, lanes, w, w3, in, inOff, c, cols);
    }

    /** One row against one input, summed as in the tiles. */
    private static float dot(float[] w, int wOff, float[] in, int inOff, int cols, float[] lanes) {
        FloatVector acc = FloatVector.zero(SPECIES);
        int c = 0;
        for (int bound = SPECIES.loopBound(cols); c < bound; c += LANES) {
            acc = FloatVector.fromArray(SPECIES, w, wOff + c).fma(FloatVector.fromArray(SPECIES, in, inOff + c), acc);
        }
        return finish(acc, lanes, w, wOff, in, inOff, c, cols);
    }

    private static final ThreadLocal<float[]> LANES_SCRATCH = ThreadLocal.withInitial(() -> new float[LANES]);

    /**
     * The lanes of {@code acc} added in {@link VectorMath#sumLanes}' order (lane i with i ^ LANES/2,
     * then with i ^ LANES/4, …), then the columns [c, cols) after the last whole vector. Through a
     * store and scalar adds: sumLanes' shuffles, 16 per tile, halved the tile's speed (Zen 4:
     * 44 against 79 GFLOP/s per core; reduceLanes, 95, adds in a different order per JIT tier).
     */
    private static float finish(FloatVector acc, float[] lanes, float[] w, int wOff, float[] in, int inOff, int c, int cols) {
        acc.intoArray(lanes, 0);
        float s = treeSum(lanes);
        for (; c < cols; c++) s = Math.fma(w[wOff + c], in[inOff + c], s);
        return s;
    }

    /** Σ t[0, LANES) pairing as sumLanes does; the ifs fold away (LANES is a constant). */
    private static float treeSum(float[] t) {
        if (LANES == 16) {
            return (((t[0] + t[8]) + (t[4] + t[12])) + ((t[2] + t[10]) + (t[6] + t[14])))
                    + (((t[1] + t[9]) + (t[5] + t[13])) + ((t[3] + t[11]) + (t[7] + t[15])));
        }
        if (LANES == 8) return ((t[0] + t[4]) + (t[2] + t[6])) + ((t[1] + t[5]) + (t[3] + t[7]));
        if (LANES == 4) return (t[0] + t[2]) + (t[1] + t[3]);
        return t[0] + t[1];
    }
}
