package dev.anvil.core.kernels;

import dev.anvil.core.compute.ComputePool;

/**
 * Single-precision general matrix multiply, BLAS-style:
 * {@code C[m×n] = alpha · op(A)[m×k] · op(B)[k×n] + beta · C}, row-major, where
 * {@code op(X)} is X or Xᵀ. The three layouts training needs are A·B (forward of x·W when W is
 * stored k×n), A·Bᵀ (x·Wᵀ with W stored n×k as in PyTorch's Linear, and dX = dY·W) and Aᵀ·B
 * (dW = dYᵀ·X). Transposes are never materialised: the packing routines read either layout.
 *
 * <p>Leading dimensions are row strides in elements: {@code lda} is the row length of A as stored
 * (k when A is m×k, m when A is stored k×m and used transposed), likewise {@code ldb}, {@code ldc}.
 *
 * <p>BLAS semantics for the scalars: alpha 0 or k 0 give {@code C = beta·C} without reading A or
 * B, and beta 0 overwrites C without reading it (NaN there does not survive).
 *
 * <p>Two implementations: {@link GemmBlocked}, cache-blocked over packed B panels with a 12×32
 * register tile on AVX-512 ({@link GemmMicrokernels}) and blocking chosen per CPU
 * ({@link GemmTuning}, shown by {@link #kernelDescription}), for everything but the shapes where packing
 * does not pay, which {@link GemmDirect} computes straight from the operands (see
 * {@link #useDirect}). Both run on the {@link ComputePool}.
 */
public final class Gemm {

    private Gemm() {}

    /** {@code C = alpha·op(A)·op(B) + beta·C} on the shared compute pool. */
    public static void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                             float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                             float beta, float[] c, int cOff, int ldc) {
        sgemm(ComputePool.shared(), transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
    }

    /** {@code C = alpha·op(A)·op(B) + beta·C} on {@code pool}. */
    public static void sgemm(ComputePool pool, boolean transA, boolean transB, int m, int n, int k, float alpha,
                             float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                             float beta, float[] c, int cOff, int ldc) {
        sgemm(pool, GemmTuning.SELECTED, transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
    }

    /** The kernel and blocking this machine uses, and what they were chosen from, in one line. */
    public static String kernelDescription() {
        return GemmTuning.SELECTED.describe();
    }

    /** {@code C = alpha·op(A)·op(B) + beta·C} with the given blocking (tests run every variant). */
    static void sgemm(ComputePool pool, GemmTuning tuning, boolean transA, boolean transB, int m, int n, int k, float alpha,
                      float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                      float beta, float[] c, int cOff, int ldc) {
        checkArguments(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
        if (m == 0 || n == 0) return;
        if (k == 0 || alpha == 0f) {
            // BLAS semantics: A and B are not read, so NaN there does not reach C.
            scale(m, n, beta, c, cOff, ldc);
            return;
        }
        if (useDirect(m, n, k)) {
            GemmDirect.multiply(pool, transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
        } else {
            GemmBlocked.multiply(pool, tuning, transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
        }
    }

    /**
     * Whether to skip packing: tiny products (packing costs about as much as the arithmetic), fewer
     * rows than the smallest microkernel (4; m = 1 is decode's matrix-vector product, which reads
     * each element of B once either way) and few columns (the NR-wide register tile would be mostly padding).
     */
    static boolean useDirect(int m, int n, int k) {
        return (long) m * n * k <= 32L * 32 * 32 || m < 4 || n < GemmBlocked.NR / 2;
    }

    /** {@code C = beta·C}, where beta 0 overwrites (NaN and infinities in C included). */
    private static void scale(int m, int n, float beta, float[] c, int cOff, int ldc) {
        if (beta == 1f) return;
        for (int i = 0; i < m; i++) {
            int row = cOff + i * ldc;
            if (beta == 0f) {
                java.util.Arrays.fill(c, row, row + n, 0f);
            } else {
                for (int j = 0; j < n; j++) c[row + j] *= beta;
            }
        }
    }

    /** Validates dimensions, strides and that every addressed element lies inside its array. */
    static void checkArguments(boolean transA, boolean transB, int m, int n, int k,
                               float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                               float[] c, int cOff, int ldc) {
        if (m < 0 || n < 0 || k < 0) throw new IllegalArgumentException("sgemm: negative size m=" + m + " n=" + n + " k=" + k);
        int aRows = transA ? k : m, aCols = transA ? m : k;
        int bRows = transB ? n : k, bCols = transB ? k : n;
        checkMatrix("A" + (transA ? "ᵀ" : ""), a, aOff, aRows, aCols, lda, m, n, k);
        checkMatrix("B" + (transB ? "ᵀ" : ""), b, bOff, bRows, bCols, ldb, m, n, k);
        checkMatrix("C", c, cOff, m, n, ldc, m, n, k);
    }

    private static void checkMatrix(String name, float[] x, int off, int rows, int cols, int ld, int m, int n, int k) {
        if (rows == 0 || cols == 0) return;
        if (ld < cols) throw new IllegalArgumentException("sgemm(m=" + m + ", n=" + n + ", k=" + k + "): leading dimension of " + name + " is " + ld + ", less than its " + cols + " columns");
        long last = (long) off + (long) (rows - 1) * ld + cols;
        if (off < 0 || last > x.length) {
            throw new IllegalArgumentException("sgemm(m=" + m + ", n=" + n + ", k=" + k + "): " + name + " stored as " + rows + "×" + cols + " (ld " + ld + ") at offset " + off + " needs " + last + " elements, array has " + x.length);
        }
    }
}
