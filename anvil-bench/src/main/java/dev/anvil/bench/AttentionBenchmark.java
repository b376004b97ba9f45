package dev.anvil.bench;

import dev.anvil.core.compute.ComputePool;
import dev.anvil.core.kernels.Attention;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
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

/**
 * Causal attention forward and backward at the shapes that matter: GPT-2 124M training
 * (B=4, T=64, 12 heads, D=64), a long prompt (B=1, T=1024) and one decode step against a
 * 1024-token KV cache (Tq=1, Tk=1024).
 *
 * <p>FLOP counts (multiply-adds count 2): per (batch, head), the causal (query, key) pairs are
 * pairs = Σ_{i<Tq} (Tk − Tq + i + 1) = Tq·(Tk − Tq) + Tq·(Tq + 1)/2.
 * Forward does S = Q·Kᵀ and O = P·V over those pairs: 4·B·H·D·pairs.
 * Backward recomputes S, and does dP = dO·Vᵀ, dV = Pᵀ·dO, dK = dSᵀ·Q and dQ = dS·K: 10·B·H·D·pairs.
 * The exponentials and the softmax bookkeeping (O(B·H·pairs)) are not counted.
 *
 * <p>The {@code gflop} auxiliary counter is reported as a rate, i.e. GFLOP/s.
 * Run: {@code java --add-modules jdk.incubator.vector -jar anvil-bench/target/benchmarks.jar AttentionBenchmark}
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-XX:+UseParallelGC"})
public class AttentionBenchmark {

    @State(Scope.Thread)
    public static class Problem {
        /** B × Tq × Tk × heads × D. */
        @Param({"train_B4_T64_H12_D64", "prefill_B1_T1024_H12_D64", "decode_B1_Tk1024_H12_D64"})
        public String shape;

        /** Compute-pool threads; 0 keeps the default (all cores). 1 isolates the kernel from scheduling. */
        @Param({"0"})
        public int threads;

        int B, Tq, Tk, H, D;
        float scale;
        float[] q, k, v, out, lse, dOut, dq, dk, dv;
        double forwardGflop, backwardGflop;

        @Setup(Level.Trial)
        public void setUp() {
            switch (shape) {
                case "train_B4_T64_H12_D64" -> { B = 4; Tq = 64; Tk = 64; H = 12; D = 64; }
                case "prefill_B1_T1024_H12_D64" -> { B = 1; Tq = 1024; Tk = 1024; H = 12; D = 64; }
                case "decode_B1_Tk1024_H12_D64" -> { B = 1; Tq = 1; Tk = 1024; H = 12; D = 64; }
                default -> throw new IllegalArgumentException("unknown shape " + shape);
            }
            if (threads > 0) ComputePool.setDefaultThreads(threads);
            scale = (float) (1 / Math.sqrt(D));
            SplittableRandom rng = new SplittableRandom(1);
            q = random(rng, B * Tq * H * D);
            k = random(rng, B * Tk * H * D);
            v = random(rng, B * Tk * H * D);
            dOut = random(rng, B * Tq * H * D);
            out = new float[B * Tq * H * D];
            lse = new float[B * H * Tq];
            dq = new float[q.length];
            dk = new float[k.length];
            dv = new float[v.length];
            double pairs = (double) Tq * (Tk - Tq) + (double) Tq * (Tq + 1) / 2;
            forwardGflop = 4.0 * B * H * D * pairs / 1e9;
            backwardGflop = 10.0 * B * H * D * pairs / 1e9;
            Attention.forward(out, 0, lse, 0, q, 0, k, 0, v, 0, B, Tq, Tk, H, H, D, scale);
        }

        private static float[] random(SplittableRandom rng, int n) {
            float[] x = new float[n];
            for (int i = 0; i < n; i++) x[i] = (float) rng.nextDouble(-1, 1);
            return x;
        }
    }

    /** Reported by JMH as a rate: GFLOP/s. */
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class Flops {
        public double gflop;

        @Setup(Level.Iteration)
        public void reset() {
            gflop = 0;
        }
    }

    @Benchmark
    public float[] forward(Problem p, Flops f) {
        Attention.forward(p.out, 0, p.lse, 0, p.q, 0, p.k, 0, p.v, 0, p.B, p.Tq, p.Tk, p.H, p.H, p.D, p.scale);
        f.gflop += p.forwardGflop;
        return p.out;
    }

    @Benchmark
    public float[] backward(Problem p, Flops f) {
        // Gradients accumulate; their growing values do not change the work done.
        Attention.backward(p.dq, 0, p.dk, 0, p.dv, 0, p.dOut, 0, p.out, 0, p.lse, 0, p.q, 0, p.k, 0, p.v, 0,
                p.B, p.Tq, p.Tk, p.H, p.H, p.D, p.scale);
        f.gflop += p.backwardGflop;
        return p.dq;
    }
}
