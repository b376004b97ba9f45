package dev.anvil.bench;

import dev.anvil.core.compute.ComputePool;
import dev.anvil.core.kernels.LayerNorm;
import dev.anvil.core.kernels.RmsNorm;
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

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * LayerNorm and RMSNorm forward and backward at GPT-2 small's width (C = 768) over N = B·T rows
 * (B = 4, T = 64 … 256).
 *
 * <p>Bytes touched per call, counting every array element read or written once (4 bytes each; the
 * minimum traffic, i.e. what a perfectly streaming kernel would move):
 * <ul>
 *   <li>LayerNorm forward: read in (N·C), weight and bias (2·C); write out (N·C), mean and rstd (2·N):
 *       4·(2·N·C + 2·C + 2·N).</li>
 *   <li>LayerNorm backward: read dOut, in (2·N·C), weight (C), mean, rstd (2·N); read and write dIn
 *       (2·N·C), dWeight and dBias (4·C): 4·(4·N·C + 5·C + 2·N).</li>
 *   <li>RMSNorm forward: read in (N·C), weight (C); write out (N·C), rstd (N): 4·(2·N·C + C + N).</li>
 *   <li>RMSNorm backward: read dOut, in (2·N·C), weight (C), rstd (N); read and write dIn (2·N·C),
 *       dWeight (2·C): 4·(4·N·C + 3·C + N).</li>
 * </ul>
 * The {@code gigabytes} auxiliary counter is reported by JMH as a rate, i.e. GB/s of that minimum
 * traffic; compare it with {@link MemoryBandwidthBenchmark} at a similar working set (N = 256 is
 * 0.8 MB per [N, C] array, which lives in L2 on most server cores).
 *
 * <p>Run: {@code java --add-modules jdk.incubator.vector -jar anvil-bench/target/benchmarks.jar NormBenchmark}
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-XX:+UseParallelGC"})
public class NormBenchmark {

    @State(Scope.Thread)
    public static class Problem {
        /** Rows N = B·T with B = 4 and T = 64, 128, 256. */
        @Param({"256", "512", "1024"})
        public int N;

        @Param({"768"})
        public int C;

        /** Compute-pool threads; 0 keeps the default (all cores). */
        @Param({"1", "0"})
        public int threads;

        float[] in, out, weight, bias, mean, rstd, dOut, dIn, dWeight, dBias;
        double layerNormForwardGb, layerNormBackwardGb, rmsNormForwardGb, rmsNormBackwardGb;

        @Setup(Level.Trial)
        public void setUp() {
            if (threads > 0) ComputePool.setDefaultThreads(threads);
            SplittableRandom rng = new SplittableRandom(1);
            in = random(rng, N * C, -2, 2);
            dOut = random(rng, N * C, -1, 1);
            weight = random(rng, C, 0.5, 1.5);
            bias = random(rng, C, -0.5, 0.5);
            out = new float[N * C];
            dIn = new float[N * C];
            dWeight = new float[C];
            dBias = new float[C];
            mean = new float[N];
            rstd = new float[N];
            double nc = (double) N * C;
            layerNormForwardGb = 4 * (2 * nc + 2.0 * C + 2.0 * N) / 1e9;
            layerNormBackwardGb = 4 * (4 * nc + 5.0 * C + 2.0 * N) / 1e9;
            rmsNormForwardGb = 4 * (2 * nc + C + N) / 1e9;
            rmsNormBackwardGb = 4 * (4 * nc + 3.0 * C + N) / 1e9;
            LayerNorm.forward(out, 0, mean, 0, rstd, 0, in, 0, weight, 0, bias, 0, N, C, 1e-5f);
        }

        private static float[] random(SplittableRandom rng, int n, double lo, double hi) {
            float[] x = new float[n];
            for (int i = 0; i < n; i++) x[i] = (float) rng.nextDouble(lo, hi);
            return x;
        }
    }

    /** Reported by JMH as a rate: GB/s of minimum traffic (see the class comment). */
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class Traffic {
        public double gigabytes;

        @Setup(Level.Iteration)
        public void reset() {
            gigabytes = 0;
        }
    }

    @Benchmark
    public float[] layerNormForward(Problem p, Traffic t) {
        LayerNorm.forward(p.out, 0, p.mean, 0, p.rstd, 0, p.in, 0, p.weight, 0, p.bias, 0, p.N, p.C, 1e-5f);
        t.gigabytes += p.layerNormForwardGb;
        return p.out;
    }

    @Benchmark
    public float[] layerNormBackward(Problem p, Traffic t) {
        // Gradients accumulate; their growing values do not change the work done.
        LayerNorm.backward(p.dIn, 0, p.dWeight, 0, p.dBias, 0, p.dOut, 0, p.in, 0, p.weight, 0, p.mean, 0, p.rstd, 0, p.N, p.C);
        t.gigabytes += p.layerNormBackwardGb;
        return p.dIn;
    }

    @Benchmark
    public float[] rmsNormForward(Problem p, Traffic t) {
        RmsNorm.forward(p.out, 0, p.rstd, 0, p.in, 0, p.weight, 0, p.N, p.C, 1e-5f);
        t.gigabytes += p.rmsNormForwardGb;
        return p.out;
    }

    @Benchmark
    public float[] rmsNormBackward(Problem p, Traffic t) {
        RmsNorm.backward(p.dIn, 0, p.dWeight, 0, p.dOut, 0, p.in, 0, p.weight, 0, p.rstd, 0, p.N, p.C);
        t.gigabytes += p.rmsNormBackwardGb;
        return p.dIn;
    }
}
