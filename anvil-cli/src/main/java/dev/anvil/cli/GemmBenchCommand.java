package dev.anvil.cli;

import dev.anvil.core.compute.ComputePool;
import dev.anvil.core.kernels.Gemm;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code anvil bench gemm}: median GFLOP/s of SGEMM at one shape. */
@Command(name = "gemm", mixinStandardHelpOptions = true,
        description = "Times C = A·B (or a transposed layout) and prints the median GFLOP/s.",
        footer = {"", "Examples:", "  bin/anvil bench gemm --m 1024 --n 1024 --k 1024", "  bin/anvil bench gemm --m 256 --n 2304 --k 768 --layout NT --threads 2 --json", "  bin/anvil --threads 1 bench gemm --m 2048 --n 2048 --k 2048 --cpu-time"})
public final class GemmBenchCommand implements Callable<Integer> {

    @Option(names = "--m", defaultValue = "1024", description = "Rows of C (default: ${DEFAULT-VALUE}).") int m;
    @Option(names = "--n", defaultValue = "1024", description = "Columns of C (default: ${DEFAULT-VALUE}).") int n;
    @Option(names = "--k", defaultValue = "1024", description = "Inner dimension (default: ${DEFAULT-VALUE}).") int k;
    @Option(names = "--layout", defaultValue = "NN", description = "NN (A·B), NT (A·Bᵀ) or TN (Aᵀ·B) (default: ${DEFAULT-VALUE}).") String layout;
    @Option(names = {"--runs", "--repeats"}, defaultValue = "15", description = "Timed runs; the median is reported (default: ${DEFAULT-VALUE}).") int repeats;
    @Option(names = "--warmup-seconds", defaultValue = "2", description = "JIT warm-up time (default: ${DEFAULT-VALUE}).") double warmupSeconds;
    @Option(names = "--cpu-time", description = "Time by the calling thread's CPU time instead of the wall clock (needs --threads 1): on a machine busy with other jobs it measures the kernel, not the scheduler.") boolean cpuTime;

    @Override
    public Integer call() throws Exception {
        if (m < 1 || n < 1 || k < 1) throw new UsageException("--m, --n and --k must be positive, got " + m + "×" + n + "×" + k);
        if (repeats < 1) throw new UsageException("--runs must be positive, got " + repeats);
        boolean ta = switch (layout.toUpperCase()) { case "NN", "NT" -> false; case "TN" -> true; default -> throw new UsageException("--layout must be NN, NT or TN, got " + layout); };
        boolean tb = layout.equalsIgnoreCase("NT");
        ComputePool pool = ComputePool.shared();
        if (cpuTime && pool.threads() != 1) throw new UsageException("--cpu-time times the calling thread only: add --threads 1");
        java.lang.management.ThreadMXBean threadClock = java.lang.management.ManagementFactory.getThreadMXBean();
        SplittableRandom rng = new SplittableRandom(42);
        float[] a = new float[m * k], b = new float[k * n], c = new float[m * n];
        for (int i = 0; i < a.length; i++) a[i] = (float) rng.nextDouble(-1, 1);
        for (int i = 0; i < b.length; i++) b[i] = (float) rng.nextDouble(-1, 1);
        int lda = ta ? m : k, ldb = tb ? k : n;
        Runnable once = () -> Gemm.sgemm(pool, ta, tb, m, n, k, 1f, a, 0, lda, b, 0, ldb, 0f, c, 0, n);
        long warmEnd = System.nanoTime() + (long) (warmupSeconds * 1e9);
        do once.run(); while (System.nanoTime() < warmEnd);
        double[] seconds = new double[repeats];
        for (int r = 0; r < repeats; r++) {
            long t0 = cpuTime ? threadClock.getCurrentThreadCpuTime() : System.nanoTime();
            once.run();
            seconds[r] = ((cpuTime ? threadClock.getCurrentThreadCpuTime() : System.nanoTime()) - t0) / 1e9;
        }
        Arrays.sort(seconds);
        double median = seconds[repeats / 2];
        double gflops = 2.0 * m * n * k / median / 1e9;
        Output.result(Output.object().put("m", m).put("n", n).put("k", k).put("layout", layout.toUpperCase()).put("threads", pool.threads()).put("clock", cpuTime ? "thread CPU time" : "wall")
                        .put("median_ms", median * 1e3).put("gflops", gflops).put("kernel", Gemm.kernelDescription()),
                () -> System.out.printf("sgemm %s %d×%d×%d on %d threads: %.1f GFLOP/s (median of %d, %.3f ms)%n%s%n",
                        layout.toUpperCase(), m, n, k, pool.threads(), gflops, repeats, median * 1e3, Gemm.kernelDescription()));
        return 0;
    }
}
