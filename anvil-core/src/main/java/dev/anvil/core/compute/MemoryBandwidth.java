package dev.anvil.core.compute;

import java.util.Arrays;

/**
 * A quick probe of the machine's read bandwidth, the ceiling for single-token decoding (which reads
 * every weight once per token). It compares two equal int arrays with {@link Arrays#mismatch} — a
 * vectorised intrinsic that only reads (a plain summing loop is compute bound well below cache
 * bandwidth) — split over the compute pool's threads, as the decode kernels are. Arrays larger than
 * the last-level cache measure DRAM. The JMH {@code MemoryBandwidthBenchmark} in anvil-bench is the
 * careful version; this one takes about a second, for reports.
 */
public final class MemoryBandwidth {
    private MemoryBandwidth() {}

    /** Bytes per second read, the best of five timed passes (after one untimed) over two arrays of {@code bytesPerArray}. */
    public static double read(long bytesPerArray) {
        if (bytesPerArray < 4) throw new IllegalArgumentException("memory bandwidth: arrays of at least 4 bytes, got " + bytesPerArray);
        int n = (int) Math.min(Integer.MAX_VALUE - 8, bytesPerArray / 4);
        int[] a = new int[n], b = new int[n];
        for (int i = 0; i < n; i++) a[i] = b[i] = i * 31;
        ComputePool pool = ComputePool.shared();
        int pieces = pool.threads() * 8;
        double best = 0;
        int[] unequal = new int[pieces];
        for (int pass = 0; pass < 6; pass++) {
            long t0 = System.nanoTime();
            pool.run(pieces, k -> {
                int from = (int) ((long) n * k / pieces), to = (int) ((long) n * (k + 1) / pieces);
                if (Arrays.mismatch(a, from, to, b, from, to) >= 0) unequal[k]++;
            });
            double seconds = (System.nanoTime() - t0) / 1e9;
            if (pass > 0) best = Math.max(best, 8.0 * n / seconds);
        }
        for (int u : unequal) if (u != 0) throw new IllegalStateException("memory bandwidth: equal arrays compared unequal");
        return best;
    }
}
