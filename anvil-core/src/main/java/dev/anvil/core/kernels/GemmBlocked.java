package dev.anvil.core.kernels;

import dev.anvil.core.compute.ComputePool;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * The cache-blocked SGEMM behind {@link Gemm}: Goto/BLIS loop nest over packed B panels and a
 * register-blocked MR×NR microkernel.
 *
 * <p>Blocking, outermost first:
 * <ol>
 *   <li>Columns of C are cut into chunks (a whole number of NR-wide panels); each chunk is one
 *       parallel task, so packed B is never duplicated between threads and the atomic task
 *       counter balances uneven chunks. When there are too few panels to keep every thread busy,
 *       rows are split as well (then two tasks pack the same B chunk, a cost of k·n each).</li>
 *   <li>K is cut into KC-deep slices: a chunk's B slice (KC × chunk width, ≤ about 0.5 MB) is
 *       packed into NR-wide panels, {@code panel[p·NR + j]}, zero-padded past the last column, and
 *       stays in L2 while every row of the task streams past it.</li>
 *   <li>Rows are cut into MC-high blocks; inside one, each NR panel (KC·NR floats, 32 KB at KC 256
 *       on AVX-512) sits in L1 while the MR-row strips of the block run over it.</li>
 * </ol>
 *
 * <p>A is read in place as MR independent row streams when it is not transposed (each k step
 * broadcasts {@code a[row·lda + p]} for MR rows: C2 eliminates the range checks of {@code base + p}
 * and the hardware prefetcher follows MR sequential streams). Transposed A would be a stride-lda
 * walk, so it is first packed into MR-interleaved strips {@code strip[p·MR + r]}.
 *
 * <p>The microkernel keeps an MR×NR tile of C in MR·2 vector registers (16 of the 32 zmm
 * registers at MR 8 on AVX-512) and per k step issues 2 vector loads of B, MR broadcasts of A and
 * MR·2 FMAs: enough independent accumulators to cover the 4-cycle FMA latency on 2 FMA ports.
 * Each slice's tile is folded into C as {@code alpha·tile + beta·C} on the first K slice and
 * {@code alpha·tile + C} after it; beta 0 never reads C, so NaN there is overwritten.
 */
final class GemmBlocked {

    private GemmBlocked() {}

    static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    static final int V = SPECIES.length();
    /** Panel width: two vectors (32 floats with AVX-512, 16 with AVX2). */
    static final int NR = 2 * V;
    /** Rows of the register tile. */
    static final int MR = 8;
    static final int KC = Integer.getInteger("anvil.gemm.kc", 256);
    static final int MC = Integer.getInteger("anvil.gemm.mc", 128) / MR * MR;
    static final boolean PACK_A_ALWAYS = Boolean.getBoolean("anvil.gemm.packA");

    private static final ThreadLocal<float[][]> BUFFERS = ThreadLocal.withInitial(() -> new float[2][]);

    static void multiply(ComputePool pool, boolean transA, boolean transB, int m, int n, int k, float alpha,
                         float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                         float beta, float[] c, int cOff, int ldc) {
        int panels = (n + NR - 1) / NR;
        int threads = pool.threads();
        // Aim for about 4 tasks per thread so a descheduled thread does not stall the call, but
        // keep chunks at least 2 panels wide so A is not re-streamed for too little work.
        int wantTasks = threads == 1 ? 1 : threads * 4;
        int colChunks = Math.max(1, Math.min(wantTasks, panels / 2));
        int rowChunks = 1;
        if (colChunks < wantTasks) {
            int rowBlocks = (m + MC - 1) / MC;
            rowChunks = Math.max(1, Math.min(rowBlocks, (wantTasks + colChunks - 1) / colChunks));
        }
        int panelsPerChunk = (panels + colChunks - 1) / colChunks;
        colChunks = (panels + panelsPerChunk - 1) / panelsPerChunk;
        int rowsPerChunk = ((m + rowChunks - 1) / rowChunks + MR - 1) / MR * MR;
        rowChunks = (m + rowsPerChunk - 1) / rowsPerChunk;
        int cc = colChunks;
        int ppc = panelsPerChunk, rpc = rowsPerChunk;
        pool.run(colChunks * rowChunks, t -> {
            int ci = t % cc, ri = t / cc;
            int j0 = ci * ppc * NR, j1 = Math.min(n, j0 + ppc * NR);
            int i0 = ri * rpc, i1 = Math.min(m, i0 + rpc);
            task(transA, transB, i0, i1, j0, j1, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
        });
    }

    /** Computes rows [i0, i1) × columns [j0, j1) of C on the calling thread. */
    private static void task(boolean transA, boolean transB, int i0, int i1, int j0, int j1, int k, float alpha,
                             float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                             float beta, float[] c, int cOff, int ldc) {
        int width = j1 - j0;
        int panels = (width + NR - 1) / NR;
        int kcMax = Math.min(KC, k);
        boolean packA = transA || PACK_A_ALWAYS;
        float[][] buffers = BUFFERS.get();
        float[] bp = buffers[0];
        if (bp == null || bp.length < kcMax * panels * NR) bp = buffers[0] = new float[kcMax * panels * NR];
        float[] ap = null;
        if (packA) {
            ap = buffers[1];
            if (ap == null || ap.length < kcMax * MR) ap = buffers[1] = new float[kcMax * MR];
        }
        for (int p0 = 0; p0 < k; p0 += KC) {
            int kc = Math.min(KC, k - p0);
            float sliceBeta = p0 == 0 ? beta : 1f;
            packB(transB, b, bOff, ldb, p0, kc, j0, j1, bp);
            for (int ib = i0; ib < i1; ib += MC) {
                int ie = Math.min(i1, ib + MC);
                for (int jp = 0; jp < panels; jp++) {
                    int j = j0 + jp * NR;
                    int nr = Math.min(NR, j1 - j);
                    int panelOff = jp * kc * NR;
                    for (int i = ib; i < ie; i += MR) {
                        int mr = Math.min(MR, ie - i);
                        int cIdx = cOff + i * ldc + j;
                        if (packA) {
                            packAStrip(transA, a, aOff, lda, i, mr, p0, kc, ap);
                            kernelPacked(kc, ap, bp, panelOff, c, cIdx, ldc, mr, nr, alpha, sliceBeta);
                        } else {
                            kernelRows(kc, a, aOff + i * lda + p0, lda, mr, bp, panelOff, c, cIdx, ldc, nr, alpha, sliceBeta);
                        }
                    }
                }
            }
        }
    }

    /**
     * Packs op(B)[p0, p0+kc) × [j0, j1) into NR-wide panels: panel q holds columns j0+q·NR.. at
     * {@code dst[q·kc·NR + p·NR + jj]}, zero beyond j1 so the kernel may always run full width.
     */
    static void packB(boolean transB, float[] b, int bOff, int ldb, int p0, int kc, int j0, int j1, float[] dst) {
        int width = j1 - j0;
        int panels = (width + NR - 1) / NR;
        for (int q = 0; q < panels; q++) {
            int j = j0 + q * NR;
            int nr = Math.min(NR, j1 - j);
            int base = q * kc * NR;
            if (!transB) {
                // op(B)(p, j) = b[p·ldb + j]: each panel row is a contiguous run of B's row.
                if (nr == NR) {
                    for (int p = 0; p < kc; p++) {
                        int src = bOff + (p0 + p) * ldb + j;
                        FloatVector.fromArray(SPECIES, b, src).intoArray(dst, base + p * NR);
                        FloatVector.fromArray(SPECIES, b, src + V).intoArray(dst, base + p * NR + V);
                    }
                } else {
                    VectorMask<Float> m0 = SPECIES.indexInRange(0, nr), m1 = SPECIES.indexInRange(V, nr);
                    for (int p = 0; p < kc; p++) {
                        int src = bOff + (p0 + p) * ldb + j;
                        FloatVector.fromArray(SPECIES, b, src, m0).intoArray(dst, base + p * NR);
                        FloatVector.fromArray(SPECIES, b, src + V, m1).intoArray(dst, base + p * NR + V);
                    }
                }
            } else {
                // op(B)(p, j) = b[j·ldb + p]: a transpose. Column jj of the panel is a contiguous
                // run of B's row j+jj; write it with stride NR (the panel is L1-resident).
                for (int jj = 0; jj < nr; jj++) {
                    int src = bOff + (j + jj) * ldb + p0;
                    int d = base + jj;
                    for (int p = 0; p < kc; p++) dst[d + p * NR] = b[src + p];
                }
                for (int jj = nr; jj < NR; jj++) {
                    int d = base + jj;
                    for (int p = 0; p < kc; p++) dst[d + p * NR] = 0f;
                }
            }
        }
    }

    /** Packs rows [i, i+mr) × k-range [p0, p0+kc) of op(A) as {@code dst[p·MR + r]}, zero rows past mr. */
    static void packAStrip(boolean transA, float[] a, int aOff, int lda, int i, int mr, int p0, int kc, float[] dst) {
        if (transA) {
            // op(A)(i, p) = a[p·lda + i]: the MR values of one p are contiguous.
            for (int p = 0; p < kc; p++) {
                int src = aOff + (p0 + p) * lda + i;
                int d = p * MR;
                for (int r = 0; r < mr; r++) dst[d + r] = a[src + r];
                for (int r = mr; r < MR; r++) dst[d + r] = 0f;
            }
        } else {
            for (int r = 0; r < MR; r++) {
                if (r < mr) {
                    int src = aOff + (i + r) * lda + p0;
                    for (int p = 0; p < kc; p++) dst[p * MR + r] = a[src + p];
                } else {
                    for (int p = 0; p < kc; p++) dst[p * MR + r] = 0f;
                }
            }
        }
    }

    /**
     * MR×NR tile with A read in place: rows {@code a0 + r·lda}, r < mr (rows past mr re-read the
     * last real row and are not stored). {@code c[cIdx..]} is the tile's top-left element.
     */
    static void kernelRows(int kc, float[] a, int a0, int lda, int mr, float[] bp, int bOff,
                           float[] c, int cIdx, int ldc, int nr, float alpha, float beta) {
        int last = mr - 1;
        int r0 = a0;
        int r1 = a0 + Math.min(1, last) * lda;
        int r2 = a0 + Math.min(2, last) * lda;
        int r3 = a0 + Math.min(3, last) * lda;
        int r4 = a0 + Math.min(4, last) * lda;
        int r5 = a0 + Math.min(5, last) * lda;
        int r6 = a0 + Math.min(6, last) * lda;
        int r7 = a0 + Math.min(7, last) * lda;
        FloatVector z = FloatVector.zero(SPECIES);
        FloatVector c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z;
        FloatVector c40 = z, c41 = z, c50 = z, c51 = z, c60 = z, c61 = z, c70 = z, c71 = z;
        for (int p = 0; p < kc; p++) {
            int bi = bOff + p * NR;
            FloatVector b0 = FloatVector.fromArray(SPECIES, bp, bi);
            FloatVector b1 = FloatVector.fromArray(SPECIES, bp, bi + V);
            FloatVector x;
            x = FloatVector.broadcast(SPECIES, a[r0 + p]); c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(SPECIES, a[r1 + p]); c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(SPECIES, a[r2 + p]); c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(SPECIES, a[r3 + p]); c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(SPECIES, a[r4 + p]); c40 = x.fma(b0, c40); c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(SPECIES, a[r5 + p]); c50 = x.fma(b0, c50); c51 = x.fma(b1, c51);
            x = FloatVector.broadcast(SPECIES, a[r6 + p]); c60 = x.fma(b0, c60); c61 = x.fma(b1, c61);
            x = FloatVector.broadcast(SPECIES, a[r7 + p]); c70 = x.fma(b0, c70); c71 = x.fma(b1, c71);
        }
        store(c00, c01, c, cIdx, nr, alpha, beta);
        if (mr > 1) store(c10, c11, c, cIdx + ldc, nr, alpha, beta);
        if (mr > 2) store(c20, c21, c, cIdx + 2 * ldc, nr, alpha, beta);
        if (mr > 3) store(c30, c31, c, cIdx + 3 * ldc, nr, alpha, beta);
        if (mr > 4) store(c40, c41, c, cIdx + 4 * ldc, nr, alpha, beta);
        if (mr > 5) store(c50, c51, c, cIdx + 5 * ldc, nr, alpha, beta);
        if (mr > 6) store(c60, c61, c, cIdx + 6 * ldc, nr, alpha, beta);
        if (mr > 7) store(c70, c71, c, cIdx + 7 * ldc, nr, alpha, beta);
    }

    /** MR×NR tile with A from a packed strip {@code ap[p·MR + r]}. */
    static void kernelPacked(int kc, float[] ap, float[] bp, int bOff,
                             float[] c, int cIdx, int ldc, int mr, int nr, float alpha, float beta) {
        FloatVector z = FloatVector.zero(SPECIES);
        FloatVector c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z;
        FloatVector c40 = z, c41 = z, c50 = z, c51 = z, c60 = z, c61 = z, c70 = z, c71 = z;
        for (int p = 0; p < kc; p++) {
            int bi = bOff + p * NR;
            int ai = p * MR;
            FloatVector b0 = FloatVector.fromArray(SPECIES, bp, bi);
            FloatVector b1 = FloatVector.fromArray(SPECIES, bp, bi + V);
            FloatVector x;
            x = FloatVector.broadcast(SPECIES, ap[ai]); c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(SPECIES, ap[ai + 1]); c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(SPECIES, ap[ai + 2]); c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(SPECIES, ap[ai + 3]); c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(SPECIES, ap[ai + 4]); c40 = x.fma(b0, c40); c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(SPECIES, ap[ai + 5]); c50 = x.fma(b0, c50); c51 = x.fma(b1, c51);
            x = FloatVector.broadcast(SPECIES, ap[ai + 6]); c60 = x.fma(b0, c60); c61 = x.fma(b1, c61);
            x = FloatVector.broadcast(SPECIES, ap[ai + 7]); c70 = x.fma(b0, c70); c71 = x.fma(b1, c71);
        }
        store(c00, c01, c, cIdx, nr, alpha, beta);
        if (mr > 1) store(c10, c11, c, cIdx + ldc, nr, alpha, beta);
        if (mr > 2) store(c20, c21, c, cIdx + 2 * ldc, nr, alpha, beta);
        if (mr > 3) store(c30, c31, c, cIdx + 3 * ldc, nr, alpha, beta);
        if (mr > 4) store(c40, c41, c, cIdx + 4 * ldc, nr, alpha, beta);
        if (mr > 5) store(c50, c51, c, cIdx + 5 * ldc, nr, alpha, beta);
        if (mr > 6) store(c60, c61, c, cIdx + 6 * ldc, nr, alpha, beta);
        if (mr > 7) store(c70, c71, c, cIdx + 7 * ldc, nr, alpha, beta);
    }

    /** Folds one tile row into C: {@code C = alpha·acc + beta·C} over the first nr columns. */
    private static void store(FloatVector acc0, FloatVector acc1, float[] c, int idx, int nr, float alpha, float beta) {
        if (nr == NR) {
            FloatVector r0 = acc0.mul(alpha), r1 = acc1.mul(alpha);
            if (beta != 0f) {
                r0 = FloatVector.fromArray(SPECIES, c, idx).fma(FloatVector.broadcast(SPECIES, beta), r0);
                r1 = FloatVector.fromArray(SPECIES, c, idx + V).fma(FloatVector.broadcast(SPECIES, beta), r1);
            }
            r0.intoArray(c, idx);
            r1.intoArray(c, idx + V);
        } else {
            storePartial(acc0, acc1, c, idx, nr, alpha, beta);
        }
    }

    private static void storePartial(FloatVector acc0, FloatVector acc1, float[] c, int idx, int nr, float alpha, float beta) {
        VectorMask<Float> m0 = SPECIES.indexInRange(0, nr), m1 = SPECIES.indexInRange(V, nr);
        FloatVector r0 = acc0.mul(alpha), r1 = acc1.mul(alpha);
        if (beta != 0f) {
            r0 = FloatVector.fromArray(SPECIES, c, idx, m0).fma(FloatVector.broadcast(SPECIES, beta), r0);
            r1 = FloatVector.fromArray(SPECIES, c, idx + V, m1).fma(FloatVector.broadcast(SPECIES, beta), r1);
        }
        r0.intoArray(c, idx, m0);
        r1.intoArray(c, idx + V, m1);
    }
}
