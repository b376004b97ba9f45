package dev.anvil.core.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import static dev.anvil.core.kernels.KernelChecks.first;
import static dev.anvil.core.kernels.KernelChecks.range;
import static dev.anvil.core.kernels.KernelChecks.sizes;

/**
 * Inverted dropout with a counter-based mask: element i is kept iff hash(seed, i) ≥ p, and kept
 * elements are scaled by 1/(1−p). The mask is a pure function of (seed, i), so backward recomputes
 * it instead of storing it, and a resumed run reproduces it exactly.
 *
 * <p>The hash: the 64-bit seed is first mixed by SplitMix64's finaliser into a key (k0, k1); then
 * element i gets h = fmix32(fmix32(i·φ ⊕ k0) ⊕ k1), with φ = 0x9E3779B9 (odd, so i·φ is a bijection)
 * and fmix32 MurmurHash3's bijective finaliser. The top 24 bits of h are a uniform u ∈ [0, 2²⁴) and
 * the element is kept iff u ≥ ⌈p·2²⁴⌉. Everything is 32-bit integer arithmetic, so 16 lanes hash
 * at once and the vector and scalar paths agree bit for bit. For a fixed seed h is a bijection of
 * i, so no two elements of one call share a hash value.
 */
public final class Dropout {
    private Dropout() {}

    private static final VectorSpecies<Float> S = VectorMath.SPECIES;
    private static final VectorSpecies<Integer> IS = S.withLanes(int.class);
    private static final int L = VectorMath.LANES;
    private static final IntVector IOTA = IntVector.zero(IS).addIndex(1);
    private static final int PHI = 0x9E3779B9;

    /** out = mask ⊙ in / (1 − p). out may alias in. p = 0 copies. */
    public static void forward(float[] out, int outOff, float[] in, int inOff, int n, float p, long seed) {
        String problem = first(sizes("n", n), range("out", out, outOff, n), range("in", in, inOff, n), checkP(p));
        if (problem != null) throw fail("forward", n, p, problem);
        if (p == 0f) {
            if (out != in || outOff != inOff) System.arraycopy(in, inOff, out, outOff, n);
            return;
        }
        long key = splitMix64(seed);
        int k0 = (int) key, k1 = (int) (key >>> 32), threshold = threshold(p);
        float scale = 1f / (1f - p);
        VectorMath.parallelElementwise(n, (i0, i1) -> {
            int i = i0;
            for (int bound = i1 - L; i <= bound; i += L) {
                VectorMask<Float> keep = keepMask(i, k0, k1, threshold);
                FloatVector kept = FloatVector.fromArray(S, in, inOff + i).mul(scale);
                FloatVector.zero(S).blend(kept, keep).intoArray(out, outOff + i);
            }
            for (; i < i1; i++) out[outOff + i] = keeps(i, k0, k1, threshold) ? in[inOff + i] * scale : 0f;
        });
    }

    /** dIn += mask ⊙ dOut / (1 − p), with the same (p, seed) as the forward. */
    public static void backward(float[] dIn, int dInOff, float[] dOut, int dOutOff, int n, float p, long seed) {
        String problem = first(sizes("n", n), range("dIn", dIn, dInOff, n), range("dOut", dOut, dOutOff, n), checkP(p));
        if (problem != null) throw fail("backward", n, p, problem);
        if (p == 0f) {
            VectorMath.parallelElementwise(n, (i0, i1) -> VectorMath.addInPlace(dIn, dInOff + i0, dOut, dOutOff + i0, i1 - i0));
            return;
        }
        long key = splitMix64(seed);
        int k0 = (int) key, k1 = (int) (key >>> 32), threshold = threshold(p);
        float scale = 1f / (1f - p);
        VectorMath.parallelElementwise(n, (i0, i1) -> {
            int i = i0;
            for (int bound = i1 - L; i <= bound; i += L) {
                VectorMask<Float> keep = keepMask(i, k0, k1, threshold);
                FloatVector d = FloatVector.fromArray(S, dIn, dInOff + i);
                d.add(FloatVector.fromArray(S, dOut, dOutOff + i).mul(scale), keep).intoArray(dIn, dInOff + i);
            }
            for (; i < i1; i++) if (keeps(i, k0, k1, threshold)) dIn[dInOff + i] += dOut[dOutOff + i] * scale;
        });
    }

    /** Whether element i survives: the scalar definition the vector path must match. */
    static boolean keeps(int i, int k0, int k1, int threshold) {
        int h = fmix32(fmix32(i * PHI ^ k0) ^ k1);
        return (h >>> 8) >= threshold;
    }

    /** Whether element i of a call with (p, seed) survives (for tests and tools that need the mask). */
    public static boolean keeps(long seed, float p, int i) {
        long key = splitMix64(seed);
        return keeps(i, (int) key, (int) (key >>> 32), threshold(p));
    }

    private static VectorMask<Float> keepMask(int i, int k0, int k1, int threshold) {
        IntVector h = IOTA.add(i).mul(PHI).lanewise(VectorOperators.XOR, k0);
        h = fmix32(h).lanewise(VectorOperators.XOR, k1);
        h = fmix32(h);
        return h.lanewise(VectorOperators.LSHR, 8).compare(VectorOperators.GE, threshold).cast(S);
    }

    /** ⌈p·2²⁴⌉: elements whose 24-bit uniform falls below it are dropped. */
    private static int threshold(float p) {
        return (int) Math.ceil(p * 16777216.0);
    }

    /** SplitMix64's output function (Steele, Lea, Flood 2014) applied to seed + γ. */
    static long splitMix64(long seed) {
        long z = seed + 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** MurmurHash3's 32-bit finaliser: a bijection with full avalanche. */
    private static int fmix32(int h) {
        h ^= h >>> 16;
        h *= 0x85EBCA6B;
        h ^= h >>> 13;
        h *= 0xC2B2AE35;
        return h ^ (h >>> 16);
    }

    private static IntVector fmix32(IntVector h) {
        h = h.lanewise(VectorOperators.XOR, h.lanewise(VectorOperators.LSHR, 16)).mul(0x85EBCA6B);
        h = h.lanewise(VectorOperators.XOR, h.lanewise(VectorOperators.LSHR, 13)).mul(0xC2B2AE35);
        return h.lanewise(VectorOperators.XOR, h.lanewise(VectorOperators.LSHR, 16));
    }

    private static String checkP(float p) {
        return p >= 0f && p < 1f ? null : "p must be in [0, 1), got " + p;
    }

    private static IllegalArgumentException fail(String op, int n, float p, String problem) {
        return new IllegalArgumentException("Dropout." + op + "(n=" + n + ", p=" + p + "): " + problem);
    }
}
