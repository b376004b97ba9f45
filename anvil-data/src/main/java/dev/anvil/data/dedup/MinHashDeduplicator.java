package dev.anvil.data.dedup;

import java.util.Arrays;
import java.util.BitSet;

/**
 * Fuzzy deduplication with MinHash LSH. Documents are added in a fixed order (their index is
 * their position); each gets a signature of {@code bands × rows} minhashes. Two documents are
 * candidates when all rows of some band agree, which for Jaccard similarity s happens with
 * probability 1 − (1 − s^rows)^bands (FineWeb's 14 × 8: 0.92 at s = 0.8, 0.05 at s = 0.5, 0.009
 * at s = 0.4). When {@code verifyJaccard} is set, a candidate pair is only joined when the
 * fraction of equal minhashes in the full signatures (an unbiased Jaccard estimate) reaches it,
 * which removes most of the false positives just below the threshold. Candidate pairs are joined
 * with union-find; each cluster keeps its earliest document.
 *
 * <p>Memory: 4 bytes per hash per document (signatures are kept as their low 32 bits, enough to
 * compare them), i.e. 448 bytes per document with the defaults.
 */
public final class MinHashDeduplicator {
    /** Parameters; {@code verifyJaccard} ≤ 0 disables verification (pure LSH, as FineWeb). */
    public record Config(int shingleSize, int bands, int rows, double verifyJaccard, long seed) {
        public static final Config DEFAULT = new Config(5, 14, 8, 0.65, 42);

        public Config {
            if (bands < 1 || rows < 1) throw new IllegalArgumentException("minhash bands and rows must be >= 1, got " + bands + " x " + rows);
            if (verifyJaccard > 1) throw new IllegalArgumentException("minhash verifyJaccard must be <= 1, got " + verifyJaccard);
        }
    }

    private final Config config;
    private final MinHasher hasher;
    private final int k;
    private int[] signatures = new int[0];
    private int size;

    public MinHashDeduplicator(Config config) {
        this.config = config;
        this.k = config.bands() * config.rows();
        this.hasher = new MinHasher(config.shingleSize(), k, config.seed());
    }

    /** Computes a document's signature (thread-safe, no state): {@code bands × rows} values. */
    public int[] signatureOf(String text) {
        long[] full = new long[k];
        hasher.signature(text, full, 0);
        int[] sig = new int[k];
        for (int i = 0; i < k; i++) sig[i] = (int) full[i];
        return sig;
    }

    /** Adds the next document (index = number added before it). */
    public int add(String text) {
        return addSignature(signatureOf(text));
    }

    public int addSignature(int[] sig) {
        if (sig.length != k) throw new IllegalArgumentException("signature has " + sig.length + " values, expected " + k);
        if ((long) (size + 1) * k > signatures.length) signatures = Arrays.copyOf(signatures, Math.max(k * 1024, signatures.length * 2));
        System.arraycopy(sig, 0, signatures, size * k, k);
        return size++;
    }

    public int size() {
        return size;
    }

    /** The outcome of clustering: the indices to remove (every member but the earliest) and how many clusters of two or more there are. */
    public record Clusters(BitSet duplicates, int count) {}

    /** Clusters the added documents; the returned set holds the indices to remove (every member but the earliest). */
    public BitSet duplicates() {
        return clusters().duplicates();
    }

    /** Clusters the added documents (LSH buckets, verified pairs, union-find). */
    public Clusters clusters() {
        UnionFind uf = new UnionFind(size);
        long[] keys = new long[size];
        Integer[] order = new Integer[size];
        int rows = config.rows();
        for (int band = 0; band < config.bands(); band++) {
            for (int d = 0; d < size; d++) {
                keys[d] = bandKey(signatures, d * k, band, rows);
                order[d] = d;
            }
            // Sort documents by band key (ties by index) so that each bucket is a contiguous run.
            Arrays.sort(order, (x, y) -> keys[x] != keys[y] ? Long.compare(keys[x], keys[y]) : Integer.compare(x, y));
            for (int i = 0; i < size; ) {
                int j = i + 1;
                while (j < size && keys[order[j]] == keys[order[i]]) j++;
                for (int m = i + 1; m < j; m++) {
                    // Compare against the bucket's first member; a bucket of near-duplicates is a star around it.
                    if (verified(order[i], order[m])) uf.union(order[i], order[m]);
                    else {
                        for (int q = i + 1; q < m; q++) if (verified(order[q], order[m])) { uf.union(order[q], order[m]); break; }
                    }
                }
                i = j;
            }
        }
        BitSet remove = new BitSet(size);
        BitSet rootsWithMembers = new BitSet(size);
        for (int d = 0; d < size; d++) {
            int root = uf.find(d);
            if (root != d) {
                remove.set(d);
                rootsWithMembers.set(root);
            }
        }
        return new Clusters(remove, rootsWithMembers.cardinality());
    }

    /** The LSH bucket key of one band of the signature at {@code sig[offset, offset + bands × rows)}; shared with anvil-spark. */
    public static long bandKey(int[] sig, int offset, int band, int rows) {
        long h = band * 0x9E3779B97F4A7C15L;
        int base = offset + band * rows;
        for (int r = 0; r < rows; r++) h = TextHashes.mix(h ^ (sig[base + r] & 0xffffffffL)) + r;
        return h;
    }

    private boolean verified(int x, int y) {
        if (config.verifyJaccard() <= 0) return true;
        return estimatedJaccard(x, y) >= config.verifyJaccard();
    }

    /** Fraction of equal minhashes between two added documents. */
    public double estimatedJaccard(int x, int y) {
        int same = 0;
        for (int i = 0; i < k; i++) if (signatures[x * k + i] == signatures[y * k + i]) same++;
        return (double) same / k;
    }
}
