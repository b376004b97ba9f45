package dev.anvil.core.kernels;

import dev.anvil.core.compute.ComputePool;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Causal attention of query rows against keys and values held in fixed-size blocks (a paged KV
 * cache), for the rows of many sequences at once — an inference engine step that mixes prefill
 * chunks and single decode tokens.
 *
 * <p>Row r belongs to the sequence whose block table is {@code tables[table[r]]} and sits at
 * position {@code positions[r]} of it; it attends to that sequence's positions 0…positions[r]
 * (its own key must already be in the cache). Position p of a sequence is slot p mod S of block
 * ⌊p / S⌋ (S = {@code blockSize}); {@link #store} writes them, the one place that knows the
 * layout. Inside a block array the keys are [Hkv, D, S] from {@code keyOff} — element d of kv
 * head g's key of a slot at {@code keyOff + (g·D + d)·S + slot} — and the values [Hkv, S, D] from
 * {@code valueOff}. Keys transposed, so a block's scores are D broadcast-FMAs over S slots at
 * once, Σ_d q[d]·K[d, slots], with no per-key lane reduction (a dot product per key spent more
 * on adding its lanes than on multiplying: 64 elements, 4 FMAs and a reduction tree). Values
 * slot-major: each weight e_s adds a contiguous row, acc += e_s·V[s]. Head-major both, so one
 * head's block is one contiguous run the (row, head) task streams through. Query head h reads
 * kv head h / (H / Hkv) (grouped-query attention).
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
            float[] scores = new float[blockSize + LANES], acc = new float[D];
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
                    blockScores(q, qAt, blk, keyOff + g * D * blockSize, blockSize, n, D, scale, scores);
                    for (int s = 0; s < n; s++) blockMax = Math.max(blockMax, scores[s]);
                    float mNew = Math.max(m, blockMax);
                    if (m != Float.NEGATIVE_INFINITY && m != mNew) {
                        float correction = (float) Math.exp(m - mNew);
                        l *= correction;
                        VectorMath.scale(acc, 0, acc, 0, correction, D);
                    }
                    l += VectorMath.expShiftedInto(scores, 0, scores, 0, n, mNew);
                    addWeightedValues(acc, scores, blk, valueOff + g * blockSize * D, n, D);
                    m = mNew;
                }
                VectorMath.scale(out, outOff + (r * H + h) * D, acc, 0, 1 / l, D);
            }
        });
    }

    private static final VectorSpecies<Float> SPECIES = VectorMath.SPECIES;
    private static final int LANES = VectorMath.LANES;

    /**
     * scores[s] = scale·Σ_d q[qAt + d]·K[d, s] for slots s < n of one head's transposed keys at
     * {@code kAt} (K[d, s] = blk[kAt + d·S + s]). A vector of slots at a time, four accumulators
     * over d (d mod 4) added as (a0 + a1) + (a2 + a3). A vector may run past n inside the block
     * (those lanes read stale slots and are never used; {@code scores} has LANES spare); slots
     * past the block's last whole vector run the same arithmetic per slot, so a score's bits do
     * not depend on which lane computed it.
     */
    static void blockScores(float[] q, int qAt, float[] blk, int kAt, int S, int n, int D, float scale, float[] scores) {
        int s = 0;
        for (; s < n && s + LANES <= S; s += LANES) {
            FloatVector a0 = FloatVector.zero(SPECIES), a1 = a0, a2 = a0, a3 = a0;
            int at = kAt + s, d = 0;
            for (; d + 4 <= D; d += 4, at += 4 * S) {
                a0 = FloatVector.fromArray(SPECIES, blk, at).fma(FloatVector.broadcast(SPECIES, q[qAt + d]), a0);
                a1 = FloatVector.fromArray(SPECIES, blk, at + S).fma(FloatVector.broadcast(SPECIES, q[qAt + d + 1]), a1);
                a2 = FloatVector.fromArray(SPECIES, blk, at + 2 * S).fma(FloatVector.broadcast(SPECIES, q[qAt + d + 2]), a2);
                a3 = FloatVector.fromArray(SPECIES, blk, at + 3 * S).fma(FloatVector.broadcast(SPECIES, q[qAt + d + 3]), a3);
            }
            for (; d < D; d++, at += S) a0 = FloatVector.fromArray(SPECIES, blk, at).fma(FloatVector.broadcast(SPECIES, q[qAt + d]), a0);
            a0.add(a1).add(a2.add(a3)).mul(scale).intoArray(scores, s);
        }
        for (; s < n; s++) {
            float a0 = 0, a1 = 0, a2 = 0, a3 = 0;
            int at = kAt + s, d = 0;
            for (; d + 4 <= D; d += 4, at += 4 * S) {
                a0 = Math.fma(blk[at], q[qAt + d], a0);
                a1 = Math.fma(blk[at + S], q[qAt + d + 1], a1);
                a2 = Math.fma(blk[at + 2 * S], q[qAt + d + 2], a2);
                a3 = Math.fma(blk[at + 3 * S], q[qAt + d + 3], a3);
            }
            for (; d < D; d++, at += S) a0 = Math.fma(blk[at], q[qAt + d], a0);
            scores[s] = ((a0 + a1) + (a2 + a3)) * scale;
        }
    }

    /**
     * acc[j] += Σ_{s < n} e[s]·V[s, j] over one head's values of a block at {@code vAt} (V[s, j] =
     * blk[vAt + s·D + j]): a vector of acc stays in a register across the slots, so each value
     * is loaded once and acc once per block (an axpy per slot loaded and stored acc every slot).
     * Per element the same fma sequence over s as an axpy per slot.
     */
    static void addWeightedValues(float[] acc, float[] e, float[] blk, int vAt, int n, int D) {
        int j = 0;
        for (; j + LANES <= D; j += LANES) {
            FloatVector a = FloatVector.fromArray(SPECIES, acc, j);
            for (int s = 0; s < n; s++) a = FloatVector.fromArray(SPECIES, blk, vAt + s * D + j).fma(FloatVector.broadcast(SPECIES, e[s]), a);
            a.intoArray(acc, j);
        }
        for (; j < D; j++) {
            float a = acc[j];
            for (int s = 0; s < n; s++) a = Math.fma(e[s], blk[vAt + s * D + j], a);
            acc[j] = a;
        }
    }

    /**
     * Writes one position's keys and values (Hkv heads of D, head after head, from {@code k[kOff…]}
     * and {@code v[vOff…]}) into slot {@code slot} of a block, in the layout {@link #forward} reads.
     */
    public static void store(float[] block, int keyOff, int valueOff, int blockSize, int slot,
                             float[] k, int kOff, float[] v, int vOff, int Hkv, int D) {
        for (int g = 0; g < Hkv; g++) {
            int kg = keyOff + g * D * blockSize + slot;
            for (int d = 0; d < D; d++) block[kg + d * blockSize] = k[kOff + g * D + d];
            System.arraycopy(v, vOff + g * D, block, valueOff + (g * blockSize + slot) * D, D);
        }
    }
}
