package dev.anvil.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.anvil.core.compute.ComputePool;
import dev.anvil.core.kernels.Gemm;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code anvil bench gemm}: median GFLOP/s of SGEMM at one shape. */
@Command(name = "gemm", mixinStandardHelpOptions = true,
        description = "Times C = A·B (or a transposed layout) and prints the median GFLOP/s.")
public final class GemmBenchCommand implements Callable<Integer> {

    @Option(names = "--m", defaultValue = "1024", description = "Rows of C (default: ${DEFAULT-VALUE}).") int m;
    @Option(names = "--n", defaultValue = "1024", description = "Columns of C (default: ${DEFAULT-VALUE}).") int n;
    @Option(names = "--k", defaultValue = "1024", description = "Inner dimension (default: ${DEFAULT-VALUE}).") int k;
    @Option(names = "--layout", defaultValue = "NN", description = "NN (A·B), NT (A·Bᵀ) or TN (Aᵀ·B) (default: ${DEFAULT-VALUE}).") String layout;
    @Option(names = "--repeats", defaultValue = "15", description = "Timed runs; the median is reported (default: ${DEFAULT-VALUE}).") int repeats;
    @Option(names = "--warmup-seconds", defaultValue = "2", description = "JIT warm-up time (default: ${DEFAULT-VALUE}).") double warmupSeconds;
    @Option(names = "--json", description = "Print one JSON object instead of a sentence.") boolean json;

    @Override
    public Integer call() throws Exception {
        if (m < 1 || n < 1 || k < 1) throw new IllegalArgumentException("--m, --n and --k must be positive, got " + m + "×" + n + "×" + k);
        if (repeats < 1) throw new IllegalArgumentException("--repeats must be positive, got " + repeats);
        boolean ta = switch (layout.toUpperCase()) { case "NN", "NT" -> false; case "TN" -> true; default -> throw new IllegalArgumentException("--layout must be NN, NT or TN, got " + layout); };
        boolean tb = layout.equalsIgnoreCase("NT");
        ComputePool pool = ComputePool.shared();
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
            long t0 = System.nanoTime();
            once.run();
            seconds[r] = (System.nanoTime() - t0) / 1e9;
        }
        Arrays.sort(seconds);
        double median = seconds[repeats / 2];
        double gflops = 2.0 * m * n * k / median / 1e9;
        if (json) {
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("m", m); out.put("n", n); out.put("k", k); out.put("layout", layout.toUpperCase());
            out.put("threads", pool.threads()); out.put("median_ms", median * 1e3); out.put("gflops", gflops);
            System.out.println(new ObjectMapper().writeValueAsString(out));
        } else {
            System.out.printf("sgemm %s %d×%d×%d on %d threads: %.1f GFLOP/s (median of %d, %.3f ms)%n",
                    layout.toUpperCase(), m, n, k, pool.threads(), gflops, repeats, median * 1e3);
        }
        return 0;
    }
}
