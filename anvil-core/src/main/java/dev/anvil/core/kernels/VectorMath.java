package dev.anvil.core.kernels;

import dev.anvil.core.compute.ComputePool;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Small vectorised routines over one contiguous run of floats (a row), shared by the kernels.
 *
 * <p>Reductions keep four independent vector accumulators: a single accumulator would chain every
 * add on the previous one (4-cycle latency per 16 lanes), four keep the adders busy, and 64
 * partial sums also keep the rounding error of long rows small (each partial sum sees n/64 terms).
 * Tails shorter than a vector run scalar.
 *
 * <p>No argument checks here: callers validate shapes and offsets once per kernel call.
 */
final class VectorMath {
    private VectorMath() {}

    static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    static final int LANES = SPECIES.length();

    private static final VectorShuffle<Float> SWAP_8 = LANES >= 16 ? VectorShuffle.fromOp(SPECIES, i -> i ^ 8) : null;
    private static final VectorShuffle<Float> SWAP_4 = LANES >= 8 ? VectorShuffle.fromOp(SPECIES, i -> i ^ 4) : null;
    private static final VectorShuffle<Float> SWAP_2 = LANES >= 4 ? VectorShuffle.fromOp(SPECIES, i -> i ^ 2) : null;
    private static final VectorShuffle<Float> SWAP_1 = VectorShuffle.fromOp(SPECIES, i -> i ^ 1);

    /**
     * Σ of the lanes of {@code v} in a fixed pairwise order (halves, then quarters, ...).
     * {@code reduceLanes(ADD)} leaves the order of the float additions to the implementation, and
     * the interpreter's Java fallback and C2's intrinsic use different orders: the same inputs gave
     * different bits before and after JIT compilation, which broke exact resume (a resumed process
     * runs cold code). Lanewise adds and shuffles are exact, so this gives the same bits in every
     * tier. (The ifs fold away: LANES is a constant, and at most 16 floats fit a vector.)
     */
    static float sumLanes(FloatVector v) {
        FloatVector s = v;
        if (LANES >= 16) s = s.add(s.rearrange(SWAP_8));
        if (LANES >= 8) s = s.add(s.rearrange(SWAP_4));
        if (LANES >= 4) s = s.add(s.rearrange(SWAP_2));
        s = s.add(s.rearrange(SWAP_1));
        return s.lane(0);
    }

    /** Σ x[off … off+n). */
    static float sum(float[] x, int off, int n) {
        FloatVector a0 = FloatVector.zero(SPECIES), a1 = a0, a2 = a0, a3 = a0;
        int i = 0;
        for (int bound = n - 4 * LANES; i <= bound; i += 4 * LANES) {
            a0 = a0.add(FloatVector.fromArray(SPECIES, x, off + i));
            a1 = a1.add(FloatVector.fromArray(SPECIES, x, off + i + LANES));
            a2 = a2.add(FloatVector.fromArray(SPECIES, x, off + i + 2 * LANES));
            a3 = a3.add(FloatVector.fromArray(SPECIES, x, off + i + 3 * LANES));
        }
        for (int bound = n - LANES; i <= bound; i += LANES) a0 = a0.add(FloatVector.fromArray(SPECIES, x, off + i));
        float s = sumLanes(a0.add(a1).add(a2.add(a3)));
        for (; i < n; i++) s += x[off + i];
        return s;
    }

    /** Σ a[i]·b[i]. */
    static float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        FloatVector a0 = FloatVector.zero(SPECIES), a1 = a0, a2 = a0, a3 = a0;
        int i = 0;
        for (int bound = n - 4 * LANES; i <= bound; i += 4 * LANES) {
            a0 = FloatVector.fromArray(SPECIES, a, aOff + i).fma(FloatVector.fromArray(SPECIES, b, bOff + i), a0);
            a1 = FloatVector.fromArray(SPECIES, a, aOff + i + LANES).fma(FloatVector.fromArray(SPECIES, b, bOff + i + LANES), a1);
            a2 = FloatVector.fromArray(SPECIES, a, aOff + i + 2 * LANES).fma(FloatVector.fromArray(SPECIES, b, bOff + i + 2 * LANES), a2);
            a3 = FloatVector.fromArray(SPECIES, a, aOff + i + 3 * LANES).fma(FloatVector.fromArray(SPECIES, b, bOff + i + 3 * LANES), a3);
        }
        for (int bound = n - LANES; i <= bound; i += LANES) {
            a0 = FloatVector.fromArray(SPECIES, a, aOff + i).fma(FloatVector.fromArray(SPECIES, b, bOff + i), a0);
        }
        float s = sumLanes(a0.add(a1).add(a2.add(a3)));
        for (; i < n; i++) s = Math.fma(a[aOff + i], b[bOff + i], s);
        return s;
    }

    /** Σ x[i]². */
    static float sumOfSquares(float[] x, int off, int n) {
        return dot(x, off, x, off, n);
    }

    /**
     * Σ (x[i] − c)². With c the mean this is the second pass of the two-pass variance, which unlike
     * E[x²] − E[x]² does not cancel catastrophically when |mean| ≫ std.
     */
    static float sumOfSquaredDeviations(float[] x, int off, int n, float c) {
        FloatVector a0 = FloatVector.zero(SPECIES), a1 = a0, a2 = a0, a3 = a0;
        int i = 0;
        for (int bound = n - 4 * LANES; i <= bound; i += 4 * LANES) {
            FloatVector d0 = FloatVector.fromArray(SPECIES, x, off + i).sub(c);
            FloatVector d1 = FloatVector.fromArray(SPECIES, x, off + i + LANES).sub(c);
            FloatVector d2 = FloatVector.fromArray(SPECIES, x, off + i + 2 * LANES).sub(c);
            FloatVector d3 = FloatVector.fromArray(SPECIES, x, off + i + 3 * LANES).sub(c);
            a0 = d0.fma(d0, a0);
            a1 = d1.fma(d1, a1);
            a2 = d2.fma(d2, a2);
            a3 = d3.fma(d3, a3);
        }
        for (int bound = n - LANES; i <= bound; i += LANES) {
            FloatVector d = FloatVector.fromArray(SPECIES, x, off + i).sub(c);
            a0 = d.fma(d, a0);
        }
        float s = sumLanes(a0.add(a1).add(a2.add(a3)));
        for (; i < n; i++) {
            float d = x[off + i] - c;
            s = Math.fma(d, d, s);
        }
        return s;
    }

    /** max x[i]; −∞ for n = 0. NaN in x gives an unspecified result. */
    static float max(float[] x, int off, int n) {
        FloatVector m0 = FloatVector.broadcast(SPECIES, Float.NEGATIVE_INFINITY), m1 = m0;
        int i = 0;
        for (int bound = n - 2 * LANES; i <= bound; i += 2 * LANES) {
            m0 = m0.max(FloatVector.fromArray(SPECIES, x, off + i));
            m1 = m1.max(FloatVector.fromArray(SPECIES, x, off + i + LANES));
        }
        for (int bound = n - LANES; i <= bound; i += LANES) m0 = m0.max(FloatVector.fromArray(SPECIES, x, off + i));
        float m = m0.max(m1).reduceLanes(VectorOperators.MAX);
        for (; i < n; i++) m = Math.max(m, x[off + i]);
        return m;
    }

    /**
     * Σ exp(x[i] − shift) for shift ≥ max x (terms in [0, 1], nothing overflows; terms below 2⁻¹²⁶
     * count as 0, see {@link #expOfNonPositive(FloatVector)}).
     */
    static float sumExp(float[] x, int off, int n, float shift) {
        FloatVector a0 = FloatVector.zero(SPECIES), a1 = a0;
        int i = 0;
        for (int bound = n - 2 * LANES; i <= bound; i += 2 * LANES) {
            a0 = a0.add(expOfNonPositive(FloatVector.fromArray(SPECIES, x, off + i).sub(shift)));
            a1 = a1.add(expOfNonPositive(FloatVector.fromArray(SPECIES, x, off + i + LANES).sub(shift)));
        }
        for (int bound = n - LANES; i <= bound; i += LANES) {
            a0 = a0.add(expOfNonPositive(FloatVector.fromArray(SPECIES, x, off + i).sub(shift)));
        }
        float s = sumLanes(a0.add(a1));
        for (; i < n; i++) s += expOfNonPositive(x[off + i] - shift);
        return s;
    }

    /** out[i] = exp(x[i] − shift) for shift ≥ max x, returning Σ out[i] (out may be x). */
    static float expShiftedInto(float[] out, int outOff, float[] x, int off, int n, float shift) {
        FloatVector acc = FloatVector.zero(SPECIES);
        int i = 0;
        for (int bound = n - LANES; i <= bound; i += LANES) {
            FloatVector e = expOfNonPositive(FloatVector.fromArray(SPECIES, x, off + i).sub(shift));
            e.intoArray(out, outOff + i);
            acc = acc.add(e);
        }
        float s = sumLanes(acc);
        for (; i < n; i++) {
            float e = expOfNonPositive(x[off + i] - shift);
            out[outOff + i] = e;
            s += e;
        }
        return s;
    }

    // exp without the Vector API's lanewise EXP. That one is an Intel SVML call once C2 has compiled
    // the loop, a per-lane (float) Math.exp in the interpreter and C1, a SLEEF call (1 ulp) on
    // ARM; SVML itself has separate AVX-512, AVX2 and SSE variants. On this AVX-512 machine SVML
    // matched (float) Math.exp bit for bit on 16.7M random inputs, but nothing promises that across
    // tiers, CPUs or JDKs, and bit-identical training runs (resume, re-runs on another machine)
    // need it. This version is plain IEEE arithmetic (fma, add, integer ops on the bits), so every
    // JIT tier, every CPU (whatever its vector width), the vector lanes and the scalar tail
    // give the same bits; it is within 1 ulp of the correctly rounded result over the whole float
    // range (subnormal results included). Measured on one core: 0.56 ns/element against SVML's
    // 0.40 (0.46 for the softmax variant below); swapping in lanewise(EXP) is a one-line change.
    //
    // exp(x) = 2^k · exp(r), k = round(x·log2 e), r = x − k·ln 2 split in two parts (Cody–Waite) so
    // r is exact enough; exp(r) on |r| ≤ ln2/2 by Cephes' degree-6 minimax polynomial. 2^k is
    // applied as 2^⌊k/2⌋ · 2^(k − ⌊k/2⌋), both normal floats for every k in [−150, 128], so
    // overflow gives +∞ and deep underflow gives subnormals or 0 without special cases.

    private static final float LOG2E = 1.44269504088896341f;
    private static final float LN2_HI = 0.693359375f, LN2_LO = -2.12194440e-4f;
    /** 1.5·2²³: adding it rounds to an integer, left in the low mantissa bits. */
    private static final float ROUND_MAGIC = 12582912f;
    private static final int ROUND_MAGIC_BITS = 0x4B400000;
    private static final float EXP_LO = -104f, EXP_HI = 88.8f;
    private static final float P0 = 1.9875691500E-4f, P1 = 1.3981999507E-3f, P2 = 8.3334519073E-3f,
            P3 = 4.1665795894E-2f, P4 = 1.6666665459E-1f, P5 = 5.0000001201E-1f;

    /** e^x per lane; NaN stays NaN, −∞ gives 0, +∞ gives +∞. */
    static FloatVector exp(FloatVector x) {
        FloatVector xc = x.max(EXP_LO).min(EXP_HI);
        FloatVector t = xc.fma(FloatVector.broadcast(SPECIES, LOG2E), FloatVector.broadcast(SPECIES, ROUND_MAGIC));
        FloatVector k = t.sub(ROUND_MAGIC);
        FloatVector r = k.fma(FloatVector.broadcast(SPECIES, -LN2_HI), xc);
        r = k.fma(FloatVector.broadcast(SPECIES, -LN2_LO), r);
        FloatVector p = r.fma(FloatVector.broadcast(SPECIES, P0), FloatVector.broadcast(SPECIES, P1));
        p = p.fma(r, FloatVector.broadcast(SPECIES, P2));
        p = p.fma(r, FloatVector.broadcast(SPECIES, P3));
        p = p.fma(r, FloatVector.broadcast(SPECIES, P4));
        p = p.fma(r, FloatVector.broadcast(SPECIES, P5));
        p = p.fma(r.mul(r), r).add(1f);
        IntVector ki = t.reinterpretAsInts().sub(ROUND_MAGIC_BITS);
        IntVector k1 = ki.lanewise(VectorOperators.ASHR, 1);
        IntVector k2 = ki.sub(k1);
        FloatVector s1 = k1.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector s2 = k2.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        return p.mul(s1).mul(s2).blend(0f, x.compare(VectorOperators.LT, EXP_LO));
    }

    /** The same computation for one float, bit for bit equal to a lane of {@link #exp(FloatVector)}. */
    static float exp(float x) {
        float xc = Math.min(Math.max(x, EXP_LO), EXP_HI);
        float t = Math.fma(xc, LOG2E, ROUND_MAGIC);
        float k = t - ROUND_MAGIC;
        float r = Math.fma(k, -LN2_HI, xc);
        r = Math.fma(k, -LN2_LO, r);
        float p = Math.fma(r, P0, P1);
        p = Math.fma(p, r, P2);
        p = Math.fma(p, r, P3);
        p = Math.fma(p, r, P4);
        p = Math.fma(p, r, P5);
        p = Math.fma(p, r * r, r) + 1f;
        int ki = Float.floatToRawIntBits(t) - ROUND_MAGIC_BITS;
        int k1 = ki >> 1, k2 = ki - k1;
        float y = p * Float.intBitsToFloat((k1 + 127) << 23) * Float.intBitsToFloat((k2 + 127) << 23);
        return x < EXP_LO ? 0f : y;
    }

    /** Below this, exp(x) &lt; 2⁻¹²⁶ and {@link #expOfNonPositive} returns 0. */
    private static final float EXP_NONPOSITIVE_LO = -87.33654f;
    /** ROUND_MAGIC + 127: the rounded k then sits in the mantissa bits already biased for 2^k. */
    private static final float ROUND_MAGIC_BIASED = 12582912f + 127f;

    /**
     * e^x for the arguments of softmax, x − max ≤ 0 (a rounding excess up to x ≤ 1 is fine): the
     * same polynomial as {@link #exp(FloatVector)} but one scaling step, since 2^k with k in
     * [−126, 1] is a normal float whose bits are the rounding sum's mantissa shifted into place.
     * Results below 2⁻¹²⁶ (x &lt; −87.34) are flushed to 0, as are −∞ inputs; next to the row's
     * largest term, exactly 1, they are invisible. About a quarter fewer operations than exp.
     */
    static FloatVector expOfNonPositive(FloatVector x) {
        FloatVector xc = x.max(EXP_NONPOSITIVE_LO).min(1f);
        FloatVector t = xc.fma(FloatVector.broadcast(SPECIES, LOG2E), FloatVector.broadcast(SPECIES, ROUND_MAGIC_BIASED));
        FloatVector k = t.sub(ROUND_MAGIC_BIASED);
        FloatVector r = k.fma(FloatVector.broadcast(SPECIES, -LN2_HI), xc);
        r = k.fma(FloatVector.broadcast(SPECIES, -LN2_LO), r);
        FloatVector p = r.fma(FloatVector.broadcast(SPECIES, P0), FloatVector.broadcast(SPECIES, P1));
        p = p.fma(r, FloatVector.broadcast(SPECIES, P2));
        p = p.fma(r, FloatVector.broadcast(SPECIES, P3));
        p = p.fma(r, FloatVector.broadcast(SPECIES, P4));
        p = p.fma(r, FloatVector.broadcast(SPECIES, P5));
        p = p.fma(r.mul(r), r).add(1f);
        FloatVector scale = t.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        return p.mul(scale).blend(0f, x.compare(VectorOperators.LT, EXP_NONPOSITIVE_LO));
    }

    /** Scalar twin of {@link #expOfNonPositive(FloatVector)}, bit for bit. */
    static float expOfNonPositive(float x) {
        float xc = Math.min(Math.max(x, EXP_NONPOSITIVE_LO), 1f);
        float t = Math.fma(xc, LOG2E, ROUND_MAGIC_BIASED);
        float k = t - ROUND_MAGIC_BIASED;
        float r = Math.fma(k, -LN2_HI, xc);
        r = Math.fma(k, -LN2_LO, r);
        float p = Math.fma(r, P0, P1);
        p = Math.fma(p, r, P2);
        p = Math.fma(p, r, P3);
        p = Math.fma(p, r, P4);
        p = Math.fma(p, r, P5);
        p = Math.fma(p, r * r, r) + 1f;
        float y = p * Float.intBitsToFloat(Float.floatToRawIntBits(t) << 23);
        return x < EXP_NONPOSITIVE_LO ? 0f : y;
    }

    /** out[i] = s·x[i] (out may be x). */
    static void scale(float[] out, int outOff, float[] x, int off, float s, int n) {
        int i = 0;
        for (int bound = n - LANES; i <= bound; i += LANES) {
            FloatVector.fromArray(SPECIES, x, off + i).mul(s).intoArray(out, outOff + i);
        }
        for (; i < n; i++) out[outOff + i] = s * x[off + i];
    }

    /** y[i] += a·x[i]. */
    static void axpy(float[] y, int yOff, float a, float[] x, int xOff, int n) {
        int i = 0;
        for (int bound = n - LANES; i <= bound; i += LANES) {
            FloatVector.fromArray(SPECIES, x, xOff + i).fma(FloatVector.broadcast(SPECIES, a), FloatVector.fromArray(SPECIES, y, yOff + i)).intoArray(y, yOff + i);
        }
        for (; i < n; i++) y[yOff + i] = Math.fma(a, x[xOff + i], y[yOff + i]);
    }

    /** y[i] += x[i]. */
    static void addInPlace(float[] y, int yOff, float[] x, int xOff, int n) {
        int i = 0;
        for (int bound = n - LANES; i <= bound; i += LANES) {
            FloatVector.fromArray(SPECIES, y, yOff + i).add(FloatVector.fromArray(SPECIES, x, xOff + i)).intoArray(y, yOff + i);
        }
        for (; i < n; i++) y[yOff + i] += x[xOff + i];
    }

    /** out[i] = a[i] + b[i]. */
    static void add(float[] out, int outOff, float[] a, int aOff, float[] b, int bOff, int n) {
        int i = 0;
        for (int bound = n - LANES; i <= bound; i += LANES) {
            FloatVector.fromArray(SPECIES, a, aOff + i).add(FloatVector.fromArray(SPECIES, b, bOff + i)).intoArray(out, outOff + i);
        }
        for (; i < n; i++) out[outOff + i] = a[aOff + i] + b[bOff + i];
    }

    /**
     * Rows per parallel task so that each task touches at least {@code elementsPerTask} elements:
     * the pool costs a few microseconds per dispatch, which a row of a few hundred floats does not
     * repay, so small inputs run inline on the caller.
     */
    static int rowGrain(int rowLength, int elementsPerTask) {
        return Math.max(1, elementsPerTask / Math.max(1, rowLength));
    }

    /** Elements per parallel task for elementwise ops (a multiple of the vector length). */
    static final int ELEMENTWISE_GRAIN = 1 << 15;

    /**
     * Runs {@code body} over [0, n) in parallel pieces whose boundaries are multiples of the vector
     * length, so which elements take the scalar tail (and hence the exact float result) does not
     * depend on the number of threads.
     */
    static void parallelElementwise(int n, ComputePool.RangeBody body) {
        int blocks = (n + LANES - 1) / LANES;
        ComputePool.shared().parallelFor(blocks, ELEMENTWISE_GRAIN / LANES,
                (b0, b1) -> body.run(b0 * LANES, Math.min(n, b1 * LANES)));
    }
}
