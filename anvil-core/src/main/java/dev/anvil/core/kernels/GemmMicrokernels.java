package dev.anvil.core.kernels;

import static dev.anvil.core.kernels.GemmBlocked.MR;
import static dev.anvil.core.kernels.GemmBlocked.NR;
import static dev.anvil.core.kernels.GemmBlocked.SPECIES;
import static dev.anvil.core.kernels.GemmBlocked.V;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;

/**
 * Register-blocked SGEMM microkernels: an R×NR tile of C (NR = two vectors) accumulated over kc
 * steps of {@code C_tile += A(:, p) ⊗ B(p, :)}, each step two vector loads of the packed B panel
 * {@code bp[bOff + p·NR ..]}, R broadcasts of A and 2R FMAs, then folded into C as
 * {@code alpha·tile + beta·C}.
 *
 * <p>R = 12 is the main kernel on AVX-512: 24 accumulators + 2 B vectors + a broadcast fit the 32
 * zmm registers, and 24 independent FMA chains cover the FMA latency (4 cycles × 2 ports) with
 * room to spare. Measured on one core (CPU time, whole 1024³ GEMM, before the strip-outer loop
 * order): 8 rows 104, 10 rows 126, 12 rows 129-135, 14 rows 122 GFLOP/s; unrolling 12 rows 3 or
 * 4 ways made C2 spill accumulators (≈ 50). On its own with A in L1 and B from L2 the 12-row
 * kernel runs at ≈ 165 GFLOP/s per core, in place or packed alike. R = 6 is the main kernel with
 * 16 vector registers (AVX2). The smaller kernels finish the bottom strip so that, say, 4
 * left-over rows cost 4 rows of work rather than 12.
 *
 * <p>The code is written out per R (generated from one template): the Vector API needs every
 * accumulator to be a separate local for C2 to keep it in a register, and C2 does not unroll a
 * loop body this large by itself, hence the 2-way unroll.
 */
final class GemmMicrokernels {

    private GemmMicrokernels() {}

    /** Row-stream kernel for an mr-row strip, mr ≤ MR. */
    static void rows(int kc, float[] a, int a0, int lda, int mr, float[] bp, int bOff,
            float[] c, int cIdx, int ldc, int nr, float alpha, float beta, float[] tile) {
        if (mr > 8) rows12(kc, a, a0, lda, mr, bp, bOff, c, cIdx, ldc, nr, alpha, beta, tile);
        else if (mr > 6) rows8(kc, a, a0, lda, mr, bp, bOff, c, cIdx, ldc, nr, alpha, beta, tile);
        else if (mr > 4) rows6(kc, a, a0, lda, mr, bp, bOff, c, cIdx, ldc, nr, alpha, beta, tile);
        else rows4(kc, a, a0, lda, mr, bp, bOff, c, cIdx, ldc, nr, alpha, beta, tile);
    }

    /** Packed-strip kernel for an mr-row strip, mr ≤ MR. */
    static void packed(int kc, float[] ap, int aOff, int mr, float[] bp, int bOff,
            float[] c, int cIdx, int ldc, int nr, float alpha, float beta, float[] tile) {
        if (mr > 8) packed12(kc, ap, aOff, mr, bp, bOff, c, cIdx, ldc, nr, alpha, beta, tile);
        else if (mr > 6) packed8(kc, ap, aOff, mr, bp, bOff, c, cIdx, ldc, nr, alpha, beta, tile);
        else if (mr > 4) packed6(kc, ap, aOff, mr, bp, bOff, c, cIdx, ldc, nr, alpha, beta, tile);
        else packed4(kc, ap, aOff, mr, bp, bOff, c, cIdx, ldc, nr, alpha, beta, tile);
    }

    /** Up to 12 rows × NR, A read in place as row streams {@code a[a0 + r·lda + p]}; rows past mr re-read the last real row and are not stored. */
    static void rows12(int kc, float[] a, int a0, int lda, int mr, float[] bp, int bOff,
            float[] c, int cIdx, int ldc, int nr, float alpha, float beta, float[] tile) {
        int last = mr - 1;
        int r0 = a0;
        int r1 = a0 + Math.min(1, last) * lda;
        int r2 = a0 + Math.min(2, last) * lda;
        int r3 = a0 + Math.min(3, last) * lda;
        int r4 = a0 + Math.min(4, last) * lda;
        int r5 = a0 + Math.min(5, last) * lda;
        int r6 = a0 + Math.min(6, last) * lda;
        int r7 = a0 + Math.min(7, last) * lda;
        int r8 = a0 + Math.min(8, last) * lda;
        int r9 = a0 + Math.min(9, last) * lda;
        int r10 = a0 + Math.min(10, last) * lda;
        int r11 = a0 + Math.min(11, last) * lda;
        FloatVector z = FloatVector.zero(SPECIES);
        FloatVector c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z;
        FloatVector c40 = z, c41 = z, c50 = z, c51 = z, c60 = z, c61 = z, c70 = z, c71 = z;
        FloatVector c80 = z, c81 = z, c90 = z, c91 = z, c100 = z, c101 = z, c110 = z, c111 = z;
        FloatVector b0, b1, x;
        int p = 0;
        // Unrolled by 2: C2 does not unroll a loop body this large by itself.
        for (; p <= kc - 2; p += 2) {
            int bi = bOff + p * NR;
            b0 = FloatVector.fromArray(SPECIES, bp, bi);
            b1 = FloatVector.fromArray(SPECIES, bp, bi + V);
            x = FloatVector.broadcast(SPECIES, a[r0 + p]); c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(SPECIES, a[r1 + p]); c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(SPECIES, a[r2 + p]); c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(SPECIES, a[r3 + p]); c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(SPECIES, a[r4 + p]); c40 = x.fma(b0, c40); c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(SPECIES, a[r5 + p]); c50 = x.fma(b0, c50); c51 = x.fma(b1, c51);
            x = FloatVector.broadcast(SPECIES, a[r6 + p]); c60 = x.fma(b0, c60); c61 = x.fma(b1, c61);
            x = FloatVector.broadcast(SPECIES, a[r7 + p]); c70 = x.fma(b0, c70); c71 = x.fma(b1, c71);
            x = FloatVector.broadcast(SPECIES, a[r8 + p]); c80 = x.fma(b0, c80); c81 = x.fma(b1, c81);
            x = FloatVector.broadcast(SPECIES, a[r9 + p]); c90 = x.fma(b0, c90); c91 = x.fma(b1, c91);
            x = FloatVector.broadcast(SPECIES, a[r10 + p]); c100 = x.fma(b0, c100); c101 = x.fma(b1, c101);
            x = FloatVector.broadcast(SPECIES, a[r11 + p]); c110 = x.fma(b0, c110); c111 = x.fma(b1, c111);
            b0 = FloatVector.fromArray(SPECIES, bp, bi + NR);
            b1 = FloatVector.fromArray(SPECIES, bp, bi + NR + V);
            x = FloatVector.broadcast(SPECIES, a[r0 + p + 1]); c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(SPECIES, a[r1 + p + 1]); c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(SPECIES, a[r2 + p + 1]); c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(SPECIES, a[r3 + p + 1]); c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(SPECIES, a[r4 + p + 1]); c40 = x.fma(b0, c40); c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(SPECIES, a[r5 + p + 1]); c50 = x.fma(b0, c50); c51 = x.fma(b1, c51);
            x = FloatVector.broadcast(SPECIES, a[r6 + p + 1]); c60 = x.fma(b0, c60); c61 = x.fma(b1, c61);
            x = FloatVector.broadcast(SPECIES, a[r7 + p + 1]); c70 = x.fma(b0, c70); c71 = x.fma(b1, c71);
            x = FloatVector.broadcast(SPECIES, a[r8 + p + 1]); c80 = x.fma(b0, c80); c81 = x.fma(b1, c81);
            x = FloatVector.broadcast(SPECIES, a[r9 + p + 1]); c90 = x.fma(b0, c90); c91 = x.fma(b1, c91);
            x = FloatVector.broadcast(SPECIES, a[r10 + p + 1]); c100 = x.fma(b0, c100); c101 = x.fma(b1, c101);
            x = FloatVector.broadcast(SPECIES, a[r11 + p + 1]); c110 = x.fma(b0, c110); c111 = x.fma(b1, c111);
        }
        for (; p < kc; p++) {
            int bi = bOff + p * NR;
            b0 = FloatVector.fromArray(SPECIES, bp, bi);
            b1 = FloatVector.fromArray(SPECIES, bp, bi + V);
            x = FloatVector.broadcast(SPECIES, a[r0 + p]); c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(SPECIES, a[r1 + p]); c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(SPECIES, a[r2 + p]); c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(SPECIES, a[r3 + p]); c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(SPECIES, a[r4 + p]); c40 = x.fma(b0, c40); c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(SPECIES, a[r5 + p]); c50 = x.fma(b0, c50); c51 = x.fma(b1, c51);
            x = FloatVector.broadcast(SPECIES, a[r6 + p]); c60 = x.fma(b0, c60); c61 = x.fma(b1, c61);
            x = FloatVector.broadcast(SPECIES, a[r7 + p]); c70 = x.fma(b0, c70); c71 = x.fma(b1, c71);
            x = FloatVector.broadcast(SPECIES, a[r8 + p]); c80 = x.fma(b0, c80); c81 = x.fma(b1, c81);
            x = FloatVector.broadcast(SPECIES, a[r9 + p]); c90 = x.fma(b0, c90); c91 = x.fma(b1, c91);
            x = FloatVector.broadcast(SPECIES, a[r10 + p]); c100 = x.fma(b0, c100); c101 = x.fma(b1, c101);
            x = FloatVector.broadcast(SPECIES, a[r11 + p]); c110 = x.fma(b0, c110); c111 = x.fma(b1, c111);
        }
        // Vectors never cross a call boundary (a callee that is not inlined would box them):
        // the tile goes through a small scratch array and C is updated from there.
        c00.intoArray(tile, 0); c01.intoArray(tile, V);
        c10.intoArray(tile, 1 * NR); c11.intoArray(tile, 1 * NR + V);
        c20.intoArray(tile, 2 * NR); c21.intoArray(tile, 2 * NR + V);
        c30.intoArray(tile, 3 * NR); c31.intoArray(tile, 3 * NR + V);
        c40.intoArray(tile, 4 * NR); c41.intoArray(tile, 4 * NR + V);
        c50.intoArray(tile, 5 * NR); c51.intoArray(tile, 5 * NR + V);
        c60.intoArray(tile, 6 * NR); c61.intoArray(tile, 6 * NR + V);
        c70.intoArray(tile, 7 * NR); c71.intoArray(tile, 7 * NR + V);
        c80.intoArray(tile, 8 * NR); c81.intoArray(tile, 8 * NR + V);
        c90.intoArray(tile, 9 * NR); c91.intoArray(tile, 9 * NR + V);
        c100.intoArray(tile, 10 * NR); c101.intoArray(tile, 10 * NR + V);
        c110.intoArray(tile, 11 * NR); c111.intoArray(tile, 11 * NR + V);
        updateC(tile, c, cIdx, ldc, mr, nr, alpha, beta);
    }

    /** Up to 8 rows × NR, A read in place as row streams {@code a[a0 + r·lda + p]}; rows past mr re-read the last real row and are not stored. */
    static void rows8(int kc, float[] a, int a0, int lda, int mr, float[] bp, int bOff,
            float[] c, int cIdx, int ldc, int nr, float alpha, float beta, float[] tile) {
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
        FloatVector b0, b1, x;
        int p = 0;
        // Unrolled by 2: C2 does not unroll a loop body this large by itself.
        for (; p <= kc - 2; p += 2) {
            int bi = bOff + p * NR;
            b0 = FloatVector.fromArray(SPECIES, bp, bi);
            b1 = FloatVector.fromArray(SPECIES, bp, bi + V);
            x = FloatVector.broadcast(SPECIES, a[r0 + p]); c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(SPECIES, a[r1 + p]); c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(SPECIES, a[r2 + p]); c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(SPECIES, a[r3 + p]); c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(SPECIES, a[r4 + p]); c40 = x.fma(b0, c40); c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(SPECIES, a[r5 + p]); c50 = x.fma(b0, c50); c51 = x.fma(b1, c51);
            x = FloatVector.broadcast(SPECIES, a[r6 + p]); c60 = x.fma(b0, c60); c61 = x.fma(b1, c61);
            x = FloatVector.broadcast(SPECIES, a[r7 + p]); c70 = x.fma(b0, c70); c71 = x.fma(b1, c71);
            b0 = FloatVector.fromArray(SPECIES, bp, bi + NR);
            b1 = FloatVector.fromArray(SPECIES, bp, bi + NR + V);
            x = FloatVector.broadcast(SPECIES, a[r0 + p + 1]); c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(SPECIES, a[r1 + p + 1]); c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(SPECIES, a[r2 + p + 1]); c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(SPECIES, a[r3 + p + 1]); c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(SPECIES, a[r4 + p + 1]); c40 = x.fma(b0, c40); c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(SPECIES, a[r5 + p + 1]); c50 = x.fma(b0, c50); c51 = x.fma(b1, c51);
            x = FloatVector.broadcast(SPECIES, a[r6 + p + 1]); c60 = x.fma(b0, c60); c61 = x.fma(b1, c61);
            x = FloatVector.broadcast(SPECIES, a[r7 + p + 1]); c70 = x.fma(b0, c70); c71 = x.fma(b1, c71);
        }
        for (; p < kc; p++) {
            int bi = bOff + p * NR;
            b0 = FloatVector.fromArray(SPECIES, bp, bi);
            b1 = FloatVector.fromArray(SPECIES, bp, bi + V);
            x = FloatVector.broadcast(SPECIES, a[r0 + p]); c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(SPECIES, a[r1 + p]); c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(SPECIES, a[r2 + p]); c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(SPECIES, a[r3 + p]); c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(SPECIES, a[r4 + p]); c40 = x.fma(b0, c40); c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(SPECIES, a[r5 + p]); c50 = x.fma(b0, c50); c51 = x.fma(b1, c51);
            x = FloatVector.broadcast(SPECIES, a[r6 + p]); c60 = x.fma(b0, c60); c61 = x.fma(b1, c61);
            x = FloatVector.broadcast(SPECIES, a[r7 + p]); c70 = x.fma(b0, c70); c71 = x.fma(b1, c71);
        }
        // Vectors never cross a call boundary (a callee that is not inlined would box them):
        // the tile goes through a small scratch array and C is updated from there.
        c00.intoArray(tile, 0); c01.intoArray(tile, V);
        c10.intoArray(tile, 1 * NR); c11.intoArray(tile, 1 * NR + V);
        c20.intoArray(tile, 2 * NR); c21.intoArray(tile, 2 * NR + V);
        c30.intoArray(tile, 3 * NR); c31.intoArray(tile, 3 * NR + V);
        c40.intoArray(tile, 4 * NR); c41.intoArray(tile, 4 * NR + V);
        c50.intoArray(tile, 5 * NR); c51.intoArray(tile, 5 * NR + V);
        c60.intoArray(tile, 6 * NR); c61.intoArray(tile, 6 * NR + V);
        c70.intoArray(tile, 7 * NR); c71.intoArray(tile, 7 * NR + V);
        updateC(tile, c, cIdx, ldc, mr, nr, alpha, beta);
    }

    /** Up to 6 rows × NR, A read in place as row streams {@code a[a0 + r·lda + p]}; rows past mr re-read the last real row and are not stored. */
    static void rows6(int kc, float[] a, int a0, int lda, int mr, float[] bp, int bOff,
            float[] c, int cIdx, int ldc, int nr, float alpha, float beta, float[] tile) {
        int last = mr - 1;
        int r0 = a0;
        int r1 = a0 + Math.min(1, last) * lda;
        int r2 = a0 + Math.min(2, last) * lda;
        int r3 = a0 + Math.min(3, last) * lda;
        int r4 = a0 + Math.min(4, last) * lda;
        int r5 = a0 + Math.min(5, last) * lda;
        FloatVector z = FloatVector.zero(SPECIES);
        FloatVector c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z;
        FloatVector c40 = z, c41 = z, c50 = z, c51 = z;
        FloatVector b0, b1, x;
        int p = 0;
        // Unrolled by 2: C2 does not unroll a loop body this large by itself.
        for (; p <= kc - 2; p += 2) {
            int bi = bOff + p * NR;
            b0 = FloatVector.fromArray(SPECIES, bp, bi);
            b1 = FloatVector.fromArray(SPECIES, bp, bi + V);
            x = FloatVector.broadcast(SPECIES, a[r0 + p]); c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(SPECIES, a[r1 + p]); c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(SPECIES, a[r2 + p]); c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(SPECIES, a[r3 + p]); c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(SPECIES, a[r4 + p]); c40 = x.fma(b0, c40); c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(SPECIES, a[r5 + p]); c50 = x.fma(b0, c50); c51 = x.fma(b1, c51);
            b0 = FloatVector.fromArray(SPECIES, bp, bi + NR);
            b1 = FloatVector.fromArray(SPECIES, bp, bi + NR + V);
            x = FloatVector.broadcast(SPECIES, a[r0 + p + 1]); c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(SPECIES, a[r1 + p + 1]); c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(SPECIES, a[r2 + p + 1]); c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(SPECIES, a[r3 + p + 1]); c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(SPECIES, a[r4 + p + 1]); c40 = x.fma(b0, c40); c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(SPECIES, a[r5 + p + 1]); c50 = x.fma(b0, c50); c51 = x.fma(b1, c51);
        }
        for (; p < kc; p++) {
            int bi = bOff + p * NR;
            b0 = FloatVector.fromArray(SPECIES, bp, bi);
            b1 = FloatVector.fromArray(SPECIES, bp, bi + V);
            x = FloatVector.broadcast(SPECIES, a[r0 + p]); c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(SPECIES, a[r1 + p]); c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(SPECIES, a[r2 + p]); c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(SPECIES, a[r3 + p]); c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(SPECIES, a[r4 + p]); c40 = x.fma(b0, c40); c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(SPECIES, a[r5 + p]); c50 = x.fma(b0, c50); c51 = x.fma(b1, c51);
        }
        // Vectors never cross a call boundary (a callee that is not inlined would box them):
        // the tile goes through a small scratch array and C is updated from there.
        c00.intoArray(tile, 0); c01.intoArray(tile, V);
        c10.intoArray(tile, 1 * NR); c11.intoArray(tile, 1 * NR + V);
        c20.intoArray(tile, 2 * NR); c21.intoArray(tile, 2 * NR + V);
        c30.intoArray(tile, 3 * NR); c31.intoArray(tile, 3 * NR + V);
        c40.intoArray(tile, 4 * NR); c41.intoArray(tile, 4 * NR + V);
        c50.intoArray(tile, 5 * NR); c51.intoArray(tile, 5 * NR + V);
        updateC(tile, c, cIdx, ldc, mr, nr, alpha, beta);
    }

    /** Up to 4 rows × NR, A read in place as row streams {@code a[a0 + r·lda + p]}; rows past mr re-read the last real row and are not stored. */
    static void rows4(int kc, float[] a, int a0, int lda, int mr, float[] bp, int bOff,
            float[] c, int cIdx, int ldc, int nr, float alpha, float beta, float[] tile) {
        int last = mr - 1;
        int r0 = a0;
        int r1 = a0 + Math.min(1, last) * lda;
        int r2 = a0 + Math.min(2, last) * lda;
        int r3 = a0 + Math.min(3, last) * lda;
        FloatVector z = FloatVector.zero(SPECIES);
        FloatVector c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z;
        FloatVector b0, b1, x;
        int p = 0;
        // Unrolled by 2: C2 does not unroll a loop body this large by itself.
        for (; p <= kc - 2; p += 2) {
            int bi = bOff + p * NR;
            b0 = FloatVector.fromArray(SPECIES, bp, bi);
            b1 = FloatVector.fromArray(SPECIES, bp, bi + V);
            x = FloatVector.broadcast(SPECIES, a[r0 + p]); c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(SPECIES, a[r1 + p]); c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(SPECIES, a[r2 + p]); c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(SPECIES, a[r3 + p]); c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
            b0 = FloatVector.fromArray(SPECIES, bp, bi + NR);
            b1 = FloatVector.fromArray(SPECIES, bp, bi + NR + V);
            x = FloatVector.broadcast(SPECIES, a[r0 + p + 1]); c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(SPECIES, a[r1 + p + 1]); c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(SPECIES, a[r2 + p + 1]); c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(SPECIES, a[r3 + p + 1]); c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
        }
        for (; p < kc; p++) {
            int bi = bOff + p * NR;
            b0 = FloatVector.fromArray(SPECIES, bp, bi);
            b1 = FloatVector.fromArray(SPECIES, bp, bi + V);
            x = FloatVector.broadcast(SPECIES, a[r0 + p]); c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(SPECIES, a[r1 + p]); c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(SPECIES, a[r2 + p]); c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(SPECIES, a[r3 + p]); c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
        }
        // Vectors never cross a call boundary (a callee that is not inlined would box them):
        // the tile goes through a small scratch array and C is updated from there.
        c00.intoArray(tile, 0); c01.intoArray(tile, V);
        c10.intoArray(tile, 1 * NR); c11.intoArray(tile, 1 * NR + V);
        c20.intoArray(tile, 2 * NR); c21.intoArray(tile, 2 * NR + V);
        c30.intoArray(tile, 3 * NR); c31.intoArray(tile, 3 * NR + V);
        updateC(tile, c, cIdx, ldc, mr, nr, alpha, beta);
    }

    /** Up to 12 rows × NR, A from a packed strip {@code ap[aOff + p·MR + r]}. */
    static void packed12(int kc, float[] ap, int aOff, int mr, float[] bp, int bOff,
            float[] c, int cIdx, int ldc, int nr, float alpha, float beta, float[] tile) {
        FloatVector z = FloatVector.zero(SPECIES);
        FloatVector c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z;
        FloatVector c40 = z, c41 = z, c50 = z, c51 = z, c60 = z, c61 = z, c70 = z, c71 = z;
        FloatVector c80 = z, c81 = z, c90 = z, c91 = z, c100 = z, c101 = z, c110 = z, c111 = z;
        FloatVector b0, b1, x;
        int p = 0;
        // Unrolled by 2: C2 does not unroll a loop body this large by itself.
        for (; p <= kc - 2; p += 2) {
            int bi = bOff + p * NR;
            int ai = aOff + p * MR;
            b0 = FloatVector.fromArray(SPECIES, bp, bi);
            b1 = FloatVector.fromArray(SPECIES, bp, bi + V);
            x = FloatVector.broadcast(SPECIES, ap[ai]); c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(SPECIES, ap[ai + 1]); c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(SPECIES, ap[ai + 2]); c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(SPECIES, ap[ai + 3]); c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(SPECIES, ap[ai + 4]); c40 = x.fma(b0, c40); c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(SPECIES, ap[ai + 5]); c50 = x.fma(b0, c50); c51 = x.fma(b1, c51);
            x = FloatVector.broadcast(SPECIES, ap[ai + 6]); c60 = x.fma(b0, c60); c61 = x.fma(b1, c61);
            x = FloatVector.broadcast(SPECIES, ap[ai + 7]); c70 = x.fma(b0, c70); c71 = x.fma(b1, c71);
            x = FloatVector.broadcast(SPECIES, ap[ai + 8]); c80 = x.fma(b0, c80); c81 = x.fma(b1, c81);
            x = FloatVector.broadcast(SPECIES, ap[ai + 9]); c90 = x.fma(b0, c90); c91 = x.fma(b1, c91);
            x = FloatVector.broadcast(SPECIES, ap[ai + 10]); c100 = x.fma(b0, c100); c101 = x.fma(b1, c101);
            x = FloatVector.broadcast(SPECIES, ap[ai + 11]); c110 = x.fma(b0, c110); c111 = x.fma(b1, c111);
            ai += MR;
            b0 = FloatVector.fromArray(SPECIES, bp, bi + NR);
            b1 = FloatVector.fromArray(SPECIES, bp, bi + NR + V);
            x = FloatVector.broadcast(SPECIES, ap[ai]); c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(SPECIES, ap[ai + 1]); c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(SPECIES, ap[ai + 2]); c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(SPECIES, ap[ai + 3]); c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(SPECIES, ap[ai + 4]); c40 = x.fma(b0, c40); c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(SPECIES, ap[ai + 5]); c50 = x.fma(b0, c50); c51 = x.fma(b1, c51);
            x = FloatVector.broadcast(SPECIES, ap[ai + 6]); c60 = x.fma(b0, c60); c61 = x.fma(b1, c61);
            x = FloatVector.broadcast(SPECIES, ap[ai + 7]); c70 = x.fma(b0, c70); c71 = x.fma(b1, c71);
            x = FloatVector.broadcast(SPECIES, ap[ai + 8]); c80 = x.fma(b0, c80); c81 = x.fma(b1, c81);
            x = FloatVector.broadcast(SPECIES, ap[ai + 9]); c90 = x.fma(b0, c90); c91 = x.fma(b1, c91);
            x = FloatVector.broadcast(SPECIES, ap[ai + 10]); c100 = x.fma(b0, c100); c101 = x.fma(b1, c101);
            x = FloatVector.broadcast(SPECIES, ap[ai + 11]); c110 = x.fma(b0, c110); c111 = x.fma(b1, c111);
        }
        for (; p < kc; p++) {
            int bi = bOff + p * NR;
            int ai = aOff + p * MR;
            b0 = FloatVector.fromArray(SPECIES, bp, bi);
            b1 = FloatVector.fromArray(SPECIES, bp, bi + V);
            x = FloatVector.broadcast(SPECIES, ap[ai]); c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(SPECIES, ap[ai + 1]); c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(SPECIES, ap[ai + 2]); c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(SPECIES, ap[ai + 3]); c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(SPECIES, ap[ai + 4]); c40 = x.fma(b0, c40); c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(SPECIES, ap[ai + 5]); c50 = x.fma(b0, c50); c51 = x.fma(b1, c51);
            x = FloatVector.broadcast(SPECIES, ap[ai + 6]); c60 = x.fma(b0, c60); c61 = x.fma(b1, c61);
            x = FloatVector.broadcast(SPECIES, ap[ai + 7]); c70 = x.fma(b0, c70); c71 = x.fma(b1, c71);
            x = FloatVector.broadcast(SPECIES, ap[ai + 8]); c80 = x.fma(b0, c80); c81 = x.fma(b1, c81);
            x = FloatVector.broadcast(SPECIES, ap[ai + 9]); c90 = x.fma(b0, c90); c91 = x.fma(b1, c91);
            x = FloatVector.broadcast(SPECIES, ap[ai + 10]); c100 = x.fma(b0, c100); c101 = x.fma(b1, c101);
            x = FloatVector.broadcast(SPECIES, ap[ai + 11]); c110 = x.fma(b0, c110); c111 = x.fma(b1, c111);
        }
        // Vectors never cross a call boundary (a callee that is not inlined would box them):
        // the tile goes through a small scratch array and C is updated from there.
        c00.intoArray(tile, 0); c01.intoArray(tile, V);
        c10.intoArray(tile, 1 * NR); c11.intoArray(tile, 1 * NR + V);
        c20.intoArray(tile, 2 * NR); c21.intoArray(tile, 2 * NR + V);
        c30.intoArray(tile, 3 * NR); c31.intoArray(tile, 3 * NR + V);
        c40.intoArray(tile, 4 * NR); c41.intoArray(tile, 4 * NR + V);
        c50.intoArray(tile, 5 * NR); c51.intoArray(tile, 5 * NR + V);
        c60.intoArray(tile, 6 * NR); c61.intoArray(tile, 6 * NR + V);
        c70.intoArray(tile, 7 * NR); c71.intoArray(tile, 7 * NR + V);
        c80.intoArray(tile, 8 * NR); c81.intoArray(tile, 8 * NR + V);
        c90.intoArray(tile, 9 * NR); c91.intoArray(tile, 9 * NR + V);
        c100.intoArray(tile, 10 * NR); c101.intoArray(tile, 10 * NR + V);
        c110.intoArray(tile, 11 * NR); c111.intoArray(tile, 11 * NR + V);
        updateC(tile, c, cIdx, ldc, mr, nr, alpha, beta);
    }

    /** Up to 8 rows × NR, A from a packed strip {@code ap[aOff + p·MR + r]}. */
    static void packed8(int kc, float[] ap, int aOff, int mr, float[] bp, int bOff,
            float[] c, int cIdx, int ldc, int nr, float alpha, float beta, float[] tile) {
        FloatVector z = FloatVector.zero(SPECIES);
        FloatVector c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z;
        FloatVector c40 = z, c41 = z, c50 = z, c51 = z, c60 = z, c61 = z, c70 = z, c71 = z;
        FloatVector b0, b1, x;
        int p = 0;
        // Unrolled by 2: C2 does not unroll a loop body this large by itself.
        for (; p <= kc - 2; p += 2) {
            int bi = bOff + p * NR;
            int ai = aOff + p * MR;
            b0 = FloatVector.fromArray(SPECIES, bp, bi);
            b1 = FloatVector.fromArray(SPECIES, bp, bi + V);
            x = FloatVector.broadcast(SPECIES, ap[ai]); c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(SPECIES, ap[ai + 1]); c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(SPECIES, ap[ai + 2]); c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(SPECIES, ap[ai + 3]); c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(SPECIES, ap[ai + 4]); c40 = x.fma(b0, c40); c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(SPECIES, ap[ai + 5]); c50 = x.fma(b0, c50); c51 = x.fma(b1, c51);
            x = FloatVector.broadcast(SPECIES, ap[ai + 6]); c60 = x.fma(b0, c60); c61 = x.fma(b1, c61);
            x = FloatVector.broadcast(SPECIES, ap[ai + 7]); c70 = x.fma(b0, c70); c71 = x.fma(b1, c71);
            ai += MR;
            b0 = FloatVector.fromArray(SPECIES, bp, bi + NR);
            b1 = FloatVector.fromArray(SPECIES, bp, bi + NR + V);
            x = FloatVector.broadcast(SPECIES, ap[ai]); c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(SPECIES, ap[ai + 1]); c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(SPECIES, ap[ai + 2]); c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(SPECIES, ap[ai + 3]); c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(SPECIES, ap[ai + 4]); c40 = x.fma(b0, c40); c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(SPECIES, ap[ai + 5]); c50 = x.fma(b0, c50); c51 = x.fma(b1, c51);
            x = FloatVector.broadcast(SPECIES, ap[ai + 6]); c60 = x.fma(b0, c60); c61 = x.fma(b1, c61);
            x = FloatVector.broadcast(SPECIES, ap[ai + 7]); c70 = x.fma(b0, c70); c71 = x.fma(b1, c71);
        }
        for (; p < kc; p++) {
            int bi = bOff + p * NR;
            int ai = aOff + p * MR;
            b0 = FloatVector.fromArray(SPECIES, bp, bi);
            b1 = FloatVector.fromArray(SPECIES, bp, bi + V);
            x = FloatVector.broadcast(SPECIES, ap[ai]); c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(SPECIES, ap[ai + 1]); c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(SPECIES, ap[ai + 2]); c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(SPECIES, ap[ai + 3]); c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(SPECIES, ap[ai + 4]); c40 = x.fma(b0, c40); c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(SPECIES, ap[ai + 5]); c50 = x.fma(b0, c50); c51 = x.fma(b1, c51);
            x = FloatVector.broadcast(SPECIES, ap[ai + 6]); c60 = x.fma(b0, c60); c61 = x.fma(b1, c61);
            x = FloatVector.broadcast(SPECIES, ap[ai + 7]); c70 = x.fma(b0, c70); c71 = x.fma(b1, c71);
        }
        // Vectors never cross a call boundary (a callee that is not inlined would box them):
        // the tile goes through a small scratch array and C is updated from there.
        c00.intoArray(tile, 0); c01.intoArray(tile, V);
        c10.intoArray(tile, 1 * NR); c11.intoArray(tile, 1 * NR + V);
        c20.intoArray(tile, 2 * NR); c21.intoArray(tile, 2 * NR + V);
        c30.intoArray(tile, 3 * NR); c31.intoArray(tile, 3 * NR + V);
        c40.intoArray(tile, 4 * NR); c41.intoArray(tile, 4 * NR + V);
        c50.intoArray(tile, 5 * NR); c51.intoArray(tile, 5 * NR + V);
        c60.intoArray(tile, 6 * NR); c61.intoArray(tile, 6 * NR + V);
        c70.intoArray(tile, 7 * NR); c71.intoArray(tile, 7 * NR + V);
        updateC(tile, c, cIdx, ldc, mr, nr, alpha, beta);
    }

    /** Up to 6 rows × NR, A from a packed strip {@code ap[aOff + p·MR + r]}. */
    static void packed6(int kc, float[] ap, int aOff, int mr, float[] bp, int bOff,
            float[] c, int cIdx, int ldc, int nr, float alpha, float beta, float[] tile) {
        FloatVector z = FloatVector.zero(SPECIES);
        FloatVector c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z;
        FloatVector c40 = z, c41 = z, c50 = z, c51 = z;
        FloatVector b0, b1, x;
        int p = 0;
        // Unrolled by 2: C2 does not unroll a loop body this large by itself.
        for (; p <= kc - 2; p += 2) {
            int bi = bOff + p * NR;
            int ai = aOff + p * MR;
            b0 = FloatVector.fromArray(SPECIES, bp, bi);
            b1 = FloatVector.fromArray(SPECIES, bp, bi + V);
            x = FloatVector.broadcast(SPECIES, ap[ai]); c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(SPECIES, ap[ai + 1]); c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(SPECIES, ap[ai + 2]); c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(SPECIES, ap[ai + 3]); c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(SPECIES, ap[ai + 4]); c40 = x.fma(b0, c40); c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(SPECIES, ap[ai + 5]); c50 = x.fma(b0, c50); c51 = x.fma(b1, c51);
            ai += MR;
            b0 = FloatVector.fromArray(SPECIES, bp, bi + NR);
            b1 = FloatVector.fromArray(SPECIES, bp, bi + NR + V);
            x = FloatVector.broadcast(SPECIES, ap[ai]); c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(SPECIES, ap[ai + 1]); c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(SPECIES, ap[ai + 2]); c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(SPECIES, ap[ai + 3]); c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(SPECIES, ap[ai + 4]); c40 = x.fma(b0, c40); c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(SPECIES, ap[ai + 5]); c50 = x.fma(b0, c50); c51 = x.fma(b1, c51);
        }
        for (; p < kc; p++) {
            int bi = bOff + p * NR;
            int ai = aOff + p * MR;
            b0 = FloatVector.fromArray(SPECIES, bp, bi);
            b1 = FloatVector.fromArray(SPECIES, bp, bi + V);
            x = FloatVector.broadcast(SPECIES, ap[ai]); c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(SPECIES, ap[ai + 1]); c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(SPECIES, ap[ai + 2]); c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(SPECIES, ap[ai + 3]); c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(SPECIES, ap[ai + 4]); c40 = x.fma(b0, c40); c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(SPECIES, ap[ai + 5]); c50 = x.fma(b0, c50); c51 = x.fma(b1, c51);
        }
        // Vectors never cross a call boundary (a callee that is not inlined would box them):
        // the tile goes through a small scratch array and C is updated from there.
        c00.intoArray(tile, 0); c01.intoArray(tile, V);
        c10.intoArray(tile, 1 * NR); c11.intoArray(tile, 1 * NR + V);
        c20.intoArray(tile, 2 * NR); c21.intoArray(tile, 2 * NR + V);
        c30.intoArray(tile, 3 * NR); c31.intoArray(tile, 3 * NR + V);
        c40.intoArray(tile, 4 * NR); c41.intoArray(tile, 4 * NR + V);
        c50.intoArray(tile, 5 * NR); c51.intoArray(tile, 5 * NR + V);
        updateC(tile, c, cIdx, ldc, mr, nr, alpha, beta);
    }

    /** Up to 4 rows × NR, A from a packed strip {@code ap[aOff + p·MR + r]}. */
    static void packed4(int kc, float[] ap, int aOff, int mr, float[] bp, int bOff,
            float[] c, int cIdx, int ldc, int nr, float alpha, float beta, float[] tile) {
        FloatVector z = FloatVector.zero(SPECIES);
        FloatVector c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z;
        FloatVector b0, b1, x;
        int p = 0;
        // Unrolled by 2: C2 does not unroll a loop body this large by itself.
        for (; p <= kc - 2; p += 2) {
            int bi = bOff + p * NR;
            int ai = aOff + p * MR;
            b0 = FloatVector.fromArray(SPECIES, bp, bi);
            b1 = FloatVector.fromArray(SPECIES, bp, bi + V);
            x = FloatVector.broadcast(SPECIES, ap[ai]); c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(SPECIES, ap[ai + 1]); c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(SPECIES, ap[ai + 2]); c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(SPECIES, ap[ai + 3]); c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
            ai += MR;
            b0 = FloatVector.fromArray(SPECIES, bp, bi + NR);
            b1 = FloatVector.fromArray(SPECIES, bp, bi + NR + V);
            x = FloatVector.broadcast(SPECIES, ap[ai]); c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(SPECIES, ap[ai + 1]); c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(SPECIES, ap[ai + 2]); c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(SPECIES, ap[ai + 3]); c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
        }
        for (; p < kc; p++) {
            int bi = bOff + p * NR;
            int ai = aOff + p * MR;
            b0 = FloatVector.fromArray(SPECIES, bp, bi);
            b1 = FloatVector.fromArray(SPECIES, bp, bi + V);
            x = FloatVector.broadcast(SPECIES, ap[ai]); c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(SPECIES, ap[ai + 1]); c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(SPECIES, ap[ai + 2]); c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(SPECIES, ap[ai + 3]); c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
        }
        // Vectors never cross a call boundary (a callee that is not inlined would box them):
        // the tile goes through a small scratch array and C is updated from there.
        c00.intoArray(tile, 0); c01.intoArray(tile, V);
        c10.intoArray(tile, 1 * NR); c11.intoArray(tile, 1 * NR + V);
        c20.intoArray(tile, 2 * NR); c21.intoArray(tile, 2 * NR + V);
        c30.intoArray(tile, 3 * NR); c31.intoArray(tile, 3 * NR + V);
        updateC(tile, c, cIdx, ldc, mr, nr, alpha, beta);
    }

    /** Folds the tile into C: {@code C = alpha·tile + beta·C} over its first mr rows and nr columns; beta 0 never reads C. */
    static void updateC(float[] tile, float[] c, int cIdx, int ldc, int mr, int nr, float alpha, float beta) {
        FloatVector av = FloatVector.broadcast(SPECIES, alpha), bv = FloatVector.broadcast(SPECIES, beta);
        if (nr == NR) {
            for (int r = 0; r < mr; r++) {
                int ci = cIdx + r * ldc, ti = r * NR;
                FloatVector r0 = FloatVector.fromArray(SPECIES, tile, ti).mul(av);
                FloatVector r1 = FloatVector.fromArray(SPECIES, tile, ti + V).mul(av);
                if (beta != 0f) {
                    r0 = FloatVector.fromArray(SPECIES, c, ci).fma(bv, r0);
                    r1 = FloatVector.fromArray(SPECIES, c, ci + V).fma(bv, r1);
                }
                r0.intoArray(c, ci);
                r1.intoArray(c, ci + V);
            }
        } else {
            VectorMask<Float> m0 = SPECIES.indexInRange(0, nr), m1 = SPECIES.indexInRange(V, nr);
            for (int r = 0; r < mr; r++) {
                int ci = cIdx + r * ldc, ti = r * NR;
                FloatVector r0 = FloatVector.fromArray(SPECIES, tile, ti).mul(av);
                FloatVector r1 = FloatVector.fromArray(SPECIES, tile, ti + V).mul(av);
                if (beta != 0f) {
                    r0 = FloatVector.fromArray(SPECIES, c, ci, m0).fma(bv, r0);
                    r1 = FloatVector.fromArray(SPECIES, c, ci + V, m1).fma(bv, r1);
                }
                r0.intoArray(c, ci, m0);
                r1.intoArray(c, ci + V, m1);
            }
        }
    }
}
