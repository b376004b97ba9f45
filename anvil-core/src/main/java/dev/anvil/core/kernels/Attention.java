package dev.anvil.core.kernels;

import dev.anvil.core.compute.ComputePool;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Causal scaled-dot-product attention, multi-head and grouped-query (nKvHead divides nHead; query
 * head h reads key/value head h / (nHead / nKvHead)). Streaming ("flash") softmax: scores are
 * processed in key blocks with a running max and sum, so no T×T buffer is needed; the row
 * logsumexp is saved for backward, which recomputes scores block by block.
 *
 * <p>Layouts: q and out are [B, T, nHead, D]; k and v are [B, Tk, nKvHead, D]. The Tq queries sit
 * at the last Tq positions of the Tk keys (Tq = Tk in training; Tq &lt; Tk when decoding with a
 * KV cache), and query i attends keys 0 … (Tk − Tq + i).
 *
 * <h2>How the work is laid out</h2>
 *
 * <p>All query rows that read one K/V head — the {@code g = nHead / nKvHead} heads of a group at
 * every position, ordered (t, head-in-group) — are cut into blocks of {@code R = 2 × lanes}
 * rows. A row block is packed once, transposed to [D][R] with the softmax scale folded in, so that
 * <em>rows are vector lanes</em>. Then, per block of {@value #KEY_BLOCK} keys:
 * <ul>
 *   <li>scores Sᵀ[key][row] = Σ_d Qᵀ[d][row]·K[key][d]: a register-blocked product (8 keys × 2
 *       row vectors) that broadcasts K elements, so K is read in place, never transposed;</li>
 *   <li>the online softmax (running max m, running sum l, correction exp(m_old − m_new)) is then
 *       purely lane-wise — each lane is one row — with no horizontal reductions;</li>
 *   <li>Oᵀ[d][row] += Σ_key P[key][row]·V[key][d]: the same shape of product, broadcasting V.</li>
 * </ul>
 * The head dimension D is only ever a loop trip count there, so any D works without tails.
 * When a K/V head has fewer than one vector of query rows (KV-cache decoding: Tq = 1), that
 * layout would waste most lanes; rows are then done one at a time with vectors along D.
 *
 * <p>Backward (FlashAttention-2): with D_i = Σ_d dO_i,d·O_i,d it recomputes, per (row block, key
 * block), S and P = exp(S − lse), dP = dO·Vᵀ (same kernel as S), dS = P ⊙ (dP − D_i), then
 * dV += Pᵀ·dO and dK += scale·dSᵀ·Q (vectors along D, reading the rows in place) and
 * dQ += scale·dS·K (the lane layout again). One task owns one (batch, K/V head) pair, so the
 * grouped heads summing into a shared dK/dV row never race.
 */
public final class Attention {
    private Attention() {}

    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final int LANES = SPECIES.length();
    /** Query rows per block: two vectors of rows, the lanes of the score and output products. */
    private static final int ROWS = 2 * LANES;
    /** Keys per softmax step: 64 keys × ROWS rows of scores stay in L1. */
    static final int KEY_BLOCK = 64;

    /** Writes out and lse[B, nHead, Tq]. */
    public static void forward(float[] out, int outOff, float[] lse, int lseOff,
                               float[] q, int qOff, float[] k, int kOff, float[] v, int vOff,
                               int B, int Tq, int Tk, int nHead, int nKvHead, int D, float scale) {
        Dims dims = new Dims("attention.forward", B, Tq, Tk, nHead, nKvHead, D, scale);
        dims.checkQueryShaped("out", out, outOff);
        dims.checkLse(lse, lseOff);
        dims.checkQueryShaped("q", q, qOff);
        dims.checkKeyShaped("k", k, kOff);
        dims.checkKeyShaped("v", v, vOff);

        int group = nHead / nKvHead;
        int rowsPerKvHead = Tq * group;
        ComputePool pool = ComputePool.shared();
        if (rowsPerKvHead < LANES) {
            // Too few rows per K/V head to fill the lanes (decoding): one row per task, vectors along D.
            int rowsTotal = B * nHead * Tq;
            pool.run(rowsTotal, task -> {
                int b = task / (nHead * Tq);
                int rest = task % (nHead * Tq);
                int head = rest / Tq, t = rest % Tq;
                forwardSingleRow(out, outOff, lse, lseOff, q, qOff, k, kOff, v, vOff, dims, b, head, t);
            });
            return;
        }
        int rowBlocks = (rowsPerKvHead + ROWS - 1) / ROWS;
        int pairs = B * nKvHead;
        // Consecutive tasks share one K/V head, so its keys and values stay in cache between them;
        // within a head, later row blocks see more keys (causal) and are handed out first, so the
        // short tasks fill the gaps at the end.
        pool.run(pairs * rowBlocks, task -> {
            int pair = task / rowBlocks;
            int rowBlock = rowBlocks - 1 - task % rowBlocks;
            forwardRowBlock(out, outOff, lse, lseOff, q, qOff, k, kOff, v, vOff, dims,
                    pair / nKvHead, pair % nKvHead, rowBlock);
        });
    }

    /** dq += …, dk += …, dv += … (grouped heads sum into their shared K/V head). */
    public static void backward(float[] dq, int dqOff, float[] dk, int dkOff, float[] dv, int dvOff,
                                float[] dOut, int dOutOff, float[] out, int outOff, float[] lse, int lseOff,
                                float[] q, int qOff, float[] k, int kOff, float[] v, int vOff,
                                int B, int Tq, int Tk, int nHead, int nKvHead, int D, float scale) {
        Dims dims = new Dims("attention.backward", B, Tq, Tk, nHead, nKvHead, D, scale);
        if (dq != null) dims.checkQueryShaped("dq", dq, dqOff);
        if (dk != null) dims.checkKeyShaped("dk", dk, dkOff);
        if (dv != null) dims.checkKeyShaped("dv", dv, dvOff);
        dims.checkQueryShaped("dOut", dOut, dOutOff);
        dims.checkQueryShaped("out", out, outOff);
        dims.checkLse(lse, lseOff);
        dims.checkQueryShaped("q", q, qOff);
        dims.checkKeyShaped("k", k, kOff);
        dims.checkKeyShaped("v", v, vOff);
        if (dq == null && dk == null && dv == null) return;

        // One task per (batch, K/V head): it owns those dk/dv rows, so no two threads write them.
        ComputePool.shared().run(B * nKvHead, pair ->
                backwardPair(dq, dqOff, dk, dkOff, dv, dvOff, dOut, dOutOff, out, outOff, lse, lseOff,
                        q, qOff, k, kOff, v, vOff, dims, pair / nKvHead, pair % nKvHead));
    }

    // ---------------------------------------------------------------------------------------------
    // Shapes and argument checks

    /** The problem's dimensions and the index arithmetic every task shares. */
    private record Dims(String op, int B, int Tq, int Tk, int nHead, int nKvHead, int D, float scale) {
        Dims {
            String problem = null;
            if (B < 1 || Tq < 1 || Tk < 1 || nHead < 1 || nKvHead < 1 || D < 1) {
                problem = "every dimension must be at least 1";
            } else if (nHead % nKvHead != 0) {
                problem = "nHead must be a multiple of nKvHead";
            } else if (Tq > Tk) {
                problem = "more queries than keys (the queries are the last Tq of the Tk positions)";
            } else if (!Float.isFinite(scale)) {
                problem = "scale must be finite, got " + scale;
            }
            if (problem != null) {
                throw new IllegalArgumentException(describe(op, B, Tq, Tk, nHead, nKvHead, D) + ": " + problem);
            }
        }

        private static String describe(String op, int B, int Tq, int Tk, int nHead, int nKvHead, int D) {
            return op + "(B=" + B + ", Tq=" + Tq + ", Tk=" + Tk + ", nHead=" + nHead + ", nKvHead=" + nKvHead + ", D=" + D + ")";
        }

        String shape() {
            return describe(op, B, Tq, Tk, nHead, nKvHead, D);
        }

        int group() {
            return nHead / nKvHead;
        }

        /** Offset of element 0 of row (b, t, head) in a [B, Tq, nHead, D] array. */
        int queryRow(int off, int b, int t, int head) {
            return off + ((b * Tq + t) * nHead + head) * D;
        }

        /** Offset of key 0 of K/V head kvh in batch b of a [B, Tk, nKvHead, D] array. */
        int keyBase(int off, int b, int kvh) {
            return off + (b * Tk * nKvHead + kvh) * D;
        }

        /** Distance between consecutive keys of one head. */
        int keyStride() {
            return nKvHead * D;
        }

        int lseIndex(int off, int b, int head, int t) {
            return off + (b * nHead + head) * Tq + t;
        }

        /** Position of query t among the keys: the queries are the last Tq positions. */
        int position(int t) {
            return Tk - Tq + t;
        }

        void checkQueryShaped(String name, float[] a, int off) {
            check(name, "[B, Tq, nHead, D]", a, off, (long) B * Tq * nHead * D);
        }

        void checkKeyShaped(String name, float[] a, int off) {
            check(name, "[B, Tk, nKvHead, D]", a, off, (long) B * Tk * nKvHead * D);
        }

        void checkLse(float[] a, int off) {
            check("lse", "[B, nHead, Tq]", a, off, (long) B * nHead * Tq);
        }

        private void check(String name, String layout, float[] a, int off, long size) {
            if (a == null) throw new IllegalArgumentException(shape() + ": " + name + " is null");
            if (off < 0 || off + size > a.length) {
                throw new IllegalArgumentException(shape() + ": " + name + " " + layout + " needs " + size
                        + " elements at offset " + off + ", array has " + a.length);
            }
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Per-thread scratch: a few small buffers, sized to one row block and one key block.

    private static final class Scratch {
        int capD = -1;
        float[] qT, dOutT, accT;          // [D][ROWS]: packed queries (scaled), dOut, and Oᵀ or dQᵀ
        float[] scores, dScores;          // [KEY_BLOCK][ROWS]: S then P; dP then dS
        int[] rowOffset = new int[ROWS];  // where each row of the block starts in a [B, Tq, nHead, D] array
        float[] rowMax = new float[ROWS], rowSum = new float[ROWS], correction = new float[ROWS], blockMax = new float[ROWS];
        float[] ones = ones(), position = new float[ROWS], rowLse = new float[ROWS], rowDelta = new float[ROWS];
        float[] singleQuery, singleOut;   // [Dp], for the one-row-at-a-time path
        float[] singleScores = new float[roundUp(KEY_BLOCK, LANES)];

        void ensure(int D) {
            if (D <= capD) return;
            int dp = roundUp(D, LANES);
            qT = new float[D * ROWS];
            dOutT = new float[D * ROWS];
            accT = new float[D * ROWS];
            scores = new float[KEY_BLOCK * ROWS];
            dScores = new float[KEY_BLOCK * ROWS];
            singleQuery = new float[dp];
            singleOut = new float[dp];
            capD = D;
        }
    }

    private static float[] ones() {
        float[] x = new float[ROWS];
        Arrays.fill(x, 1f);
        return x;
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private static Scratch scratch(int D) {
        Scratch s = SCRATCH.get();
        s.ensure(D);
        return s;
    }

    private static int roundUp(int n, int m) {
        return (n + m - 1) / m * m;
    }

    // ---------------------------------------------------------------------------------------------
    // Forward

    private static void forwardRowBlock(float[] out, int outOff, float[] lse, int lseOff,
                                        float[] q, int qOff, float[] k, int kOff, float[] v, int vOff,
                                        Dims dims, int b, int kvh, int rowBlock) {
        int D = dims.D(), group = dims.group();
        int row0 = rowBlock * ROWS;
        int rows = Math.min(ROWS, dims.Tq() * group - row0);
        Scratch s = scratch(D);
        float[] qT = s.qT, accT = s.accT, pos = s.position, m = s.rowMax, l = s.rowSum;

        // Pack the block's query rows as lanes, scale folded in; padded lanes get zero queries and
        // the last real row's position, so they stay finite and are simply never written out.
        int posMin = dims.position(row0 / group);
        int posMax = dims.position((row0 + rows - 1) / group);
        float scale = dims.scale();
        for (int r = 0; r < ROWS; r++) {
            if (r < rows) {
                int gr = row0 + r, t = gr / group;
                int src = dims.queryRow(qOff, b, t, kvh * group + gr % group);
                for (int d = 0; d < D; d++) qT[d * ROWS + r] = scale * q[src + d];
                pos[r] = dims.position(t);
            } else {
                for (int d = 0; d < D; d++) qT[d * ROWS + r] = 0f;
                pos[r] = posMax;
            }
            m[r] = Float.NEGATIVE_INFINITY;
            l[r] = 0f;
        }
        Arrays.fill(accT, 0, D * ROWS, 0f);

        int kBase = dims.keyBase(kOff, b, kvh), vBase = dims.keyBase(vOff, b, kvh), stride = dims.keyStride();
        float[] sc = s.scores, corr = s.correction, blockMax = s.blockMax;
        for (int j0 = 0; j0 <= posMax; j0 += KEY_BLOCK) {
            int nk = Math.min(KEY_BLOCK, posMax + 1 - j0);
            boolean diagonal = j0 + nk - 1 > posMin;
            if (!diagonal) Arrays.fill(blockMax, Float.NEGATIVE_INFINITY);
            scoreBlock(sc, qT, k, kBase, stride, j0, nk, D, diagonal ? null : blockMax);
            onlineSoftmaxStep(sc, nk, j0, diagonal, pos, m, l, corr, blockMax);
            accumulateProbTimesKeys(accT, corr, sc, v, vBase, stride, j0, nk, D);
        }

        // out = Oᵀ / l (transposed back to rows); lse = m + log l. (Scalar Math.log and Math.exp run
        // the same stub in the interpreter and both compilers, so they are tier-consistent.)
        for (int r = 0; r < rows; r++) {
            int gr = row0 + r, t = gr / group, head = kvh * group + gr % group;
            int dst = dims.queryRow(outOff, b, t, head);
            float inv = 1f / l[r];
            for (int d = 0; d < D; d++) out[dst + d] = accT[d * ROWS + r] * inv;
            lse[dims.lseIndex(lseOff, b, head, t)] = m[r] + (float) Math.log(l[r]);
        }
    }

    /**
     * One step of the streaming softmax over a block of scores (lanes = rows): masks keys beyond
     * each row's position, updates the running max and sum, turns the scores into unnormalised
     * probabilities exp(S − m_new) in place and leaves exp(m_old − m_new) in {@code corr}, the
     * factor the output accumulated so far must be rescaled by. Off the diagonal nothing is masked
     * and the block's row maxima come precomputed in {@code rowBlockMax}.
     */
    private static void onlineSoftmaxStep(float[] sc, int nk, int j0, boolean diagonal,
                                          float[] pos, float[] m, float[] l, float[] corr, float[] rowBlockMax) {
        // C2 keeps a vector in registers only where it can prove the vector's exact class; a method
        // called on a loop-carried vector (blockMax.max(x)) or on one merged from two branches is
        // a virtual call into the API's slow Java fallback. So loop-carried vectors are only ever
        // arguments (x.max(blockMax)), and the maxima cross the branch through memory.
        if (diagonal) {
            for (int h = 0; h < ROWS; h += LANES) {
                FloatVector p = FloatVector.fromArray(SPECIES, pos, h);
                FloatVector negInf = FloatVector.broadcast(SPECIES, Float.NEGATIVE_INFINITY);
                FloatVector blockMax = negInf;
                for (int jj = 0, o = h; jj < nk; jj++, o += ROWS) {
                    VectorMask<Float> future = p.compare(VectorOperators.LT, (float) (j0 + jj));
                    FloatVector x = FloatVector.fromArray(SPECIES, sc, o).blend(negInf, future);
                    x.intoArray(sc, o);
                    blockMax = x.max(blockMax);
                }
                blockMax.intoArray(rowBlockMax, h);
            }
        }
        for (int h = 0; h < ROWS; h += LANES) {
            FloatVector blockMax = FloatVector.fromArray(SPECIES, rowBlockMax, h);
            FloatVector mOld = FloatVector.fromArray(SPECIES, m, h);
            FloatVector mNew = mOld.max(blockMax);
            FloatVector sum = FloatVector.zero(SPECIES);
            for (int jj = 0, o = h; jj < nk; jj++, o += ROWS) {
                FloatVector e = VectorMath.expOfNonPositive(FloatVector.fromArray(SPECIES, sc, o).sub(mNew));
                e.intoArray(sc, o);
                sum = e.add(sum);
            }
            FloatVector c = VectorMath.expOfNonPositive(mOld.sub(mNew));
            c.intoArray(corr, h);
            FloatVector.fromArray(SPECIES, l, h).fma(c, sum).intoArray(l, h);
            mNew.intoArray(m, h);
        }
    }

    /** Decoding path: one query row, vectors along D, scores reduced per key. */
    private static void forwardSingleRow(float[] out, int outOff, float[] lse, int lseOff,
                                         float[] q, int qOff, float[] k, int kOff, float[] v, int vOff,
                                         Dims dims, int b, int head, int t) {
        int D = dims.D(), kvh = head / dims.group();
        Scratch s = scratch(D);
        float[] qv = s.singleQuery, o = s.singleOut, sc = s.singleScores;
        int dp = roundUp(D, LANES);
        int src = dims.queryRow(qOff, b, t, head);
        float scale = dims.scale();
        for (int d = 0; d < dp; d++) {
            qv[d] = d < D ? scale * q[src + d] : 0f;
            o[d] = 0f;
        }
        int fullChunks = D / LANES;
        VectorMask<Float> tail = SPECIES.indexInRange(fullChunks * LANES, D);
        boolean hasTail = D % LANES != 0;
        int kBase = dims.keyBase(kOff, b, kvh), vBase = dims.keyBase(vOff, b, kvh), stride = dims.keyStride();
        int keys = dims.position(t) + 1;
        float m = Float.NEGATIVE_INFINITY, l = 0f;
        for (int j0 = 0; j0 < keys; j0 += KEY_BLOCK) {
            int nk = Math.min(KEY_BLOCK, keys - j0);
            float blockMax = Float.NEGATIVE_INFINITY;
            for (int jj = 0; jj < nk; jj++) {
                int kr = kBase + (j0 + jj) * stride;
                FloatVector acc = FloatVector.zero(SPECIES);
                for (int c = 0; c < fullChunks; c++) {
                    acc = FloatVector.fromArray(SPECIES, qv, c * LANES)
                            .fma(FloatVector.fromArray(SPECIES, k, kr + c * LANES), acc);
                }
                float x = VectorMath.sumLanes(acc);
                if (hasTail) {  // reduced on its own: a vector merged across a branch would not stay in registers
                    x += VectorMath.sumLanes(FloatVector.fromArray(SPECIES, qv, fullChunks * LANES)
                            .mul(FloatVector.fromArray(SPECIES, k, kr + fullChunks * LANES, tail)));
                }
                sc[jj] = x;
                blockMax = Math.max(blockMax, x);
            }
            float mNew = Math.max(m, blockMax);
            float sum = 0f;
            for (int jj = 0; jj < nk; jj += LANES) {
                FloatVector e = VectorMath.expOfNonPositive(FloatVector.fromArray(SPECIES, sc, jj).sub(mNew));
                e.intoArray(sc, jj);
            }
            for (int jj = 0; jj < nk; jj++) sum += sc[jj];
            float corr = (float) Math.exp(m - mNew);
            l = l * corr + sum;
            m = mNew;
            for (int c = 0; c < fullChunks; c++) {
                FloatVector acc = FloatVector.fromArray(SPECIES, o, c * LANES).mul(corr);
                for (int jj = 0, vr = vBase + j0 * stride + c * LANES; jj < nk; jj++, vr += stride) {
                    acc = FloatVector.fromArray(SPECIES, v, vr).fma(FloatVector.broadcast(SPECIES, sc[jj]), acc);
                }
                acc.intoArray(o, c * LANES);
            }
            if (hasTail) {
                FloatVector acc = FloatVector.fromArray(SPECIES, o, fullChunks * LANES).mul(corr);
                for (int jj = 0, vr = vBase + j0 * stride + fullChunks * LANES; jj < nk; jj++, vr += stride) {
                    acc = FloatVector.fromArray(SPECIES, v, vr, tail).fma(FloatVector.broadcast(SPECIES, sc[jj]), acc);
                }
                acc.intoArray(o, fullChunks * LANES);
            }
        }
        int dst = dims.queryRow(outOff, b, t, head);
        float inv = 1f / l;
        for (int d = 0; d < D; d++) out[dst + d] = o[d] * inv;
        lse[dims.lseIndex(lseOff, b, head, t)] = m + (float) Math.log(l);
    }

    // ---------------------------------------------------------------------------------------------
    // Backward

    private static void backwardPair(float[] dq, int dqOff, float[] dk, int dkOff, float[] dv, int dvOff,
                                     float[] dOut, int dOutOff, float[] out, int outOff, float[] lse, int lseOff,
                                     float[] q, int qOff, float[] k, int kOff, float[] v, int vOff,
                                     Dims dims, int b, int kvh) {
        int D = dims.D(), group = dims.group();
        int rowsPerKvHead = dims.Tq() * group;
        float scale = dims.scale();
        Scratch s = scratch(D);
        float[] qT = s.qT, dOutT = s.dOutT, dqT = s.accT;
        int[] rowOffset = s.rowOffset;
        float[] pos = s.position, rowLse = s.rowLse, delta = s.rowDelta;
        float[] sc = s.scores, dsc = s.dScores;
        int kBase = dims.keyBase(kOff, b, kvh), vBase = dims.keyBase(vOff, b, kvh), stride = dims.keyStride();
        int dkBase = dk == null ? 0 : dims.keyBase(dkOff, b, kvh);
        int dvBase = dv == null ? 0 : dims.keyBase(dvOff, b, kvh);

        for (int row0 = 0; row0 < rowsPerKvHead; row0 += ROWS) {
            int rows = Math.min(ROWS, rowsPerKvHead - row0);
            int posMin = dims.position(row0 / group);
            int posMax = dims.position((row0 + rows - 1) / group);
            // Pack Qᵀ·scale and dOutᵀ as lanes (for the score products); note where each row
            // starts (dK and dV read Q and dOut rows in place), its lse and D_i = Σ dOut ⊙ out.
            for (int r = 0; r < ROWS; r++) {
                if (r < rows) {
                    int gr = row0 + r, t = gr / group, head = kvh * group + gr % group;
                    int rel = dims.queryRow(0, b, t, head);
                    rowOffset[r] = rel;
                    int qr = qOff + rel, gr2 = dOutOff + rel, orow = outOff + rel;
                    float dsum = 0f;
                    for (int d = 0; d < D; d++) {
                        float g = dOut[gr2 + d];
                        qT[d * ROWS + r] = scale * q[qr + d];
                        dOutT[d * ROWS + r] = g;
                        dsum += g * out[orow + d];
                    }
                    pos[r] = dims.position(t);
                    rowLse[r] = lse[dims.lseIndex(lseOff, b, head, t)];
                    delta[r] = dsum;
                } else {
                    for (int d = 0; d < D; d++) {
                        qT[d * ROWS + r] = 0f;
                        dOutT[d * ROWS + r] = 0f;
                    }
                    pos[r] = posMax;
                    rowLse[r] = 0f;
                    delta[r] = 0f;
                }
            }
            if (dq != null) Arrays.fill(dqT, 0, D * ROWS, 0f);

            for (int j0 = 0; j0 <= posMax; j0 += KEY_BLOCK) {
                int nk = Math.min(KEY_BLOCK, posMax + 1 - j0);
                scoreBlock(sc, qT, k, kBase, stride, j0, nk, D, null);      // S = scale·Q·Kᵀ
                scoreBlock(dsc, dOutT, v, vBase, stride, j0, nk, D, null);  // dP = dO·Vᵀ
                probabilitiesAndScoreGradients(sc, dsc, nk, j0, j0 + nk - 1 > posMin, pos, rowLse, delta);
                if (dv != null) {  // dV += Pᵀ·dO
                    accumulateKeysFromRows(dv, dvBase, stride, j0, nk, D, 1f, sc, dOut, dOutOff, rowOffset, rows);
                }
                if (dk != null) {  // dK += scale·dSᵀ·Q
                    accumulateKeysFromRows(dk, dkBase, stride, j0, nk, D, scale, dsc, q, qOff, rowOffset, rows);
                }
                if (dq != null) {  // dQᵀ += dSᵀ·K  (scale applied on write-back)
                    accumulateProbTimesKeys(dqT, s.ones, dsc, k, kBase, stride, j0, nk, D);
                }
            }

            if (dq != null) {
                for (int r = 0; r < rows; r++) {
                    int gr = row0 + r;
                    int dst = dims.queryRow(dqOff, b, gr / group, kvh * group + gr % group);
                    for (int d = 0; d < D; d++) dq[dst + d] += scale * dqT[d * ROWS + r];
                }
            }
        }
    }

    /**
     * In place over a key block (lanes = rows): sc: S → P = exp(S − lse), zero beyond each row's
     * position; dsc: dP → dS = P ⊙ (dP − D_i). Rows of the block past nk, up to a multiple of 4,
     * are zeroed for the 4-key product that follows.
     */
    private static void probabilitiesAndScoreGradients(float[] sc, float[] dsc, int nk, int j0, boolean diagonal,
                                                       float[] pos, float[] rowLse, float[] delta) {
        // Two loops rather than a conditional blend: see onlineSoftmaxStep on branch merges.
        for (int h = 0; h < ROWS; h += LANES) {
            FloatVector lseV = FloatVector.fromArray(SPECIES, rowLse, h);
            FloatVector deltaV = FloatVector.fromArray(SPECIES, delta, h);
            if (diagonal) {
                FloatVector p = FloatVector.fromArray(SPECIES, pos, h);
                FloatVector zero = FloatVector.zero(SPECIES);
                for (int jj = 0, o = h; jj < nk; jj++, o += ROWS) {
                    FloatVector prob = VectorMath.expOfNonPositive(FloatVector.fromArray(SPECIES, sc, o).sub(lseV))
                            .blend(zero, p.compare(VectorOperators.LT, (float) (j0 + jj)));
                    prob.intoArray(sc, o);
                    prob.mul(FloatVector.fromArray(SPECIES, dsc, o).sub(deltaV)).intoArray(dsc, o);
                }
            } else {
                for (int jj = 0, o = h; jj < nk; jj++, o += ROWS) {
                    FloatVector prob = VectorMath.expOfNonPositive(FloatVector.fromArray(SPECIES, sc, o).sub(lseV));
                    prob.intoArray(sc, o);
                    prob.mul(FloatVector.fromArray(SPECIES, dsc, o).sub(deltaV)).intoArray(dsc, o);
                }
            }
        }
        int nk4 = roundUp(nk, 4);
        Arrays.fill(sc, nk * ROWS, nk4 * ROWS, 0f);
        Arrays.fill(dsc, nk * ROWS, nk4 * ROWS, 0f);
    }

    // ---------------------------------------------------------------------------------------------
    // The three products. Lane layout: [key][ROWS] blocks and [D][ROWS] packed rows.

    /**
     * sc[key − j0][row] = Σ_d xT[d][row] · y[key][d] for keys j0 … j0+nk−1, where y's key rows start
     * at yBase with the given stride. Register block: 8 keys × 2 row vectors = 16 accumulators,
     * per d two row loads and eight broadcasts of y. If blockMax is given, it is raised to the
     * row-wise maximum of the scores, saving the softmax a pass over them.
     */
    private static void scoreBlock(float[] sc, float[] xT, float[] y, int yBase, int stride, int j0, int nk, int D,
                                   float[] blockMax) {
        int jj = 0;
        for (; jj + 8 <= nk; jj += 8) {
            int y0 = yBase + (j0 + jj) * stride, y1 = y0 + stride, y2 = y1 + stride, y3 = y2 + stride;
            int y4 = y3 + stride, y5 = y4 + stride, y6 = y5 + stride, y7 = y6 + stride;
            FloatVector a0 = FloatVector.zero(SPECIES), b0 = a0, a1 = a0, b1 = a0, a2 = a0, b2 = a0, a3 = a0, b3 = a0;
            FloatVector a4 = a0, b4 = a0, a5 = a0, b5 = a0, a6 = a0, b6 = a0, a7 = a0, b7 = a0;
            for (int d = 0, xo = 0; d < D; d++, xo += ROWS) {
                FloatVector lo = FloatVector.fromArray(SPECIES, xT, xo);
                FloatVector hi = FloatVector.fromArray(SPECIES, xT, xo + LANES);
                FloatVector w = FloatVector.broadcast(SPECIES, y[y0 + d]);
                a0 = lo.fma(w, a0); b0 = hi.fma(w, b0);
                w = FloatVector.broadcast(SPECIES, y[y1 + d]);
                a1 = lo.fma(w, a1); b1 = hi.fma(w, b1);
                w = FloatVector.broadcast(SPECIES, y[y2 + d]);
                a2 = lo.fma(w, a2); b2 = hi.fma(w, b2);
                w = FloatVector.broadcast(SPECIES, y[y3 + d]);
                a3 = lo.fma(w, a3); b3 = hi.fma(w, b3);
                w = FloatVector.broadcast(SPECIES, y[y4 + d]);
                a4 = lo.fma(w, a4); b4 = hi.fma(w, b4);
                w = FloatVector.broadcast(SPECIES, y[y5 + d]);
                a5 = lo.fma(w, a5); b5 = hi.fma(w, b5);
                w = FloatVector.broadcast(SPECIES, y[y6 + d]);
                a6 = lo.fma(w, a6); b6 = hi.fma(w, b6);
                w = FloatVector.broadcast(SPECIES, y[y7 + d]);
                a7 = lo.fma(w, a7); b7 = hi.fma(w, b7);
            }
            int o = jj * ROWS;
            a0.intoArray(sc, o); b0.intoArray(sc, o + LANES); o += ROWS;
            a1.intoArray(sc, o); b1.intoArray(sc, o + LANES); o += ROWS;
            a2.intoArray(sc, o); b2.intoArray(sc, o + LANES); o += ROWS;
            a3.intoArray(sc, o); b3.intoArray(sc, o + LANES); o += ROWS;
            a4.intoArray(sc, o); b4.intoArray(sc, o + LANES); o += ROWS;
            a5.intoArray(sc, o); b5.intoArray(sc, o + LANES); o += ROWS;
            a6.intoArray(sc, o); b6.intoArray(sc, o + LANES); o += ROWS;
            a7.intoArray(sc, o); b7.intoArray(sc, o + LANES);
            if (blockMax != null) {
                FloatVector lo = a0.max(a1).max(a2.max(a3)).max(a4.max(a5).max(a6.max(a7)));
                FloatVector hi = b0.max(b1).max(b2.max(b3)).max(b4.max(b5).max(b6.max(b7)));
                FloatVector.fromArray(SPECIES, blockMax, 0).max(lo).intoArray(blockMax, 0);
                FloatVector.fromArray(SPECIES, blockMax, LANES).max(hi).intoArray(blockMax, LANES);
            }
        }
        for (; jj < nk; jj++) {
            int y0 = yBase + (j0 + jj) * stride;
            FloatVector a0 = FloatVector.zero(SPECIES), b0 = a0;
            for (int d = 0, xo = 0; d < D; d++, xo += ROWS) {
                FloatVector w = FloatVector.broadcast(SPECIES, y[y0 + d]);
                a0 = FloatVector.fromArray(SPECIES, xT, xo).fma(w, a0);
                b0 = FloatVector.fromArray(SPECIES, xT, xo + LANES).fma(w, b0);
            }
            a0.intoArray(sc, jj * ROWS);
            b0.intoArray(sc, jj * ROWS + LANES);
            if (blockMax != null) {
                FloatVector.fromArray(SPECIES, blockMax, 0).max(a0).intoArray(blockMax, 0);
                FloatVector.fromArray(SPECIES, blockMax, LANES).max(b0).intoArray(blockMax, LANES);
            }
        }
    }

    /**
     * accT[d][row] = corr[row]·accT[d][row] + Σ_key p[key − j0][row] · y[key][d]. Register block: 8 values of d × 2 row vectors, per key two loads of p and eight
     * broadcasts of y; any D, the last D mod 8 one at a time.
     */
    private static void accumulateProbTimesKeys(float[] accT, float[] corr, float[] p, float[] y, int yBase,
                                                int stride, int j0, int nk, int D) {
        FloatVector cLo = FloatVector.fromArray(SPECIES, corr, 0);
        FloatVector cHi = FloatVector.fromArray(SPECIES, corr, LANES);
        int d = 0;
        for (; d + 8 <= D; d += 8) {
            int o = d * ROWS;
            FloatVector a0 = FloatVector.fromArray(SPECIES, accT, o), b0 = FloatVector.fromArray(SPECIES, accT, o + LANES);
            FloatVector a1 = FloatVector.fromArray(SPECIES, accT, o + ROWS), b1 = FloatVector.fromArray(SPECIES, accT, o + ROWS + LANES);
            FloatVector a2 = FloatVector.fromArray(SPECIES, accT, o + 2 * ROWS), b2 = FloatVector.fromArray(SPECIES, accT, o + 2 * ROWS + LANES);
            FloatVector a3 = FloatVector.fromArray(SPECIES, accT, o + 3 * ROWS), b3 = FloatVector.fromArray(SPECIES, accT, o + 3 * ROWS + LANES);
            FloatVector a4 = FloatVector.fromArray(SPECIES, accT, o + 4 * ROWS), b4 = FloatVector.fromArray(SPECIES, accT, o + 4 * ROWS + LANES);
            FloatVector a5 = FloatVector.fromArray(SPECIES, accT, o + 5 * ROWS), b5 = FloatVector.fromArray(SPECIES, accT, o + 5 * ROWS + LANES);
            FloatVector a6 = FloatVector.fromArray(SPECIES, accT, o + 6 * ROWS), b6 = FloatVector.fromArray(SPECIES, accT, o + 6 * ROWS + LANES);
            FloatVector a7 = FloatVector.fromArray(SPECIES, accT, o + 7 * ROWS), b7 = FloatVector.fromArray(SPECIES, accT, o + 7 * ROWS + LANES);
            a0 = a0.mul(cLo); b0 = b0.mul(cHi); a1 = a1.mul(cLo); b1 = b1.mul(cHi);
            a2 = a2.mul(cLo); b2 = b2.mul(cHi); a3 = a3.mul(cLo); b3 = b3.mul(cHi);
            a4 = a4.mul(cLo); b4 = b4.mul(cHi); a5 = a5.mul(cLo); b5 = b5.mul(cHi);
            a6 = a6.mul(cLo); b6 = b6.mul(cHi); a7 = a7.mul(cLo); b7 = b7.mul(cHi);
            for (int jj = 0, po = 0; jj < nk; jj++, po += ROWS) {
                FloatVector lo = FloatVector.fromArray(SPECIES, p, po);
                FloatVector hi = FloatVector.fromArray(SPECIES, p, po + LANES);
                int yo = yBase + (j0 + jj) * stride + d;
                FloatVector w = FloatVector.broadcast(SPECIES, y[yo]);
                a0 = lo.fma(w, a0); b0 = hi.fma(w, b0);
                w = FloatVector.broadcast(SPECIES, y[yo + 1]);
                a1 = lo.fma(w, a1); b1 = hi.fma(w, b1);
                w = FloatVector.broadcast(SPECIES, y[yo + 2]);
                a2 = lo.fma(w, a2); b2 = hi.fma(w, b2);
                w = FloatVector.broadcast(SPECIES, y[yo + 3]);
                a3 = lo.fma(w, a3); b3 = hi.fma(w, b3);
                w = FloatVector.broadcast(SPECIES, y[yo + 4]);
                a4 = lo.fma(w, a4); b4 = hi.fma(w, b4);
                w = FloatVector.broadcast(SPECIES, y[yo + 5]);
                a5 = lo.fma(w, a5); b5 = hi.fma(w, b5);
                w = FloatVector.broadcast(SPECIES, y[yo + 6]);
                a6 = lo.fma(w, a6); b6 = hi.fma(w, b6);
                w = FloatVector.broadcast(SPECIES, y[yo + 7]);
                a7 = lo.fma(w, a7); b7 = hi.fma(w, b7);
            }
            a0.intoArray(accT, o); b0.intoArray(accT, o + LANES);
            a1.intoArray(accT, o + ROWS); b1.intoArray(accT, o + ROWS + LANES);
            a2.intoArray(accT, o + 2 * ROWS); b2.intoArray(accT, o + 2 * ROWS + LANES);
            a3.intoArray(accT, o + 3 * ROWS); b3.intoArray(accT, o + 3 * ROWS + LANES);
            a4.intoArray(accT, o + 4 * ROWS); b4.intoArray(accT, o + 4 * ROWS + LANES);
            a5.intoArray(accT, o + 5 * ROWS); b5.intoArray(accT, o + 5 * ROWS + LANES);
            a6.intoArray(accT, o + 6 * ROWS); b6.intoArray(accT, o + 6 * ROWS + LANES);
            a7.intoArray(accT, o + 7 * ROWS); b7.intoArray(accT, o + 7 * ROWS + LANES);
        }
        for (; d < D; d++) {
            int o = d * ROWS;
            FloatVector a0 = FloatVector.fromArray(SPECIES, accT, o).mul(cLo);
            FloatVector b0 = FloatVector.fromArray(SPECIES, accT, o + LANES).mul(cHi);
            for (int jj = 0, po = 0; jj < nk; jj++, po += ROWS) {
                FloatVector w = FloatVector.broadcast(SPECIES, y[yBase + (j0 + jj) * stride + d]);
                a0 = FloatVector.fromArray(SPECIES, p, po).fma(w, a0);
                b0 = FloatVector.fromArray(SPECIES, p, po + LANES).fma(w, b0);
            }
            a0.intoArray(accT, o);
            b0.intoArray(accT, o + LANES);
        }
    }

    /**
     * dst[key][0, D) += factor · Σ_row p[key − j0][row] · x[xOff + rowOffset[row] + (0, D)] for keys
     * j0 … j0+nk−1 (dst rows at dstBase + key·stride). This contracts over the rows, which are lanes
     * in p, so it runs with vectors along D: 4 keys × 4 chunks of D = 16 accumulators, per row four
     * loads of x and four broadcasts of p, then one read-modify-write of the four dst rows. A last
     * partial chunk of D uses masked loads and stores. p must hold zeros for keys nk … nk rounded
     * up to 4. (Split into small methods: C1 gives up on one method holding all three shapes.)
     */
    private static void accumulateKeysFromRows(float[] dst, int dstBase, int stride, int j0, int nk, int D, float factor,
                                               float[] p, float[] x, int xOff, int[] rowOffset, int rows) {
        int full = D / LANES;
        for (int jj = 0; jj < nk; jj += 4) {
            int valid = Math.min(4, nk - jj);
            int o = dstBase + (j0 + jj) * stride;
            int c = 0;
            for (; c + 4 <= full; c += 4) {
                fourKeysFourChunks(dst, o + c * LANES, stride, valid, factor, p, jj * ROWS, x, xOff + c * LANES, rowOffset, rows);
            }
            for (; c < full; c++) {
                fourKeysOneChunk(dst, o + c * LANES, stride, valid, factor, p, jj * ROWS, x, xOff + c * LANES, rowOffset, rows);
            }
            if (full * LANES < D) {
                fourKeysPartialChunk(dst, o + full * LANES, stride, valid, factor, p, jj * ROWS, x, xOff + full * LANES,
                        rowOffset, rows, SPECIES.indexInRange(full * LANES, D));
            }
        }
    }

    private static void fourKeysFourChunks(float[] dst, int o0, int stride, int valid, float factor,
                                           float[] p, int p0, float[] x, int xOff, int[] rowOffset, int rows) {
        int p1 = p0 + ROWS, p2 = p1 + ROWS, p3 = p2 + ROWS;
        FloatVector a00 = FloatVector.zero(SPECIES), a01 = a00, a02 = a00, a03 = a00;
        FloatVector a10 = a00, a11 = a00, a12 = a00, a13 = a00;
        FloatVector a20 = a00, a21 = a00, a22 = a00, a23 = a00;
        FloatVector a30 = a00, a31 = a00, a32 = a00, a33 = a00;
        for (int r = 0; r < rows; r++) {
            int xo = xOff + rowOffset[r];
            FloatVector x0 = FloatVector.fromArray(SPECIES, x, xo);
            FloatVector x1 = FloatVector.fromArray(SPECIES, x, xo + LANES);
            FloatVector x2 = FloatVector.fromArray(SPECIES, x, xo + 2 * LANES);
            FloatVector x3 = FloatVector.fromArray(SPECIES, x, xo + 3 * LANES);
            FloatVector w = FloatVector.broadcast(SPECIES, p[p0 + r]);
            a00 = x0.fma(w, a00); a01 = x1.fma(w, a01); a02 = x2.fma(w, a02); a03 = x3.fma(w, a03);
            w = FloatVector.broadcast(SPECIES, p[p1 + r]);
            a10 = x0.fma(w, a10); a11 = x1.fma(w, a11); a12 = x2.fma(w, a12); a13 = x3.fma(w, a13);
            w = FloatVector.broadcast(SPECIES, p[p2 + r]);
            a20 = x0.fma(w, a20); a21 = x1.fma(w, a21); a22 = x2.fma(w, a22); a23 = x3.fma(w, a23);
            w = FloatVector.broadcast(SPECIES, p[p3 + r]);
            a30 = x0.fma(w, a30); a31 = x1.fma(w, a31); a32 = x2.fma(w, a32); a33 = x3.fma(w, a33);
        }
        FloatVector f = FloatVector.broadcast(SPECIES, factor);
        int o = o0;
        f.fma(a00, FloatVector.fromArray(SPECIES, dst, o)).intoArray(dst, o);
        f.fma(a01, FloatVector.fromArray(SPECIES, dst, o + LANES)).intoArray(dst, o + LANES);
        f.fma(a02, FloatVector.fromArray(SPECIES, dst, o + 2 * LANES)).intoArray(dst, o + 2 * LANES);
        f.fma(a03, FloatVector.fromArray(SPECIES, dst, o + 3 * LANES)).intoArray(dst, o + 3 * LANES);
        if (valid < 2) return;
        o += stride;
        f.fma(a10, FloatVector.fromArray(SPECIES, dst, o)).intoArray(dst, o);
        f.fma(a11, FloatVector.fromArray(SPECIES, dst, o + LANES)).intoArray(dst, o + LANES);
        f.fma(a12, FloatVector.fromArray(SPECIES, dst, o + 2 * LANES)).intoArray(dst, o + 2 * LANES);
        f.fma(a13, FloatVector.fromArray(SPECIES, dst, o + 3 * LANES)).intoArray(dst, o + 3 * LANES);
        if (valid < 3) return;
        o += stride;
        f.fma(a20, FloatVector.fromArray(SPECIES, dst, o)).intoArray(dst, o);
        f.fma(a21, FloatVector.fromArray(SPECIES, dst, o + LANES)).intoArray(dst, o + LANES);
        f.fma(a22, FloatVector.fromArray(SPECIES, dst, o + 2 * LANES)).intoArray(dst, o + 2 * LANES);
        f.fma(a23, FloatVector.fromArray(SPECIES, dst, o + 3 * LANES)).intoArray(dst, o + 3 * LANES);
        if (valid < 4) return;
        o += stride;
        f.fma(a30, FloatVector.fromArray(SPECIES, dst, o)).intoArray(dst, o);
        f.fma(a31, FloatVector.fromArray(SPECIES, dst, o + LANES)).intoArray(dst, o + LANES);
        f.fma(a32, FloatVector.fromArray(SPECIES, dst, o + 2 * LANES)).intoArray(dst, o + 2 * LANES);
        f.fma(a33, FloatVector.fromArray(SPECIES, dst, o + 3 * LANES)).intoArray(dst, o + 3 * LANES);
    }

    private static void fourKeysOneChunk(float[] dst, int o0, int stride, int valid, float factor,
                                         float[] p, int p0, float[] x, int xOff, int[] rowOffset, int rows) {
        int p1 = p0 + ROWS, p2 = p1 + ROWS, p3 = p2 + ROWS;
        FloatVector a0 = FloatVector.zero(SPECIES), a1 = a0, a2 = a0, a3 = a0;
        for (int r = 0; r < rows; r++) {
            FloatVector x0 = FloatVector.fromArray(SPECIES, x, xOff + rowOffset[r]);
            a0 = x0.fma(FloatVector.broadcast(SPECIES, p[p0 + r]), a0);
            a1 = x0.fma(FloatVector.broadcast(SPECIES, p[p1 + r]), a1);
            a2 = x0.fma(FloatVector.broadcast(SPECIES, p[p2 + r]), a2);
            a3 = x0.fma(FloatVector.broadcast(SPECIES, p[p3 + r]), a3);
        }
        FloatVector f = FloatVector.broadcast(SPECIES, factor);
        f.fma(a0, FloatVector.fromArray(SPECIES, dst, o0)).intoArray(dst, o0);
        if (valid > 1) f.fma(a1, FloatVector.fromArray(SPECIES, dst, o0 + stride)).intoArray(dst, o0 + stride);
        if (valid > 2) f.fma(a2, FloatVector.fromArray(SPECIES, dst, o0 + 2 * stride)).intoArray(dst, o0 + 2 * stride);
        if (valid > 3) f.fma(a3, FloatVector.fromArray(SPECIES, dst, o0 + 3 * stride)).intoArray(dst, o0 + 3 * stride);
    }

    private static void fourKeysPartialChunk(float[] dst, int o0, int stride, int valid, float factor,
                                             float[] p, int p0, float[] x, int xOff, int[] rowOffset, int rows,
                                             VectorMask<Float> m) {
        int p1 = p0 + ROWS, p2 = p1 + ROWS, p3 = p2 + ROWS;
        FloatVector a0 = FloatVector.zero(SPECIES), a1 = a0, a2 = a0, a3 = a0;
        for (int r = 0; r < rows; r++) {
            FloatVector x0 = FloatVector.fromArray(SPECIES, x, xOff + rowOffset[r], m);
            a0 = x0.fma(FloatVector.broadcast(SPECIES, p[p0 + r]), a0);
            a1 = x0.fma(FloatVector.broadcast(SPECIES, p[p1 + r]), a1);
            a2 = x0.fma(FloatVector.broadcast(SPECIES, p[p2 + r]), a2);
            a3 = x0.fma(FloatVector.broadcast(SPECIES, p[p3 + r]), a3);
        }
        FloatVector f = FloatVector.broadcast(SPECIES, factor);
        f.fma(a0, FloatVector.fromArray(SPECIES, dst, o0, m)).intoArray(dst, o0, m);
        if (valid > 1) f.fma(a1, FloatVector.fromArray(SPECIES, dst, o0 + stride, m)).intoArray(dst, o0 + stride, m);
        if (valid > 2) f.fma(a2, FloatVector.fromArray(SPECIES, dst, o0 + 2 * stride, m)).intoArray(dst, o0 + 2 * stride, m);
        if (valid > 3) f.fma(a3, FloatVector.fromArray(SPECIES, dst, o0 + 3 * stride, m)).intoArray(dst, o0 + 3 * stride, m);
    }

}
