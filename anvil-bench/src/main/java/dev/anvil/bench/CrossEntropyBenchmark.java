package dev.anvil.bench;

import dev.anvil.core.compute.ComputePool;
import dev.anvil.core.kernels.SoftmaxCrossEntropy;
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
 * Fused softmax cross-entropy over GPT-2's vocabulary (V = 50257) for N = 256 rows (B = 4, T = 64).
 * The logits are N·V·4 = 51 MB.
 *
 * <p>Bytes touched per call (minimum traffic, 4 bytes per element):
 * <ul>
 *   <li>forward: read logits (N·V) and targets (N); write losses and lse (2·N): 4·(N·V + 3·N).
 *       The kernel reads each row twice (max, then Σ exp), the second time from L2.</li>
 *   <li>backward, accumulating into a separate dLogits: read logits (N·V), read and write dLogits
 *       (2·N·V), read lse and targets (2·N): 4·(3·N·V + 2·N).</li>
 *   <li>forward + backward in place (the training pattern: the logits buffer becomes its own
 *       gradient): forward's traffic plus read and write of logits: 4·(3·N·V + 5·N).</li>
 * </ul>
 * The {@code gigabytes} auxiliary counter is reported by JMH as a rate (GB/s). Each element also
 * costs one exp per pass (forward's Σ exp and backward's softmax), so the kernel can be bound by
 * exp throughput rather than bandwidth; {@code gexp} counts exponentials (G/s).
 *
 * <p>Run: {@code java --add-modules jdk.incubator.vector -jar anvil-bench/target/benchmarks.jar CrossEntropyBenchmark}
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-XX:+UseParallelGC", "-Xmx2g"})
public class CrossEntropyBenchmark {

    @State(Scope.Thread)
    public static class Problem {
        @Param({"256"})
        public int N;

        @Param({"50257"})
        public int V;

        /** Compute-pool threads; 0 keeps the default (all cores). */
        @Param({"1", "0"})
        public int threads;

        float[] logits, dLogits, work, losses, lse;
        int[] targets;
        float scale;
        double forwardGb, backwardGb, fusedGb, nvGexp;

        @Setup(Level.Trial)
        public void setUp() {
            if (threads > 0) ComputePool.setDefaultThreads(threads);
            SplittableRandom rng = new SplittableRandom(1);
            logits = new float[N * V];
            for (int i = 0; i < logits.length; i++) logits[i] = (float) rng.nextGaussian() * 2f;
            work = logits.clone();
            dLogits = new float[N * V];
            targets = new int[N];
            for (int r = 0; r < N; r++) targets[r] = r % 10 == 0 ? -100 : rng.nextInt(V);   // some ignored rows
            losses = new float[N];
            lse = new float[N];
            int counted = SoftmaxCrossEntropy.forward(losses, 0, lse, 0, logits, 0, targets, 0, N, V, -100);
            scale = 1f / counted;
            double nv = (double) N * V;
            forwardGb = 4 * (nv + 3.0 * N) / 1e9;
            backwardGb = 4 * (3 * nv + 2.0 * N) / 1e9;
            fusedGb = 4 * (3 * nv + 5.0 * N) / 1e9;
            nvGexp = nv / 1e9;
        }
    }

    /** Reported by JMH as rates: GB/s of minimum traffic and G exponentials/s. */
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class Traffic {
        public double gigabytes;
        public double gexp;

        @Setup(Level.Iteration)
        public void reset() {
            gigabytes = 0;
            gexp = 0;
        }
    }

    @Benchmark
    public int forward(Problem p, Traffic t) {
        int counted = SoftmaxCrossEntropy.forward(p.losses, 0, p.lse, 0, p.logits, 0, p.targets, 0, p.N, p.V, -100);
        t.gigabytes += p.forwardGb;
        t.gexp += p.nvGexp;
        return counted;
    }

    @Benchmark
    public float[] backward(Problem p, Traffic t) {
        // dLogits accumulates; rows sum to zero, so values stay bounded and the work is constant.
        SoftmaxCrossEntropy.backward(p.dLogits, 0, p.logits, 0, p.lse, 0, p.targets, 0, p.N, p.V, -100, p.scale);
        t.gigabytes += p.backwardGb;
        t.gexp += p.nvGexp;
        return p.dLogits;
    }

    @Benchmark
    public float[] forwardBackwardInPlace(Problem p, Traffic t) {
        // The buffer is overwritten with its gradient each call; later calls therefore run on
        // gradient values, which costs the same (exp has no value-dependent branches).
        SoftmaxCrossEntropy.forward(p.losses, 0, p.lse, 0, p.work, 0, p.targets, 0, p.N, p.V, -100);
        SoftmaxCrossEntropy.backward(p.work, 0, p.work, 0, p.lse, 0, p.targets, 0, p.N, p.V, -100, p.scale);
        t.gigabytes += p.fusedGb;
        t.gexp += 2 * p.nvGexp;
        return p.work;
    }
}
