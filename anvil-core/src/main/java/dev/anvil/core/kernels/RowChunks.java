package dev.anvil.core.kernels;

import dev.anvil.core.compute.ComputePool;

import java.util.Arrays;

/**
 * Splitting per-row work whose backward also sums over rows (a norm's weight gradient is
 * Σ_rows dOut ⊙ x̂). Each chunk of rows sums into its own slice of a scratch buffer, then the
 * slices are added into the gradient in chunk order.
 *
 * <p>The chunking depends only on (N, C), never on the thread count, so the float sums, and with
 * them every gradient bit, are the same on 1 thread or 64: a resumed or re-run training step is
 * bit-identical on any machine size.
 */
final class RowChunks {
    private RowChunks() {}

    /** At most this many chunks: bounds the scratch (chunks × C) and the final reduction. */
    static final int MAX_CHUNKS = 32;

    private static final ThreadLocal<float[]> SCRATCH = ThreadLocal.withInitial(() -> new float[0]);

    /** Rows per chunk for N rows of C elements, each chunk touching at least grainElements. */
    static int rowsPerChunk(int N, int C, int grainElements) {
        return Math.max(VectorMath.rowGrain(C, grainElements), (N + MAX_CHUNKS - 1) / MAX_CHUNKS);
    }

    static int chunks(int N, int rowsPerChunk) {
        return (N + rowsPerChunk - 1) / rowsPerChunk;
    }

    /**
     * A zeroed scratch buffer of at least {@code size} floats owned by the calling thread (reused
     * across calls, so steady-state training makes no garbage here).
     */
    static float[] zeroedScratch(int size) {
        float[] s = SCRATCH.get();
        if (s.length < size) {
            s = new float[size];
            SCRATCH.set(s);
        } else {
            Arrays.fill(s, 0, size, 0f);
        }
        return s;
    }

    /**
     * dst[c] += Σ_k partials[k·stride + c] for c &lt; C, k &lt; chunks, in order of k; parallel over
     * vector-wide column slices.
     */
    static void addChunkSums(float[] dst, int dstOff, float[] partials, int partialsOff, int stride, int chunks, int C) {
        int lanes = VectorMath.LANES;
        int slices = (C + lanes - 1) / lanes;
        int grainSlices = Math.max(1, (1 << 15) / Math.max(1, chunks) / lanes);
        ComputePool.shared().parallelFor(slices, grainSlices, (s0, s1) -> {
            int c0 = s0 * lanes, width = Math.min(C, s1 * lanes) - c0;
            for (int k = 0; k < chunks; k++) {
                VectorMath.addInPlace(dst, dstOff + c0, partials, partialsOff + k * stride + c0, width);
            }
        });
    }
}
