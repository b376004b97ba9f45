package dev.anvil.core.kernels;

import dev.anvil.core.compute.ComputePool;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import static dev.anvil.core.kernels.KernelChecks.first;
import static dev.anvil.core.kernels.KernelChecks.optionalRange;
import static dev.anvil.core.kernels.KernelChecks.range;
import static dev.anvil.core.kernels.KernelChecks.sizes;

/** RMSNorm over the last axis (Llama): {@code y = x·rstd·weight}, rstd = 1/sqrt(mean(x²) + eps). */
public final class RmsNorm {
    private RmsNorm() {}

    private static final VectorSpecies<Float> S = VectorMath.SPECIES;
    private static final int L = VectorMath.LANES;
    /** Elements per parallel task (about 128 KB of input). */
    private static final int GRAIN_ELEMENTS = 1 << 15;

    /** in/out [N, C]; saves rstd[N] for backward (rstd may be null when no backward follows). */
    public static void forward(float[] out, int outOff, float[] rstd, int rstdOff, float[] in, int inOff,
                               float[] weight, int wOff, int N, int C, float eps) {
        long nc = (long) N * C;
        String problem = first(sizes("N, C", N, C),
                range("out", out, outOff, nc),
                optionalRange("rstd", rstd, rstdOff, N),
                range("in", in, inOff, nc),
                range("weight", weight, wOff, C),
                eps > 0 && Float.isFinite(eps) ? null : "eps must be positive and finite, got " + eps,
                C > 0 || N == 0 ? null : "C must be positive");
        if (problem != null) throw fail("forward", N, C, problem);
        ComputePool.shared().parallelFor(N, VectorMath.rowGrain(C, GRAIN_ELEMENTS), (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int x = inOff + r * C, y = outOff + r * C;
                float ms = VectorMath.sumOfSquares(in, x, C) / C;
                float rs = (float) (1.0 / Math.sqrt((double) ms + eps));
                int i = 0;
                for (int bound = C - L; i <= bound; i += L) {
                    FloatVector.fromArray(S, in, x + i).mul(rs).mul(FloatVector.fromArray(S, weight, wOff + i)).intoArray(out, y + i);
                }
                for (; i < C; i++) out[y + i] = in[x + i] * rs * weight[wOff + i];
                if (rstd != null) rstd[rstdOff + r] = rs;
            }
        });
    }

    /**
     * dIn += dx, dWeight += Σ_rows dOut ⊙ x̂ (either may be null), where with x̂ = x·rstd and
     * g = dOut ⊙ weight: dx = rstd·(g − x̂·mean(g ⊙ x̂)).
     */
    public static void backward(float[] dIn, int dInOff, float[] dWeight, int dwOff, float[] dOut, int dOutOff,
                                float[] in, int inOff, float[] weight, int wOff, float[] rstd, int rstdOff,
                                int N, int C) {
        long nc = (long) N * C;
        String problem = first(sizes("N, C", N, C),
                optionalRange("dIn", dIn, dInOff, nc),
                optionalRange("dWeight", dWeight, dwOff, C),
                range("dOut", dOut, dOutOff, nc),
                range("in", in, inOff, nc),
                range("weight", weight, wOff, C),
                range("rstd", rstd, rstdOff, N));
        if (problem != null) throw fail("backward", N, C, problem);
        if (N == 0 || C == 0 || (dIn == null && dWeight == null)) return;

        int rows = RowChunks.rowsPerChunk(N, C, GRAIN_ELEMENTS);
        int chunks = RowChunks.chunks(N, rows);
        boolean partials = chunks > 1 && dWeight != null;
        float[] scratch = partials ? RowChunks.zeroedScratch(chunks * C) : null;
        ComputePool.shared().run(chunks, k -> {
            int r0 = k * rows, r1 = Math.min(N, r0 + rows);
            float[] dw = partials ? scratch : dWeight;
            int dwo = partials ? k * C : dwOff;
            for (int r = r0; r < r1; r++) {
                backwardRow(dIn, dInOff + r * C, dw, dwo, dOut, dOutOff + r * C, in, inOff + r * C,
                        weight, wOff, rstd[rstdOff + r], C);
            }
        });
        if (partials) RowChunks.addChunkSums(dWeight, dwOff, scratch, 0, C, chunks, C);
    }

    private static void backwardRow(float[] dIn, int dx, float[] dw, int dwo, float[] dOut, int g,
                                    float[] in, int x, float[] w, int wOff, float rs, int C) {
        float meanGx = 0f;
        if (dIn != null) {
            // Σ g ⊙ x̂ = rstd · Σ dOut ⊙ weight ⊙ x
            FloatVector acc = FloatVector.zero(S);
            int i = 0;
            for (int bound = C - L; i <= bound; i += L) {
                FloatVector gn = FloatVector.fromArray(S, dOut, g + i).mul(FloatVector.fromArray(S, w, wOff + i));
                acc = gn.fma(FloatVector.fromArray(S, in, x + i), acc);
            }
            float s = VectorMath.sumLanes(acc);
            for (; i < C; i++) s = Math.fma(dOut[g + i] * w[wOff + i], in[x + i], s);
            meanGx = s * rs / C;
        }
        int i = 0;
        for (int bound = C - L; i <= bound; i += L) {
            FloatVector go = FloatVector.fromArray(S, dOut, g + i);
            FloatVector xh = FloatVector.fromArray(S, in, x + i).mul(rs);
            if (dIn != null) {
                FloatVector gn = go.mul(FloatVector.fromArray(S, w, wOff + i));
                gn.sub(xh.mul(meanGx)).fma(FloatVector.broadcast(S, rs), FloatVector.fromArray(S, dIn, dx + i)).intoArray(dIn, dx + i);
            }
            if (dw != null) go.fma(xh, FloatVector.fromArray(S, dw, dwo + i)).intoArray(dw, dwo + i);
        }
        for (; i < C; i++) {
            float go = dOut[g + i];
            float xh = in[x + i] * rs;
            if (dIn != null) dIn[dx + i] = Math.fma(go * w[wOff + i] - xh * meanGx, rs, dIn[dx + i]);
            if (dw != null) dw[dwo + i] = Math.fma(go, xh, dw[dwo + i]);
        }
    }

    private static IllegalArgumentException fail(String op, int N, int C, String problem) {
        return new IllegalArgumentException("RmsNorm." + op + "(N=" + N + ", C=" + C + "): " + problem);
    }
}
