package dev.anvil.bench;

import dev.anvil.core.compute.ComputePool;
import dev.anvil.core.kernels.Gemm;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * SGEMM time per call at training shapes. GFLOP/s = 2·M·N·K / (ms/op · 1e6).
 *
 * <pre>
 *   ./mvnw -q -B -DskipTests -pl anvil-bench -am package
 *   java --add-modules jdk.incubator.vector -jar anvil-bench/target/benchmarks.jar GemmBenchmark
 *   java --add-modules jdk.incubator.vector -jar anvil-bench/target/benchmarks.jar GemmBenchmark \
 *        -p shape=256x2304x768:NT -p threads=1
 * </pre>
 * Shapes are {@code M×N×K:layout}; NN is A·B, NT is A·Bᵀ (a Linear layer's forward), TN is Aᵀ·B
 * (its weight gradient). Runs are kept short (3 × 1 s warm-up, 5 × 1 s measured, one fork).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-XX:+UseParallelGC"})
public class GemmBenchmark {

    @Param({"1024x1024x1024:NN", "768x3072x768:NN", "256x2304x768:NN", "256x2304x768:NT", "768x2304x256:TN", "2048x2048x2048:NN"})
    public String shape;

    @Param({"2"})
    public int threads;

    private ComputePool pool;
    private boolean transA, transB;
    private int m, n, k, lda, ldb;
    private float[] a, b, c;

    @Setup
    public void setUp() {
        String[] dimsAndLayout = shape.split(":");
        String[] dims = dimsAndLayout[0].split("x");
        m = Integer.parseInt(dims[0]);
        n = Integer.parseInt(dims[1]);
        k = Integer.parseInt(dims[2]);
        String layout = dimsAndLayout.length > 1 ? dimsAndLayout[1] : "NN";
        transA = layout.charAt(0) == 'T';
        transB = layout.charAt(1) == 'T';
        lda = transA ? m : k;
        ldb = transB ? k : n;
        SplittableRandom rng = new SplittableRandom(42);
        a = new float[m * k];
        b = new float[k * n];
        c = new float[m * n];
        for (int i = 0; i < a.length; i++) a[i] = (float) rng.nextDouble(-1, 1);
        for (int i = 0; i < b.length; i++) b[i] = (float) rng.nextDouble(-1, 1);
        pool = ComputePool.create(threads);
    }

    @TearDown
    public void tearDown() {
        pool.close();
    }

    @Benchmark
    public float[] sgemm() {
        Gemm.sgemm(pool, transA, transB, m, n, k, 1f, a, 0, lda, b, 0, ldb, 0f, c, 0, n);
        return c;
    }
}
