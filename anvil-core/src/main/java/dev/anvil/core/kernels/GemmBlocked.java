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
    /** Rows of the register tile: 12 with 32 vector registers (AVX-512), 6 with 16 (AVX2). */
    static final int MR = V >= 16 ? 12 : 6;
    static int KC = Integer.getInteger("anvil.gemm.kc", 256);
    /** Widest column chunk: KC × NC floats of packed B (1 MB) stay within a 2 MB L2. */
    static int NC = Integer.getInteger("anvil.gemm.nc", 1024);
    static int MC = Integer.getInteger("anvil.gemm.mc", 128) / MR * MR;
    static boolean PACK_A_ALWAYS = Boolean.getBoolean("anvil.gemm.packA");

    private static final ThreadLocal<float[][]> BUFFERS = ThreadLocal.withInitial(() -> new float[][] {null, null, new float[MR * NR]});

    static void multiply(ComputePool pool, boolean transA, boolean transB, int m, int n, int k, float alpha,
                         float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                         float beta, float[] c, int cOff, int ldc) {
        int panels = (n + NR - 1) / NR;
        int threads = pool.threads();
        // Aim for about 4 tasks per thread so a descheduled thread does not stall the call, but
        // keep chunks at least 2 panels wide so A is not re-streamed for too little work.
        int wantTasks = threads == 1 ? 1 : threads * 4;
        int colChunks = Math.max((n + NC - 1) / NC, Math.min(wantTasks, panels / 2));
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
        float[] tile = buffers[2];
        float[] ap = null;
        if (packA) {
            ap = buffers[1];
            if (ap == null || ap.length < kcMax * MC) ap = buffers[1] = new float[kcMax * MC];
        }
        for (int p0 = 0; p0 < k; p0 += KC) {
            int kc = Math.min(KC, k - p0);
            float sliceBeta = p0 == 0 ? beta : 1f;
            packB(transB, b, bOff, ldb, p0, kc, j0, j1, bp);
            for (int ib = i0; ib < i1; ib += MC) {
                int ie = Math.min(i1, ib + MC);
                if (packA) {
                    // The block's MR-row strips, strip s at ap[s·kc·MR], packed once for all panels.
                    for (int i = ib; i < ie; i += MR) {
                        packAStrip(transA, a, aOff, lda, i, Math.min(MR, ie - i), p0, kc, ap, (i - ib) * kc);
                    }
                }
                for (int jp = 0; jp < panels; jp++) {
                    int j = j0 + jp * NR;
                    int nr = Math.min(NR, j1 - j);
                    int panelOff = jp * kc * NR;
                    for (int i = ib; i < ie; i += MR) {
                        int mr = Math.min(MR, ie - i);
                        int cIdx = cOff + i * ldc + j;
                        if (packA) {
                            GemmMicrokernels.packed(kc, ap, (i - ib) * kc, mr, bp, panelOff, c, cIdx, ldc, nr, alpha, sliceBeta, tile);
                        } else {
                            GemmMicrokernels.rows(kc, a, aOff + i * lda + p0, lda, mr, bp, panelOff, c, cIdx, ldc, nr, alpha, sliceBeta, tile);
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
    static void packAStrip(boolean transA, float[] a, int aOff, int lda, int i, int mr, int p0, int kc, float[] dst, int dOff) {
        if (transA) {
            // op(A)(i, p) = a[p·lda + i]: the MR values of one p are contiguous in A, so each
            // step is one masked vector copy (MR ≤ V lanes), zero-filling rows past mr.
            VectorMask<Float> rowsMask = SPECIES.indexInRange(0, mr), strideMask = SPECIES.indexInRange(0, MR);
            for (int p = 0; p < kc; p++) {
                int src = aOff + (p0 + p) * lda + i;
                FloatVector.fromArray(SPECIES, a, src, rowsMask).intoArray(dst, dOff + p * MR, strideMask);
            }
        } else {
            for (int r = 0; r < MR; r++) {
                if (r < mr) {
                    int src = aOff + (i + r) * lda + p0;
                    for (int p = 0; p < kc; p++) dst[dOff + p * MR + r] = a[src + p];
                } else {
                    for (int p = 0; p < kc; p++) dst[dOff + p * MR + r] = 0f;
                }
            }
        }
    }
}
