package dev.anvil.core.kernels;

import dev.anvil.core.compute.ComputePool;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import static dev.anvil.core.kernels.KernelChecks.first;
import static dev.anvil.core.kernels.KernelChecks.optionalRange;
import static dev.anvil.core.kernels.KernelChecks.range;
import static dev.anvil.core.kernels.KernelChecks.sizes;

/** LayerNorm over the last axis: {@code y = (x − mean)·rstd·weight + bias}, rstd = 1/sqrt(var + eps). */
public final class LayerNorm {
    private LayerNorm() {}

    private static final VectorSpecies<Float> S = VectorMath.SPECIES;
    private static final int L = VectorMath.LANES;
    /** Elements per parallel task (about 128 KB of input). */
    private static final int GRAIN_ELEMENTS = 1 << 15;

    /**
     * in/out [N, C]; saves mean[N] and rstd[N] for backward. bias may be null; mean and rstd may be
     * null when no backward follows (inference). The variance is the biased one (÷C), as PyTorch's.
     */
    public static void forward(float[] out, int outOff, float[] mean, int meanOff, float[] rstd, int rstdOff,
                               float[] in, int inOff, float[] weight, int wOff, float[] bias, int bOff,
                               int N, int C, float eps) {
        long nc = (long) N * C;
        String problem = first(sizes("N, C", N, C),
                range("out", out, outOff, nc),
                optionalRange("mean", mean, meanOff, N),
                optionalRange("rstd", rstd, rstdOff, N),
                range("in", in, inOff, nc),
                range("weight", weight, wOff, C),
                optionalRange("bias", bias, bOff, C),
                eps > 0 && Float.isFinite(eps) ? null : "eps must be positive and finite, got " + eps,
                C > 0 || N == 0 ? null : "C must be positive");
        if (problem != null) throw fail("forward", N, C, problem);
        ComputePool.shared().parallelFor(N, VectorMath.rowGrain(C, GRAIN_ELEMENTS), (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int x = inOff + r * C, y = outOff + r * C;
                // Two passes (mean, then Σ(x − mean)²): stable when |mean| ≫ std, and the row is in L1.
                float mu = VectorMath.sum(in, x, C) / C;
                float var = VectorMath.sumOfSquaredDeviations(in, x, C, mu) / C;
                float rs = (float) (1.0 / Math.sqrt((double) var + eps));
                normalizeRow(out, y, in, x, weight, wOff, bias, bOff, mu, rs, C);
                if (mean != null) mean[meanOff + r] = mu;
                if (rstd != null) rstd[rstdOff + r] = rs;
            }
        });
    }

    private static void normalizeRow(float[] out, int y, float[] in, int x, float[] w, int wOff,
                                     float[] b, int bOff, float mu, float rs, int C) {
        int i = 0;
        if (b != null) {
            for (int bound = C - L; i <= bound; i += L) {
                FloatVector xh = FloatVector.fromArray(S, in, x + i).sub(mu).mul(rs);
                xh.fma(FloatVector.fromArray(S, w, wOff + i), FloatVector.fromArray(S, b, bOff + i)).intoArray(out, y + i);
            }
            for (; i < C; i++) out[y + i] = Math.fma((in[x + i] - mu) * rs, w[wOff + i], b[bOff + i]);
        } else {
            for (int bound = C - L; i <= bound; i += L) {
                FloatVector xh = FloatVector.fromArray(S, in, x + i).sub(mu).mul(rs);
                xh.mul(FloatVector.fromArray(S, w, wOff + i)).intoArray(out, y + i);
            }
            for (; i < C; i++) out[y + i] = (in[x + i] - mu) * rs * w[wOff + i];
        }
    }

    /**
     * dIn += dx, dWeight += Σ_rows dOut ⊙ x̂, dBias += Σ_rows dOut (any may be null), where with
     * x̂ = (x − mean)·rstd and g = dOut ⊙ weight:
     * dx = rstd·(g − mean(g) − x̂·mean(g ⊙ x̂)).
     */
    public static void backward(float[] dIn, int dInOff, float[] dWeight, int dwOff, float[] dBias, int dbOff,
                                float[] dOut, int dOutOff, float[] in, int inOff, float[] weight, int wOff,
                                float[] mean, int meanOff, float[] rstd, int rstdOff, int N, int C) {
        long nc = (long) N * C;
        String problem = first(sizes("N, C", N, C),
                optionalRange("dIn", dIn, dInOff, nc),
                optionalRange("dWeight", dWeight, dwOff, C),
                optionalRange("dBias", dBias, dbOff, C),
                range("dOut", dOut, dOutOff, nc),
                range("in", in, inOff, nc),
                range("weight", weight, wOff, C),
                range("mean", mean, meanOff, N),
                range("rstd", rstd, rstdOff, N));
        if (problem != null) throw fail("backward", N, C, problem);
        if (N == 0 || C == 0 || (dIn == null && dWeight == null && dBias == null)) return;

        int rows = RowChunks.rowsPerChunk(N, C, GRAIN_ELEMENTS);
        int chunks = RowChunks.chunks(N, rows);
        // One chunk accumulates straight into the caller's gradients; several sum into private
        // partials (weight part at k·2C, bias part at k·2C + C) that are added in chunk order.
        boolean partials = chunks > 1 && (dWeight != null || dBias != null);
        float[] scratch = partials ? RowChunks.zeroedScratch(chunks * 2 * C) : null;
        ComputePool.shared().run(chunks, k -> {
            int r0 = k * rows, r1 = Math.min(N, r0 + rows);
            float[] dw = dWeight, db = dBias;
            int dwo = dwOff, dbo = dbOff;
            if (partials) {
                dw = dWeight == null ? null : scratch;
                db = dBias == null ? null : scratch;
                dwo = k * 2 * C;
                dbo = k * 2 * C + C;
            }
            for (int r = r0; r < r1; r++) {
                backwardRow(dIn, dInOff + r * C, dw, dwo, db, dbo, dOut, dOutOff + r * C, in, inOff + r * C,
                        weight, wOff, mean[meanOff + r], rstd[rstdOff + r], C);
            }
        });
        if (partials) {
            if (dWeight != null) RowChunks.addChunkSums(dWeight, dwOff, scratch, 0, 2 * C, chunks, C);
            if (dBias != null) RowChunks.addChunkSums(dBias, dbOff, scratch, C, 2 * C, chunks, C);
        }
    }

    private static void backwardRow(float[] dIn, int dx, float[] dw, int dwo, float[] db, int dbo,
                                    float[] dOut, int g, float[] in, int x, float[] w, int wOff,
                                    float mu, float rs, int C) {
        // Pass 1: Σ g and Σ g ⊙ x̂ over the row.
        FloatVector sg = FloatVector.zero(S), sgx = sg;
        int i = 0;
        for (int bound = C - L; i <= bound; i += L) {
            FloatVector gn = FloatVector.fromArray(S, dOut, g + i).mul(FloatVector.fromArray(S, w, wOff + i));
            FloatVector xh = FloatVector.fromArray(S, in, x + i).sub(mu).mul(rs);
            sg = sg.add(gn);
            sgx = gn.fma(xh, sgx);
        }
        float sumG = VectorMath.sumLanes(sg);
        float sumGx = VectorMath.sumLanes(sgx);
        for (; i < C; i++) {
            float gn = dOut[g + i] * w[wOff + i];
            sumG += gn;
            sumGx = Math.fma(gn, (in[x + i] - mu) * rs, sumGx);
        }
        float meanG = sumG / C, meanGx = sumGx / C;

        // Pass 2: the three gradients.
        i = 0;
        for (int bound = C - L; i <= bound; i += L) {
            FloatVector go = FloatVector.fromArray(S, dOut, g + i);
            FloatVector xh = FloatVector.fromArray(S, in, x + i).sub(mu).mul(rs);
            if (dIn != null) {
                FloatVector gn = go.mul(FloatVector.fromArray(S, w, wOff + i));
                gn.sub(meanG).sub(xh.mul(meanGx)).fma(FloatVector.broadcast(S, rs), FloatVector.fromArray(S, dIn, dx + i)).intoArray(dIn, dx + i);
            }
            if (dw != null) go.fma(xh, FloatVector.fromArray(S, dw, dwo + i)).intoArray(dw, dwo + i);
            if (db != null) go.add(FloatVector.fromArray(S, db, dbo + i)).intoArray(db, dbo + i);
        }
        for (; i < C; i++) {
            float go = dOut[g + i];
            float xh = (in[x + i] - mu) * rs;
            if (dIn != null) dIn[dx + i] = Math.fma(go * w[wOff + i] - meanG - xh * meanGx, rs, dIn[dx + i]);
            if (dw != null) dw[dwo + i] = Math.fma(go, xh, dw[dwo + i]);
            if (db != null) db[dbo + i] += go;
        }
    }

    private static IllegalArgumentException fail(String op, int N, int C, String problem) {
        return new IllegalArgumentException("LayerNorm." + op + "(N=" + N + ", C=" + C + "): " + problem);
    }
}
