package dev.anvil.core.kernels;

import dev.anvil.core.compute.ComputePool;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * The cache-blocked SGEMM behind {@link Gemm}: a Goto/BLIS loop nest over packed B panels and
 * the register-blocked microkernels of {@link GemmMicrokernels}.
 *
 * <p>Blocking, outermost first:
 * <ol>
 *   <li>Columns of C are cut into chunks (a whole number of NR-wide panels, at most NC columns);
 *       each chunk is one parallel task, so packed B is never duplicated between threads, and
 *       {@link GemmTuning#tasksPerThread} tasks per thread, handed out by the pool's atomic counter, keep both cores busy
 *       when one is slowed down. When there are too few panels for that, rows are split as well
 *       (those tasks then pack the same B chunk, a cost of k·n each, small next to m·n·k).</li>
 *   <li>K is cut into KC-deep slices; a chunk's B slice is packed into NR-wide panels,
 *       {@code panel[p·NR + j]}, zero-padded past the last column (KC × NC floats, sized to the
 *       L2 by {@link GemmTuning}).</li>
 *   <li>Rows are walked in MR-row strips; a strip's KC-deep rows of A stay in L1 while every
 *       panel of the chunk streams past them from L2.</li>
 * </ol>
 *
 * <p>Aᵀ, which would be a stride-lda walk, is always packed into MR-interleaved strips,
 * {@code strip[p·MR + r]}, one masked vector copy per k step. A itself is packed the same way or
 * read in place as MR independent row streams (each k step broadcasts {@code a[row·lda + p]} for
 * MR rows), as {@link GemmTuning#packsA} says: in place saves the copy where the L1 can hold MR
 * streams, packing wins where it cannot (see there). Bᵀ is packed through V×V register transposes.
 *
 * <p>Each slice's tile is folded into C as {@code alpha·tile + beta·C} on the first K slice and
 * {@code alpha·tile + C} after it; beta 0 never reads C, so NaN there is overwritten.
 */
final class GemmBlocked {

    private GemmBlocked() {}

    /**
     * Vectors of the register tile: the preferred width on every CPU so far. On Zen 4, which runs
     * a 512-bit FMA as two halves on its 256-bit units, a 12×16 tile of 256-bit vectors (same
     * registers, half the work per load) measured slower than 12×32 of 512-bit ones, one core,
     * CPU time, A packed: 2048³ 67-78 vs 78-89, 1024³ 67-73 vs 90, 256×2304×768 NT 60-79 vs 72,
     * 768×2304×256 TN 67-69 vs 82 GFLOP/s (OpenBLAS 92, 99, 82, 95).
     */
    static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    static final int V = SPECIES.length();
    /** Panel width: two vectors (32 floats with AVX-512, 16 with AVX2). */
    static final int NR = 2 * V;
    /** Rows of the register tile: 12 with 32 vector registers (AVX-512), 6 with 16 (AVX2). */
    static final int MR = V >= 16 ? 12 : 6;

    private static final ThreadLocal<float[][]> BUFFERS = ThreadLocal.withInitial(() -> new float[][] {null, null, new float[MR * NR]});

    static void multiply(ComputePool pool, GemmTuning tuning, boolean transA, boolean transB, int m, int n, int k, float alpha,
                         float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                         float beta, float[] c, int cOff, int ldc) {
        int panels = (n + NR - 1) / NR;
        int threads = pool.threads();
        // Aim for tuning.tasksPerThread() tasks per thread so a descheduled thread does not stall the call, but
        // keep chunks at least 2 panels wide so A is not re-streamed for too little work.
        int wantTasks = threads == 1 ? 1 : threads * tuning.tasksPerThread();
        int nc = tuning.nc();
        int colChunks = Math.max((n + nc - 1) / nc, Math.min(wantTasks, panels / 2));
        int rowChunks = 1;
        if (colChunks < wantTasks) {
            // Row tasks of at least 8 strips: each one packs its own copy of the B chunk.
            int rowBlocks = (m + 8 * MR - 1) / (8 * MR);
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
            task(tuning, transA, transB, i0, i1, j0, j1, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
        });
    }

    /** Computes rows [i0, i1) × columns [j0, j1) of C on the calling thread. */
    private static void task(GemmTuning tuning, boolean transA, boolean transB, int i0, int i1, int j0, int j1, int k, float alpha,
                             float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                             float beta, float[] c, int cOff, int ldc) {
        int width = j1 - j0;
        int panels = (width + NR - 1) / NR;
        int kcDepth = tuning.kc();
        int kcMax = Math.min(kcDepth, k);
        boolean packA = transA || tuning.packsA(lda);
        // Per-thread scratch, grown on demand and kept: no garbage per call in steady state.
        float[][] buffers = BUFFERS.get();
        float[] bp = buffers[0];
        if (bp == null || bp.length < kcMax * panels * NR) bp = buffers[0] = new float[kcMax * panels * NR];
        float[] tile = buffers[2];
        float[] ap = null;
        if (packA) {
            ap = buffers[1];
            if (ap == null || ap.length < kcMax * MR + V) ap = buffers[1] = new float[kcMax * MR + V];
        }
        for (int p0 = 0; p0 < k; p0 += kcDepth) {
            int kc = Math.min(kcDepth, k - p0);
            float sliceBeta = p0 == 0 ? beta : 1f;
            packB(transB, b, bOff, ldb, p0, kc, j0, j1, bp);
            // Strip outer, panels inner: the strip's kc-deep rows of A (12 KB) stay in L1 while
            // the packed panels stream from L2. Measured on one core against the BLIS order
            // (panel in L1, A strips from L2): 1024³ 130 → 144, 256×2304×768 124 → 134 GFLOP/s.
            for (int i = i0; i < i1; i += MR) {
                int mr = Math.min(MR, i1 - i);
                if (transA) packAStrip(a, aOff, lda, i, mr, p0, kc, ap);
                else if (packA) packARows(a, aOff, lda, i, mr, p0, kc, ap);
                for (int jp = 0; jp < panels; jp++) {
                    int j = j0 + jp * NR;
                    int nr = Math.min(NR, j1 - j);
                    int panelOff = jp * kc * NR;
                    int cIdx = cOff + i * ldc + j;
                    if (packA) {
                        GemmMicrokernels.packed(kc, ap, 0, mr, bp, panelOff, c, cIdx, ldc, nr, alpha, sliceBeta, tile);
                    } else {
                        GemmMicrokernels.rows(kc, a, aOff + i * lda + p0, lda, mr, bp, panelOff, c, cIdx, ldc, nr, alpha, sliceBeta, tile);
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
                // op(B)(p, j) = b[j·ldb + p]: a transpose. The panel's columns are two groups of
                // V rows of B; V×V blocks go through registers (log2 V rounds of two-source
                // permutes), the k remainder element by element.
                for (int g = 0; g < 2; g++) {
                    int rows = Math.max(0, Math.min(V, nr - g * V));
                    int src = bOff + (j + g * V) * ldb + p0;
                    int d = base + g * V;
                    int p = 0;
                    if (rows > 0 && (V == 16 || V == 8)) {
                        for (; p <= kc - V; p += V) {
                            if (V == 16) transpose16(b, src + p, ldb, rows, dst, d + p * NR, NR);
                            else transpose8(b, src + p, ldb, rows, dst, d + p * NR, NR);
                        }
                    }
                    for (; p < kc; p++) {
                        for (int t = 0; t < V; t++) dst[d + p * NR + t] = t < rows ? b[src + t * ldb + p] : 0f;
                    }
                }
            }
        }
    }

    /** Lane indexes for {@code selectFrom(v1, v2)} (V + i picks lane i of v2) in transpose round r, which swaps s×s blocks, s = V/2^(r+1): LO takes the low s lanes of each 2s-lane group from both rows, HI the high ones. */
    private static final FloatVector LO0 = transposeIndex(V / 2, false), HI0 = transposeIndex(V / 2, true);
    private static final FloatVector LO1 = transposeIndex(V / 4, false), HI1 = transposeIndex(V / 4, true);
    private static final FloatVector LO2 = transposeIndex(V / 8, false), HI2 = transposeIndex(V / 8, true);
    private static final FloatVector LO3 = transposeIndex(V / 16, false), HI3 = transposeIndex(V / 16, true);

    private static FloatVector transposeIndex(int s, boolean high) {
        float[] index = new float[V];
        if (s >= 1) {
            for (int l = 0; l < V; l++) {
                int group = l - l % (2 * s), o = l % (2 * s);
                int lane = (o < s ? o : o - s) + (high ? s : 0);
                index[l] = (o < s ? 0 : V) + group + lane;
            }
        }
        return FloatVector.fromArray(SPECIES, index, 0);
    }

    /**
     * Transposes a 16×16 block: row t of x (t < rows, else zero), 16 consecutive p, becomes the
     * 16 floats at {@code dst[d + p·stride]}. The stores go in increasing p, so with a stride
     * under 16 each one overwrites the previous one's surplus lanes and only the last spills
     * 16 − stride floats past the block.
     */
    private static void transpose16(float[] b, int src, int ldb, int rows, float[] dst, int d, int stride) {
        FloatVector z = FloatVector.zero(SPECIES);
        FloatVector v0 = FloatVector.fromArray(SPECIES, b, src);
        FloatVector v1 = 1 < rows ? FloatVector.fromArray(SPECIES, b, src + 1 * ldb) : z;
        FloatVector v2 = 2 < rows ? FloatVector.fromArray(SPECIES, b, src + 2 * ldb) : z;
        FloatVector v3 = 3 < rows ? FloatVector.fromArray(SPECIES, b, src + 3 * ldb) : z;
        FloatVector v4 = 4 < rows ? FloatVector.fromArray(SPECIES, b, src + 4 * ldb) : z;
        FloatVector v5 = 5 < rows ? FloatVector.fromArray(SPECIES, b, src + 5 * ldb) : z;
        FloatVector v6 = 6 < rows ? FloatVector.fromArray(SPECIES, b, src + 6 * ldb) : z;
        FloatVector v7 = 7 < rows ? FloatVector.fromArray(SPECIES, b, src + 7 * ldb) : z;
        FloatVector v8 = 8 < rows ? FloatVector.fromArray(SPECIES, b, src + 8 * ldb) : z;
        FloatVector v9 = 9 < rows ? FloatVector.fromArray(SPECIES, b, src + 9 * ldb) : z;
        FloatVector v10 = 10 < rows ? FloatVector.fromArray(SPECIES, b, src + 10 * ldb) : z;
        FloatVector v11 = 11 < rows ? FloatVector.fromArray(SPECIES, b, src + 11 * ldb) : z;
        FloatVector v12 = 12 < rows ? FloatVector.fromArray(SPECIES, b, src + 12 * ldb) : z;
        FloatVector v13 = 13 < rows ? FloatVector.fromArray(SPECIES, b, src + 13 * ldb) : z;
        FloatVector v14 = 14 < rows ? FloatVector.fromArray(SPECIES, b, src + 14 * ldb) : z;
        FloatVector v15 = 15 < rows ? FloatVector.fromArray(SPECIES, b, src + 15 * ldb) : z;
        { // swap 8×8 blocks between rows i and i + 8
            FloatVector w0 = LO0.selectFrom(v0, v8), w8 = HI0.selectFrom(v0, v8);
            FloatVector w1 = LO0.selectFrom(v1, v9), w9 = HI0.selectFrom(v1, v9);
            FloatVector w2 = LO0.selectFrom(v2, v10), w10 = HI0.selectFrom(v2, v10);
            FloatVector w3 = LO0.selectFrom(v3, v11), w11 = HI0.selectFrom(v3, v11);
            FloatVector w4 = LO0.selectFrom(v4, v12), w12 = HI0.selectFrom(v4, v12);
            FloatVector w5 = LO0.selectFrom(v5, v13), w13 = HI0.selectFrom(v5, v13);
            FloatVector w6 = LO0.selectFrom(v6, v14), w14 = HI0.selectFrom(v6, v14);
            FloatVector w7 = LO0.selectFrom(v7, v15), w15 = HI0.selectFrom(v7, v15);
            v0 = w0; v1 = w1; v2 = w2; v3 = w3; v4 = w4; v5 = w5; v6 = w6; v7 = w7; v8 = w8; v9 = w9; v10 = w10; v11 = w11; v12 = w12; v13 = w13; v14 = w14; v15 = w15;
        }
        { // swap 4×4 blocks between rows i and i + 4
            FloatVector w0 = LO1.selectFrom(v0, v4), w4 = HI1.selectFrom(v0, v4);
            FloatVector w1 = LO1.selectFrom(v1, v5), w5 = HI1.selectFrom(v1, v5);
            FloatVector w2 = LO1.selectFrom(v2, v6), w6 = HI1.selectFrom(v2, v6);
            FloatVector w3 = LO1.selectFrom(v3, v7), w7 = HI1.selectFrom(v3, v7);
            FloatVector w8 = LO1.selectFrom(v8, v12), w12 = HI1.selectFrom(v8, v12);
            FloatVector w9 = LO1.selectFrom(v9, v13), w13 = HI1.selectFrom(v9, v13);
            FloatVector w10 = LO1.selectFrom(v10, v14), w14 = HI1.selectFrom(v10, v14);
            FloatVector w11 = LO1.selectFrom(v11, v15), w15 = HI1.selectFrom(v11, v15);
            v0 = w0; v1 = w1; v2 = w2; v3 = w3; v4 = w4; v5 = w5; v6 = w6; v7 = w7; v8 = w8; v9 = w9; v10 = w10; v11 = w11; v12 = w12; v13 = w13; v14 = w14; v15 = w15;
        }
        { // swap 2×2 blocks between rows i and i + 2
            FloatVector w0 = LO2.selectFrom(v0, v2), w2 = HI2.selectFrom(v0, v2);
            FloatVector w1 = LO2.selectFrom(v1, v3), w3 = HI2.selectFrom(v1, v3);
            FloatVector w4 = LO2.selectFrom(v4, v6), w6 = HI2.selectFrom(v4, v6);
            FloatVector w5 = LO2.selectFrom(v5, v7), w7 = HI2.selectFrom(v5, v7);
            FloatVector w8 = LO2.selectFrom(v8, v10), w10 = HI2.selectFrom(v8, v10);
            FloatVector w9 = LO2.selectFrom(v9, v11), w11 = HI2.selectFrom(v9, v11);
            FloatVector w12 = LO2.selectFrom(v12, v14), w14 = HI2.selectFrom(v12, v14);
            FloatVector w13 = LO2.selectFrom(v13, v15), w15 = HI2.selectFrom(v13, v15);
            v0 = w0; v1 = w1; v2 = w2; v3 = w3; v4 = w4; v5 = w5; v6 = w6; v7 = w7; v8 = w8; v9 = w9; v10 = w10; v11 = w11; v12 = w12; v13 = w13; v14 = w14; v15 = w15;
        }
        { // swap 1×1 blocks between rows i and i + 1
            FloatVector w0 = LO3.selectFrom(v0, v1), w1 = HI3.selectFrom(v0, v1);
            FloatVector w2 = LO3.selectFrom(v2, v3), w3 = HI3.selectFrom(v2, v3);
            FloatVector w4 = LO3.selectFrom(v4, v5), w5 = HI3.selectFrom(v4, v5);
            FloatVector w6 = LO3.selectFrom(v6, v7), w7 = HI3.selectFrom(v6, v7);
            FloatVector w8 = LO3.selectFrom(v8, v9), w9 = HI3.selectFrom(v8, v9);
            FloatVector w10 = LO3.selectFrom(v10, v11), w11 = HI3.selectFrom(v10, v11);
            FloatVector w12 = LO3.selectFrom(v12, v13), w13 = HI3.selectFrom(v12, v13);
            FloatVector w14 = LO3.selectFrom(v14, v15), w15 = HI3.selectFrom(v14, v15);
            v0 = w0; v1 = w1; v2 = w2; v3 = w3; v4 = w4; v5 = w5; v6 = w6; v7 = w7; v8 = w8; v9 = w9; v10 = w10; v11 = w11; v12 = w12; v13 = w13; v14 = w14; v15 = w15;
        }
        v0.intoArray(dst, d + 0 * stride);
        v1.intoArray(dst, d + 1 * stride);
        v2.intoArray(dst, d + 2 * stride);
        v3.intoArray(dst, d + 3 * stride);
        v4.intoArray(dst, d + 4 * stride);
        v5.intoArray(dst, d + 5 * stride);
        v6.intoArray(dst, d + 6 * stride);
        v7.intoArray(dst, d + 7 * stride);
        v8.intoArray(dst, d + 8 * stride);
        v9.intoArray(dst, d + 9 * stride);
        v10.intoArray(dst, d + 10 * stride);
        v11.intoArray(dst, d + 11 * stride);
        v12.intoArray(dst, d + 12 * stride);
        v13.intoArray(dst, d + 13 * stride);
        v14.intoArray(dst, d + 14 * stride);
        v15.intoArray(dst, d + 15 * stride);
    }

    /** {@link #transpose16} for 8×8 blocks. */
    private static void transpose8(float[] b, int src, int ldb, int rows, float[] dst, int d, int stride) {
        FloatVector z = FloatVector.zero(SPECIES);
        FloatVector v0 = FloatVector.fromArray(SPECIES, b, src);
        FloatVector v1 = 1 < rows ? FloatVector.fromArray(SPECIES, b, src + 1 * ldb) : z;
        FloatVector v2 = 2 < rows ? FloatVector.fromArray(SPECIES, b, src + 2 * ldb) : z;
        FloatVector v3 = 3 < rows ? FloatVector.fromArray(SPECIES, b, src + 3 * ldb) : z;
        FloatVector v4 = 4 < rows ? FloatVector.fromArray(SPECIES, b, src + 4 * ldb) : z;
        FloatVector v5 = 5 < rows ? FloatVector.fromArray(SPECIES, b, src + 5 * ldb) : z;
        FloatVector v6 = 6 < rows ? FloatVector.fromArray(SPECIES, b, src + 6 * ldb) : z;
        FloatVector v7 = 7 < rows ? FloatVector.fromArray(SPECIES, b, src + 7 * ldb) : z;
        { // swap 4×4 blocks between rows i and i + 4
            FloatVector w0 = LO0.selectFrom(v0, v4), w4 = HI0.selectFrom(v0, v4);
            FloatVector w1 = LO0.selectFrom(v1, v5), w5 = HI0.selectFrom(v1, v5);
            FloatVector w2 = LO0.selectFrom(v2, v6), w6 = HI0.selectFrom(v2, v6);
            FloatVector w3 = LO0.selectFrom(v3, v7), w7 = HI0.selectFrom(v3, v7);
            v0 = w0; v1 = w1; v2 = w2; v3 = w3; v4 = w4; v5 = w5; v6 = w6; v7 = w7;
        }
        { // swap 2×2 blocks between rows i and i + 2
            FloatVector w0 = LO1.selectFrom(v0, v2), w2 = HI1.selectFrom(v0, v2);
            FloatVector w1 = LO1.selectFrom(v1, v3), w3 = HI1.selectFrom(v1, v3);
            FloatVector w4 = LO1.selectFrom(v4, v6), w6 = HI1.selectFrom(v4, v6);
            FloatVector w5 = LO1.selectFrom(v5, v7), w7 = HI1.selectFrom(v5, v7);
            v0 = w0; v1 = w1; v2 = w2; v3 = w3; v4 = w4; v5 = w5; v6 = w6; v7 = w7;
        }
        { // swap 1×1 blocks between rows i and i + 1
            FloatVector w0 = LO2.selectFrom(v0, v1), w1 = HI2.selectFrom(v0, v1);
            FloatVector w2 = LO2.selectFrom(v2, v3), w3 = HI2.selectFrom(v2, v3);
            FloatVector w4 = LO2.selectFrom(v4, v5), w5 = HI2.selectFrom(v4, v5);
            FloatVector w6 = LO2.selectFrom(v6, v7), w7 = HI2.selectFrom(v6, v7);
            v0 = w0; v1 = w1; v2 = w2; v3 = w3; v4 = w4; v5 = w5; v6 = w6; v7 = w7;
        }
        v0.intoArray(dst, d + 0 * stride);
        v1.intoArray(dst, d + 1 * stride);
        v2.intoArray(dst, d + 2 * stride);
        v3.intoArray(dst, d + 3 * stride);
        v4.intoArray(dst, d + 4 * stride);
        v5.intoArray(dst, d + 5 * stride);
        v6.intoArray(dst, d + 6 * stride);
        v7.intoArray(dst, d + 7 * stride);
    }


    /**
     * Packs rows [i, i+mr) × k-range [p0, p0+kc) of op(A) = Aᵀ as {@code dst[p·MR + r]}, zero
     * rows past mr. op(A)(i, p) = a[p·lda + i], so the MR values of one p are contiguous in A and
     * each step is one masked vector copy when a vector holds MR lanes (element-wise otherwise).
     */
    static void packAStrip(float[] a, int aOff, int lda, int i, int mr, int p0, int kc, float[] dst) {
        if (MR <= V) {
            VectorMask<Float> rowsMask = SPECIES.indexInRange(0, mr), stripMask = SPECIES.indexInRange(0, MR);
            for (int p = 0; p < kc; p++) {
                FloatVector.fromArray(SPECIES, a, aOff + (p0 + p) * lda + i, rowsMask).intoArray(dst, p * MR, stripMask);
            }
        } else {
            for (int p = 0; p < kc; p++) {
                int src = aOff + (p0 + p) * lda + i;
                for (int r = 0; r < MR; r++) dst[p * MR + r] = r < mr ? a[src + r] : 0f;
            }
        }
    }

    /**
     * Packs rows [i, i+mr) × k-range [p0, p0+kc) of op(A) = A as {@code dst[p·MR + r]}, zero rows
     * past mr, through the V×V register transposes (V consecutive p of each row in, V strip
     * columns out): the strip is then one sequential run, so MR rows lda apart never compete for
     * the same L1 set while the kernel runs. {@code dst} needs V − MR floats of slack at the end.
     */
    static void packARows(float[] a, int aOff, int lda, int i, int mr, int p0, int kc, float[] dst) {
        int src = aOff + i * lda + p0;
        int p = 0;
        if (MR <= V && (V == 16 || V == 8)) {
            for (; p <= kc - V; p += V) {
                if (V == 16) transpose16(a, src + p, lda, mr, dst, p * MR, MR);
                else transpose8(a, src + p, lda, mr, dst, p * MR, MR);
            }
        }
        for (; p < kc; p++) {
            for (int r = 0; r < MR; r++) dst[p * MR + r] = r < mr ? a[src + r * lda + p] : 0f;
        }
    }
}
