package dev.anvil.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * libtorch's SGEMM through DJL, timed like {@code anvil bench gemm}: warm-up for a few seconds,
 * then the median of timed {@code matmul} calls. Transposed operands are transposed views, so
 * libtorch passes the transpose to its BLAS instead of copying.
 *
 * <pre>
 *   java -Dai.djl.offline=true -cp anvil-bench/target/anvil-bench-*.jar:$(cat anvil-bench/target/runtime-classpath.txt) \
 *        dev.anvil.bench.TorchGemmBench M N K NN|NT|TN THREADS [REPEATS] [WARMUP_SECONDS]
 * </pre>
 * Prints GFLOP/s on the last line.
 */
public final class TorchGemmBench {

    private TorchGemmBench() {}

    public static void main(String[] args) {
        if (args.length < 5) {
            System.err.println("usage: TorchGemmBench M N K NN|NT|TN THREADS [REPEATS] [WARMUP_SECONDS]");
            System.exit(2);
        }
        int m = Integer.parseInt(args[0]), n = Integer.parseInt(args[1]), k = Integer.parseInt(args[2]);
        String layout = args[3].toUpperCase(Locale.ROOT);
        int threads = Integer.parseInt(args[4]);
        int repeats = args.length > 5 ? Integer.parseInt(args[5]) : 15;
        double warmup = args.length > 6 ? Double.parseDouble(args[6]) : 2;
        // DJL's PyTorch engine reads these when it loads libtorch: torch.set_num_threads(threads).
        System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads));
        System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        boolean ta = layout.charAt(0) == 'T', tb = layout.charAt(1) == 'T';

        SplittableRandom rng = new SplittableRandom(42);
        float[] a = new float[m * k], b = new float[k * n];
        for (int i = 0; i < a.length; i++) a[i] = (float) rng.nextDouble(-1, 1);
        for (int i = 0; i < b.length; i++) b[i] = (float) rng.nextDouble(-1, 1);
        try (NDManager manager = NDManager.newBaseManager(Engine.getEngine("PyTorch").defaultDevice(), "PyTorch")) {
            NDArray aStored = manager.create(a, ta ? new Shape(k, m) : new Shape(m, k));
            NDArray bStored = manager.create(b, tb ? new Shape(n, k) : new Shape(k, n));
            NDArray opA = ta ? aStored.transpose() : aStored;
            NDArray opB = tb ? bStored.transpose() : bStored;
            long warmEnd = System.nanoTime() + (long) (warmup * 1e9);
            do {
                opA.matMul(opB).close();
            } while (System.nanoTime() < warmEnd);
            double[] seconds = new double[repeats];
            for (int r = 0; r < repeats; r++) {
                long t0 = System.nanoTime();
                NDArray c = opA.matMul(opB);
                seconds[r] = (System.nanoTime() - t0) / 1e9;
                c.close();
            }
            Arrays.sort(seconds);
            double median = seconds[repeats / 2];
            System.out.printf(Locale.ROOT, "%.1f%n", 2.0 * m * n * k / median / 1e9);
        }
    }
}
