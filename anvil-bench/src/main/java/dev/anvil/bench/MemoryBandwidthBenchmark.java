package dev.anvil.bench;

import dev.anvil.core.compute.ComputePool;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * The machine's bandwidth, as the yardstick for the kernels' GB/s: a read-only pass (comparing
 * two equal arrays with {@link Arrays#mismatch}, which HotSpot runs as a vectorised intrinsic,
 * counted as 2 × size; a plain summing loop is compute bound at about a quarter of L2 bandwidth),
 * a copy (read + write, counted STREAM-style as 2 × size although write-allocate may add a read
 * of the destination) and a fill (write only). All run on the compute pool, split over its
 * threads like a kernel.
 *
 * <p>Sizes are chosen to sit in L2 (1 MB), in a large L3 (64 MB) and in DRAM (512 MB; two such
 * arrays exceed the 260 MB L3 of the Xeon this was written on). The
 * {@code gigabytes} auxiliary counter is reported by JMH as GB/s.
 *
 * <p>Run: {@code java -jar anvil-bench/target/benchmarks.jar MemoryBandwidthBenchmark}
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-XX:+UseParallelGC", "-Xmx3g"})
public class MemoryBandwidthBenchmark {

    @State(Scope.Thread)
    public static class Arrays2 {
        /** Bytes per array. */
        @Param({"1048576", "67108864", "536870912"})
        public long bytes;

        /** Compute-pool threads; 0 keeps the default (all cores). */
        @Param({"1", "0"})
        public int threads;

        int[] src, dst;
        int n;

        @Setup(Level.Trial)
        public void setUp() {
            if (threads > 0) ComputePool.setDefaultThreads(threads);
            n = (int) (bytes / 4);
            src = new int[n];
            dst = new int[n];
            for (int i = 0; i < n; i++) src[i] = i * 31;
            System.arraycopy(src, 0, dst, 0, n);
        }
    }

    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class Traffic {
        public double gigabytes;

        @Setup(Level.Iteration)
        public void reset() {
            gigabytes = 0;
        }
    }

    /** Pieces per call: several per thread so uneven cores balance. */
    private static final int PIECES = 64;

    @Benchmark
    public int read(Arrays2 a, Traffic t) {
        int[] found = new int[PIECES];
        int per = (a.n + PIECES - 1) / PIECES;
        ComputePool.shared().run(PIECES, k -> {
            int from = Math.min(a.n, k * per), to = Math.min(a.n, from + per);
            found[k] = Arrays.mismatch(a.src, from, to, a.dst, from, to);
        });
        t.gigabytes += 2 * a.bytes / 1e9;
        int m = 0;
        for (int f : found) m |= f;
        if (m != -1) throw new IllegalStateException("arrays differ");
        return m;
    }

    @Benchmark
    public int[] copy(Arrays2 a, Traffic t) {
        int per = (a.n + PIECES - 1) / PIECES;
        ComputePool.shared().run(PIECES, k -> {
            int from = k * per, to = Math.min(a.n, from + per);
            if (from < to) System.arraycopy(a.src, from, a.dst, from, to - from);
        });
        t.gigabytes += 2 * a.bytes / 1e9;
        return a.dst;
    }

    @Benchmark
    public int[] fill(Arrays2 a, Traffic t) {
        int per = (a.n + PIECES - 1) / PIECES;
        ComputePool.shared().run(PIECES, k -> {
            int from = k * per, to = Math.min(a.n, from + per);
            if (from < to) Arrays.fill(a.dst, from, to, k);
        });
        t.gigabytes += a.bytes / 1e9;
        return a.dst;
    }
}
