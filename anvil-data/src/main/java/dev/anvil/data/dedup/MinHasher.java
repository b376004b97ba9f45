package dev.anvil.data.dedup;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * MinHash signatures of a document's word n-gram ("shingle") set. The text is simplified first
 * (lower case, punctuation to spaces), shingles are hashed to 61 bits, and hash function i is the
 * universal hash {@code (a_i·x + b_i) mod (2^61 − 1)} with seeded random a_i, b_i. For two sets,
 * the probability that their minima under one function agree equals their Jaccard similarity.
 */
public final class MinHasher {
    static final long MERSENNE_61 = (1L << 61) - 1;
    private final int shingleSize;
    private final long[] a;
    private final long[] b;

    public MinHasher(int shingleSize, int numHashes, long seed) {
        if (shingleSize < 1) throw new IllegalArgumentException("minhash shingle size must be >= 1, got " + shingleSize);
        if (numHashes < 1) throw new IllegalArgumentException("minhash hash count must be >= 1, got " + numHashes);
        this.shingleSize = shingleSize;
        this.a = new long[numHashes];
        this.b = new long[numHashes];
        SplittableRandom rng = new SplittableRandom(seed);
        for (int i = 0; i < numHashes; i++) {
            a[i] = 1 + rng.nextLong(MERSENNE_61 - 1);
            b[i] = rng.nextLong(MERSENNE_61);
        }
    }

    public int numHashes() {
        return a.length;
    }

    /** Writes the signature into {@code out[offset, offset + numHashes)}. An empty text has all-max signature. */
    public void signature(String text, long[] out, int offset) {
        java.util.Arrays.fill(out, offset, offset + a.length, Long.MAX_VALUE);
        for (long shingle : shingleHashes(text, shingleSize)) {
            long x = shingle & MERSENNE_61;
            for (int i = 0; i < a.length; i++) {
                long h = addMod(mulMod(a[i], x), b[i]);
                if (h < out[offset + i]) out[offset + i] = h;
            }
        }
    }

    public long[] signature(String text) {
        long[] s = new long[a.length];
        signature(text, s, 0);
        return s;
    }

    /** Hashes of the word n-grams of the simplified text (one shingle of all words if there are fewer than n). */
    public static long[] shingleHashes(String text, int n) {
        List<String> words = simplifiedWords(text);
        if (words.isEmpty()) return new long[0];
        int count = Math.max(1, words.size() - n + 1);
        long[] out = new long[count];
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < count; i++) {
            sb.setLength(0);
            for (int j = i; j < Math.min(words.size(), i + n); j++) sb.append(words.get(j)).append(' ');
            out[i] = TextHashes.hash64(sb, 0, sb.length());
        }
        return out;
    }

    static List<String> simplifiedWords(String text) {
        String lower = text.toLowerCase(Locale.ROOT);
        List<String> words = new ArrayList<>();
        int start = -1;
        for (int i = 0; i <= lower.length(); i++) {
            boolean wordChar = i < lower.length() && Character.isLetterOrDigit(lower.charAt(i));
            if (wordChar && start < 0) start = i;
            if (!wordChar && start >= 0) {
                words.add(lower.substring(start, i));
                start = -1;
            }
        }
        return words;
    }

    /** a·x mod (2^61 − 1) for a, x < 2^61, using 2^61 ≡ 1 to fold the 122-bit product. */
    static long mulMod(long a, long x) {
        long lo = a * x;
        long hi = Math.multiplyHigh(a, x);
        long r = (lo & MERSENNE_61) + ((lo >>> 61) | (hi << 3));
        r = (r & MERSENNE_61) + (r >>> 61);
        return r >= MERSENNE_61 ? r - MERSENNE_61 : r;
    }

    static long addMod(long x, long y) {
        long r = x + y;
        return r >= MERSENNE_61 ? r - MERSENNE_61 : r;
    }
}
