package dev.anvil.bench;

import dev.anvil.core.compute.ComputePool;
import dev.anvil.core.compute.MemoryBandwidth;
import dev.anvil.core.random.Rng;
import dev.anvil.core.tensor.DType;
import dev.anvil.core.tensor.Weight;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Decode-step weight streaming per dtype: one "token" is a {@link Weight#matVec} by every matrix
 * of a 110M Llama (llama2.c's stories110M: 12 layers of q, k, v, o [768×768], gate, up [2048×768],
 * down [768×2048], and the output [32000×768]), the weights random. Even Q4_0's 62 MB exceeds a
 * 32 MB L3, so every token streams its weights from DRAM, as decoding does. GB/s is the stored
 * bytes read per token over the median token time, and over the best one (MemoryBandwidth.read
 * itself is a best of five); the ceiling is {@link MemoryBandwidth#read} (2 × 256 MB arrays) in
 * the same process, measured before and after (their median is the reference). Rows/s compares BF16 with F32 (BF16 reads half the bytes per row).
 *
 * <p>A second table times {@link Weight#matMul} with N inputs against N matVecs on the
 * [32000×768] output matrix, the figure that chose {@code SegmentWeight.FEW_INPUTS}.
 *
 * <p>Run (quiet machine, {@code nice} when sharing):
 * {@code java --add-modules jdk.incubator.vector -Xmx4g -cp anvil-core/target/classes:anvil-bench/target/classes
 * dev.anvil.bench.WeightMatVecBenchmark [tokens=30] [dtypes=F32,BF16,F16,Q8_0,Q4_0,Q6_K]}
 */
public final class WeightMatVecBenchmark {

    private static final int DIM = 768, HIDDEN = 2048, LAYERS = 12, VOCAB = 32000;

    public static void main(String[] args) {
        int tokens = args.length > 0 ? Integer.parseInt(args[0]) : 30;
        String[] dtypes = (args.length > 1 ? args[1] : "F32,BF16,F16,Q8_0,Q4_0,Q6_K").split(",");
        ComputePool pool = ComputePool.shared();
        System.out.printf(Locale.ROOT, "threads %d, %s, vector %d bits%n", pool.threads(), System.getProperty("java.vm.version"),
                jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.vectorBitSize());
        List<Double> ceilings = new ArrayList<>();
        ceilings.add(MemoryBandwidth.read(256L << 20));
        List<Row> table = new ArrayList<>();
        for (String name : dtypes) {
            DType dtype = DType.valueOf(name.trim());
            table.add(measure(name, model(dtype), tokens));
        }
        ceilings.add(MemoryBandwidth.read(256L << 20));
        double ceiling = median(ceilings.stream().mapToDouble(Double::doubleValue).toArray());
        System.out.printf(Locale.ROOT, "MemoryBandwidth.read: %s GB/s (median %.1f)%n",
                ceilings.stream().map(c -> String.format(Locale.ROOT, "%.1f", c / 1e9)).toList(), ceiling / 1e9);
        double f32RowsPerSecond = table.stream().filter(r -> r.name.equals("F32")).mapToDouble(r -> r.rows / r.medianSeconds).findFirst().orElse(0);
        System.out.println("| dtype | bytes per token | median token | GB/s | fraction of read | best token | GB/s | fraction | rows/s vs F32 |");
        System.out.println("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        for (Row r : table) {
            double median = r.bytes / r.medianSeconds, best = r.bytes / r.bestSeconds;
            System.out.printf(Locale.ROOT, "| %s | %.1f MB | %.2f ms | %.1f | %.2f | %.2f ms | %.1f | %.2f | %s |%n", r.name, r.bytes / 1e6,
                    r.medianSeconds * 1e3, median / 1e9, median / ceiling, r.bestSeconds * 1e3, best / 1e9, best / ceiling,
                    f32RowsPerSecond > 0 ? String.format(Locale.ROOT, "%.2f×", r.rows / r.medianSeconds / f32RowsPerSecond) : "–");
        }
        System.out.println();
        System.out.println("matMul with N inputs vs N matVecs, [32000×768] (median ms per call)");
        System.out.println("| dtype | N | matMul | N × matVec |");
        System.out.println("|---|---:|---:|---:|");
        for (String name : dtypes) {
            Weight w = matrix(DType.valueOf(name.trim()), VOCAB, DIM, new Rng(5));
            for (int n : new int[] {2, 3, 4, 5, 8}) {
                double[] t = matMulVersusMatVecs(w, n, Math.max(5, tokens / 2));
                System.out.printf(Locale.ROOT, "| %s | %d | %.2f | %.2f |%n", name, n, t[0] * 1e3, t[1] * 1e3);
            }
        }
    }

    private record Row(String name, long bytes, long rows, double medianSeconds, double bestSeconds) {}

    private static Row measure(String name, List<Weight> model, int tokens) {
        double[] times = tokenSeconds(model, tokens);
        return new Row(name, model.stream().mapToLong(Weight::byteSize).sum(), model.stream().mapToLong(Weight::rows).sum(),
                median(times), Arrays.stream(times).min().orElseThrow());
    }

    /** Every weight matrix of the model, in the order one token reads them. */
    private static List<Weight> model(DType dtype) {
        Rng rng = new Rng(1);
        List<Weight> m = new ArrayList<>();
        for (int l = 0; l < LAYERS; l++) {
            for (int i = 0; i < 4; i++) m.add(matrix(dtype, DIM, DIM, rng));
            m.add(matrix(dtype, HIDDEN, DIM, rng));
            m.add(matrix(dtype, HIDDEN, DIM, rng));
            m.add(matrix(dtype, DIM, HIDDEN, rng));
        }
        m.add(matrix(dtype, VOCAB, DIM, rng));
        return m;
    }

    /**
     * Random weights in native memory, as mapped files are: quantized from Gaussians, or for Q6_K
     * (no quantizer) random blocks with a small finite scale. (Heap segments in the same process
     * would slow every kernel: C2 then compiles the loads for either kind.)
     */
    private static Weight matrix(DType dtype, int rows, int cols, Rng rng) {
        if (dtype == DType.Q6_K) {
            byte[] b = new byte[(int) (rows * dtype.byteSize(cols))];
            for (int i = 0; i < b.length; i++) b[i] = (byte) rng.nextInt(256);
            for (int at = 208; at < b.length; at += 210) {
                b[at] = 0;
                b[at + 1] = 0x10; // f16 0x1000 ≈ 6e-5
            }
            MemorySegment bytes = Arena.ofAuto().allocate(b.length, 64).copyFrom(MemorySegment.ofArray(b));
            return Weight.wrap(dtype, bytes, rows, cols);
        }
        float[] values = new float[rows * cols];
        for (int i = 0; i < values.length; i++) values[i] = (float) (rng.nextGaussian() * 0.02);
        return Weight.quantize(dtype, values, 0, rows, cols);
    }

    /** Wall times of passes of matVecs over the model, after untimed passes (at least 2 s) for the JIT. */
    private static double[] tokenSeconds(List<Weight> model, int tokens) {
        float[] x = new float[HIDDEN], out = new float[VOCAB];
        Rng rng = new Rng(2);
        for (int i = 0; i < x.length; i++) x[i] = (float) rng.nextGaussian();
        long warmUntil = System.nanoTime() + 2_000_000_000L;
        for (int t = 0; t < 3 || System.nanoTime() < warmUntil; t++) for (Weight w : model) w.matVec(x, 0, out, 0);
        double[] times = new double[tokens];
        for (int t = 0; t < tokens; t++) {
            long t0 = System.nanoTime();
            for (Weight w : model) w.matVec(x, 0, out, 0);
            times[t] = (System.nanoTime() - t0) / 1e9;
        }
        return times;
    }

    private static double[] matMulVersusMatVecs(Weight w, int n, int repeats) {
        float[] in = new float[n * w.cols()], out = new float[n * w.rows()];
        Rng rng = new Rng(3);
        for (int i = 0; i < in.length; i++) in[i] = (float) rng.nextGaussian();
        double[] mm = new double[repeats], mv = new double[repeats];
        for (int rep = -3; rep < repeats; rep++) {
            long t0 = System.nanoTime();
            w.matMul(in, 0, n, out, 0);
            long t1 = System.nanoTime();
            for (int i = 0; i < n; i++) w.matVec(in, i * w.cols(), out, i * w.rows());
            long t2 = System.nanoTime();
            if (rep >= 0) {
                mm[rep] = (t1 - t0) / 1e9;
                mv[rep] = (t2 - t1) / 1e9;
            }
        }
        return new double[] {median(mm), median(mv)};
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
