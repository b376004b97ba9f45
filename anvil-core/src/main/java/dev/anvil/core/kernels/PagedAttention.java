package dev.anvil.core.kernels;

import dev.anvil.core.compute.ComputePool;

/**
 * Causal attention of query rows against keys and values held in fixed-size blocks (a paged KV
 * cache), for the rows of many sequences at once — an inference engine step that mixes prefill
 * chunks and single decode tokens.
 *
 * <p>Row r belongs to the sequence whose block table is {@code tables[table[r]]} and sits at
 * position {@code positions[r]} of it; it attends to that sequence's positions 0…positions[r]
 * (its own key must already be in the cache). Position p of a sequence is slot p mod S of block
 * ⌊p / S⌋ (S = {@code blockSize}); inside a block array, the keys are [Hkv, S, D] from
 * {@code keyOff} — kv head g's key of a slot at {@code keyOff + (g·S + slot)·D} — and the values
 * likewise from {@code valueOff}. Head-major, so one head's keys of a block are one contiguous
 * run that the (row, head) task streams through (slot-major, with the heads interleaved, every
 * key was a 3 KB stride away from the previous and attention ran at a third of the matrix
 * products' bytes per second). Query head h reads kv head h / (H / Hkv) (grouped-query attention).
 *
 * <p>The softmax streams over blocks (running max m and sum l, as in FlashAttention): a block's
 * scores s are computed, m' = max(m, max s), the accumulator and l are rescaled by e^(m − m'),
 * then the block adds Σ e^(s − m')·v. Nothing of size positions × positions exists, and each
 * (row, head) is independent, so the work splits over the pool by (row, head).
 */
public final class PagedAttention {
    private PagedAttention() {}

    /** (row, head) pairs per parallel task. */
    private static final int GRAIN = 2;

    public static void forward(float[] out, int outOff, float[] q, int qOff, int rows, int[] positions, int[] table,
                               float[][][] tables, int blockSize, int keyOff, int valueOff, int H, int Hkv, int D, float scale) {
        if (rows < 0 || H <= 0 || Hkv <= 0 || D <= 0 || H % Hkv != 0 || blockSize <= 0) {
            throw new IllegalArgumentException("PagedAttention: rows " + rows + ", H " + H + ", Hkv " + Hkv + ", D " + D + ", block " + blockSize);
        }
        if (positions.length < rows || table.length < rows) throw new IllegalArgumentException("PagedAttention: " + rows + " rows but positions/table hold fewer");
        String problem = KernelChecks.first(KernelChecks.range("out", out, outOff, (long) rows * H * D), KernelChecks.range("q", q, qOff, (long) rows * H * D));
        if (problem != null) throw new IllegalArgumentException("PagedAttention: " + problem);
        for (int r = 0; r < rows; r++) {
            float[][] blocks = tables[table[r]];
            if ((long) positions[r] >= (long) blocks.length * blockSize) {
                throw new IllegalArgumentException("PagedAttention: row " + r + " at position " + positions[r] + " but its sequence has "
                        + blocks.length + " blocks of " + blockSize);
            }
        }
        int group = H / Hkv;
        ComputePool.shared().parallelFor(rows * H, GRAIN, (i0, i1) -> {
            float[] scores = new float[blockSize], acc = new float[D];
            for (int i = i0; i < i1; i++) {
                int r = i / H, h = i % H, g = h / group, last = positions[r];
                float[][] blocks = tables[table[r]];
                int qAt = qOff + (r * H + h) * D;
                float m = Float.NEGATIVE_INFINITY, l = 0;
                java.util.Arrays.fill(acc, 0f);
                for (int b = 0, first = 0; first <= last; b++, first += blockSize) {
                    float[] blk = blocks[b];
                    int n = Math.min(blockSize, last + 1 - first);
                    float blockMax = Float.NEGATIVE_INFINITY;
                    for (int s = 0; s < n; s++) {
                        float sc = VectorMath.dot(q, qAt, blk, keyOff + (g * blockSize + s) * D, D) * scale;
                        scores[s] = sc;
                        blockMax = Math.max(blockMax, sc);
                    }
                    float mNew = Math.max(m, blockMax);
                    if (m != Float.NEGATIVE_INFINITY && m != mNew) {
                        float correction = (float) Math.exp(m - mNew);
                        l *= correction;
                        VectorMath.scale(acc, 0, acc, 0, correction, D);
                    }
                    for (int s = 0; s < n; s++) {
                        float e = (float) Math.exp(scores[s] - mNew);
                        l += e;
                        VectorMath.axpy(acc, 0, e, blk, valueOff + (g * blockSize + s) * D, D);
                    }
                    m = mNew;
                }
                VectorMath.scale(out, outOff + (r * H + h) * D, acc, 0, 1 / l, D);
            }
        });
    }
}
