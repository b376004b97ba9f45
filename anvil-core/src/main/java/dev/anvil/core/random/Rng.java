package dev.anvil.core.random;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * A seeded, splittable pseudo-random generator: xoshiro256** (Blackman and Vigna) for the stream,
 * SplitMix64 to turn a 64-bit seed (or a parent state plus a stream id) into a well-mixed 256-bit
 * state. The whole state is four longs, so {@link #state()} / {@link #fromState} save and restore
 * it exactly: a resumed run draws the same numbers as an uninterrupted one.
 *
 * <p>Not thread-safe: give each thread or purpose its own stream via {@link #split()} or
 * {@link #fork(long)}.
 */
public final class Rng {

    private static final long GOLDEN_GAMMA = 0x9E3779B97F4A7C15L;
    private static final int STATE_BYTES = 4 * Long.BYTES;

    private long s0, s1, s2, s3;

    /** A generator whose state is expanded from {@code seed} by SplitMix64. */
    public Rng(long seed) {
        long x = seed;
        s0 = mix64(x += GOLDEN_GAMMA);
        s1 = mix64(x += GOLDEN_GAMMA);
        s2 = mix64(x += GOLDEN_GAMMA);
        s3 = mix64(x + GOLDEN_GAMMA);
    }

    private Rng(long s0, long s1, long s2, long s3) {
        if ((s0 | s1 | s2 | s3) == 0) throw new IllegalArgumentException("xoshiro256** state must not be all zero");
        this.s0 = s0;
        this.s1 = s1;
        this.s2 = s2;
        this.s3 = s3;
    }

    /** SplitMix64's output function (Stafford's variant 13): a bijective 64-bit mixer. */
    static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** The next 64 uniformly distributed bits. */
    public long nextLong() {
        long result = Long.rotateLeft(s1 * 5, 7) * 9;
        long t = s1 << 17;
        s2 ^= s0;
        s3 ^= s1;
        s1 ^= s2;
        s0 ^= s3;
        s2 ^= t;
        s3 = Long.rotateLeft(s3, 45);
        return result;
    }

    public int nextInt() {
        return (int) (nextLong() >>> 32);
    }

    /** Uniform in [0, bound), without modulo bias (Lemire's multiply-and-reject). */
    public int nextInt(int bound) {
        if (bound <= 0) throw new IllegalArgumentException("bound must be positive, got " + bound);
        long m = (nextLong() >>> 32) * bound;
        long low = m & 0xFFFFFFFFL;
        if (low < bound) {
            long threshold = (0x1_0000_0000L - bound) % bound;
            while (low < threshold) {
                m = (nextLong() >>> 32) * bound;
                low = m & 0xFFFFFFFFL;
            }
        }
        return (int) (m >>> 32);
    }

    /** Uniform in [0, 1) with 24 random bits (every float in the range is a multiple of 2⁻²⁴). */
    public float nextFloat() {
        return (nextLong() >>> 40) * 0x1.0p-24f;
    }

    /** Uniform in [0, 1) with 53 random bits. */
    public double nextDouble() {
        return (nextLong() >>> 11) * 0x1.0p-53;
    }

    /**
     * A standard normal sample by the Box–Muller transform. Each call consumes two uniforms and
     * returns one value (the sine partner is dropped) so that the state stays four longs.
     */
    public double nextGaussian() {
        double u1 = 1.0 - nextDouble(); // (0, 1]: log stays finite
        double u2 = nextDouble();
        return Math.sqrt(-2.0 * Math.log(u1)) * Math.cos(2.0 * Math.PI * u2);
    }

    /** a[off, off+n) = independent N(mean, std²) samples, e.g. weight initialisation. */
    public void fillNormal(float[] a, int off, int n, double mean, double std) {
        checkRange(a, off, n);
        for (int i = 0; i < n; i++) a[off + i] = (float) (mean + std * nextGaussian());
    }

    /** a[off, off+n) = independent uniform samples in [lo, hi). */
    public void fillUniform(float[] a, int off, int n, double lo, double hi) {
        checkRange(a, off, n);
        double width = hi - lo;
        for (int i = 0; i < n; i++) a[off + i] = (float) (lo + width * nextDouble());
    }

    private static void checkRange(float[] a, int off, int n) {
        if (off < 0 || n < 0 || (long) off + n > a.length) {
            throw new IllegalArgumentException("range [" + off + ", " + ((long) off + n) + ") outside an array of " + a.length);
        }
    }

    /**
     * A new independent generator seeded from this one's next output; advances this generator.
     * Successive splits give distinct streams.
     */
    public Rng split() {
        return new Rng(nextLong());
    }

    /**
     * The generator for stream {@code streamId} derived from this one's current state, without
     * advancing it: the same parent state and id always give the same stream, different ids give
     * unrelated streams (the state and id are hashed together by SplitMix64 rounds).
     */
    public Rng fork(long streamId) {
        long h = mix64(s0 ^ mix64(streamId + GOLDEN_GAMMA));
        h = mix64(h ^ s1);
        h = mix64(h ^ s2);
        h = mix64(h ^ s3);
        return new Rng(h);
    }

    /** A copy of the four state words, enough to continue this exact stream later. */
    public long[] state() {
        return new long[] {s0, s1, s2, s3};
    }

    public static Rng fromState(long[] state) {
        if (state.length != 4) throw new IllegalArgumentException("xoshiro256** state is 4 longs, got " + state.length);
        return new Rng(state[0], state[1], state[2], state[3]);
    }

    /** The state as 32 big-endian bytes. */
    public byte[] stateBytes() {
        return ByteBuffer.allocate(STATE_BYTES).putLong(s0).putLong(s1).putLong(s2).putLong(s3).array();
    }

    public static Rng fromStateBytes(byte[] bytes) {
        if (bytes.length != STATE_BYTES) throw new IllegalArgumentException("xoshiro256** state is " + STATE_BYTES + " bytes, got " + bytes.length);
        ByteBuffer b = ByteBuffer.wrap(bytes);
        return new Rng(b.getLong(), b.getLong(), b.getLong(), b.getLong());
    }

    /** A generator starting from an explicit state, e.g. published test vectors. */
    static Rng ofRawState(long s0, long s1, long s2, long s3) {
        return new Rng(s0, s1, s2, s3);
    }

    @Override
    public String toString() {
        return "Rng" + Arrays.toString(new String[] {Long.toHexString(s0), Long.toHexString(s1), Long.toHexString(s2), Long.toHexString(s3)});
    }
}
