package dev.anvil.core.kernels;

import dev.anvil.core.compute.ComputePool;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * SGEMM without packing, for the shapes where packing does not pay: tiny products, a handful of
 * rows (m = 1 is the matrix-vector product of single-token decode) and a handful of columns.
 *
 * <p>Two formulations, both vectorised along a contiguous run:
 * <ul>
 *   <li>row form (op(B) = B, at least one vector of columns): {@code C[i,:] = beta·C[i,:]} then
 *       {@code C[i,:] += (alpha·A(i,p))·B[p,:]} for every p, each an axpy over a row of B;</li>
 *   <li>dot form (otherwise): {@code C[i,j] = alpha·⟨A(i,:), op(B)(:,j)⟩ + beta·C[i,j]}, with a
 *       strided operand first copied into a contiguous scratch row.</li>
 * </ul>
 * Work is split over rows or columns of C, whichever is longer.
 */
final class GemmDirect {

    private GemmDirect() {}

    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final int V = SPECIES.length();
    /** Below this many multiply-adds a call stays on the calling thread. */
    private static final long PARALLEL_WORK = 1L << 16;

    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[][] {null, null, new float[4]});

    static void multiply(ComputePool pool, boolean transA, boolean transB, int m, int n, int k, float alpha,
                         float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                         float beta, float[] c, int cOff, int ldc) {
        long work = (long) m * n * k;
        if (work < PARALLEL_WORK || pool.threads() == 1) {
            block(transA, transB, 0, m, 0, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
            return;
        }
        if (m >= n) {
            int grain = (int) Math.max(1, PARALLEL_WORK / ((long) n * k));
            pool.parallelFor(m, grain, (i0, i1) ->
                    block(transA, transB, i0, i1, 0, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc));
        } else {
            int grain = (int) Math.max(V, PARALLEL_WORK / ((long) m * k));
            // Column ranges are rounded to whole vectors so the row form keeps full-width stores.
            int units = (n + V - 1) / V;
            pool.parallelFor(units, Math.max(1, grain / V), (u0, u1) ->
                    block(transA, transB, 0, m, u0 * V, Math.min(n, u1 * V), k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc));
        }
    }

    /** C[i0:i1, j0:j1] on the calling thread. */
    static void block(boolean transA, boolean transB, int i0, int i1, int j0, int j1, int k, float alpha,
                      float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                      float beta, float[] c, int cOff, int ldc) {
        int width = j1 - j0;
        if (!transB && width >= V) {
            rowForm(transA, i0, i1, j0, j1, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
        } else {
            dotForm(transA, transB, i0, i1, j0, j1, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
        }
    }

    private static void rowForm(boolean transA, int i0, int i1, int j0, int j1, int k, float alpha,
                                float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                                float beta, float[] c, int cOff, int ldc) {
        int width = j1 - j0;
        int vecEnd = width - width % V;
        for (int i = i0; i < i1; i++) {
            int cRow = cOff + i * ldc + j0;
            if (beta == 0f) {
                java.util.Arrays.fill(c, cRow, cRow + width, 0f);
            } else if (beta != 1f) {
                for (int j = 0; j < width; j++) c[cRow + j] *= beta;
            }
        }
        // p outer, rows inner: each row of B is read once for all rows of C (m is small here).
        for (int p = 0; p < k; p++) {
            int bRow = bOff + p * ldb + j0;
            for (int i = i0; i < i1; i++) {
                int cRow = cOff + i * ldc + j0;
                float s = alpha * (transA ? a[aOff + p * lda + i] : a[aOff + i * lda + p]);
                FloatVector sv = FloatVector.broadcast(SPECIES, s);
                int j = 0;
                for (; j < vecEnd; j += V) {
                    sv.fma(FloatVector.fromArray(SPECIES, b, bRow + j), FloatVector.fromArray(SPECIES, c, cRow + j))
                            .intoArray(c, cRow + j);
                }
                for (; j < width; j++) c[cRow + j] += s * b[bRow + j];
            }
        }
    }

    private static void dotForm(boolean transA, boolean transB, int i0, int i1, int j0, int j1, int k, float alpha,
                                float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                                float beta, float[] c, int cOff, int ldc) {
        float[][] scratch = SCRATCH.get();
        float[] aRow = null, bCol = null;
        if (transA) {
            aRow = scratch[0];
            if (aRow == null || aRow.length < k) aRow = scratch[0] = new float[k];
        }
        if (!transB) {
            bCol = scratch[1];
            if (bCol == null || bCol.length < k) bCol = scratch[1] = new float[k];
        }
        int j = j0;
        if (transB && !transA) {
            // Both operands contiguous along k (x·Wᵀ, decode's matrix-vector product): four
            // columns at a time share each load of A and give four independent FMA chains.
            float[] four = scratch[2];
            for (; j + 4 <= j1; j += 4) {
                for (int i = i0; i < i1; i++) {
                    dot4(a, aOff + i * lda, b, bOff + j * ldb, ldb, k, four);
                    for (int q = 0; q < 4; q++) {
                        int ci = cOff + i * ldc + j + q;
                        float s = alpha * four[q];
                        c[ci] = beta == 0f ? s : s + beta * c[ci];
                    }
                }
            }
        }
        for (; j < j1; j++) {
            float[] bv;
            int bStart;
            if (transB) {
                bv = b;
                bStart = bOff + j * ldb;
            } else {
                for (int p = 0; p < k; p++) bCol[p] = b[bOff + p * ldb + j];
                bv = bCol;
                bStart = 0;
            }
            for (int i = i0; i < i1; i++) {
                float[] av;
                int aStart;
                if (transA) {
                    for (int p = 0; p < k; p++) aRow[p] = a[aOff + p * lda + i];
                    av = aRow;
                    aStart = 0;
                } else {
                    av = a;
                    aStart = aOff + i * lda;
                }
                float s = alpha * dot(av, aStart, bv, bStart, k);
                int ci = cOff + i * ldc + j;
                c[ci] = beta == 0f ? s : s + beta * c[ci];
            }
        }
    }

    /** out[q] = ⟨x[xOff..xOff+k), y[y0 + q·ldy ..)⟩ for q < 4. */
    static void dot4(float[] x, int xOff, float[] y, int y0, int ldy, int k, float[] out) {
        int y1 = y0 + ldy, y2 = y1 + ldy, y3 = y2 + ldy;
        FloatVector s0 = FloatVector.zero(SPECIES), s1 = s0, s2 = s0, s3 = s0;
        int p = 0;
        for (; p <= k - V; p += V) {
            FloatVector xv = FloatVector.fromArray(SPECIES, x, xOff + p);
            s0 = xv.fma(FloatVector.fromArray(SPECIES, y, y0 + p), s0);
            s1 = xv.fma(FloatVector.fromArray(SPECIES, y, y1 + p), s1);
            s2 = xv.fma(FloatVector.fromArray(SPECIES, y, y2 + p), s2);
            s3 = xv.fma(FloatVector.fromArray(SPECIES, y, y3 + p), s3);
        }
        float r0 = VectorMath.sumLanes(s0), r1 = VectorMath.sumLanes(s1);
        float r2 = VectorMath.sumLanes(s2), r3 = VectorMath.sumLanes(s3);
        for (; p < k; p++) {
            float xp = x[xOff + p];
            r0 += xp * y[y0 + p];
            r1 += xp * y[y1 + p];
            r2 += xp * y[y2 + p];
            r3 += xp * y[y3 + p];
        }
        out[0] = r0;
        out[1] = r1;
        out[2] = r2;
        out[3] = r3;
    }

    /** ⟨x[xOff..xOff+k), y[yOff..yOff+k)⟩ with two vector accumulators. */
    static float dot(float[] x, int xOff, float[] y, int yOff, int k) {
        FloatVector s0 = FloatVector.zero(SPECIES), s1 = FloatVector.zero(SPECIES);
        int p = 0;
        for (; p <= k - 2 * V; p += 2 * V) {
            s0 = FloatVector.fromArray(SPECIES, x, xOff + p).fma(FloatVector.fromArray(SPECIES, y, yOff + p), s0);
            s1 = FloatVector.fromArray(SPECIES, x, xOff + p + V).fma(FloatVector.fromArray(SPECIES, y, yOff + p + V), s1);
        }
        for (; p <= k - V; p += V) {
            s0 = FloatVector.fromArray(SPECIES, x, xOff + p).fma(FloatVector.fromArray(SPECIES, y, yOff + p), s0);
        }
        float s = VectorMath.sumLanes(s0.add(s1));
        for (; p < k; p++) s += x[xOff + p] * y[yOff + p];
        return s;
    }
}
