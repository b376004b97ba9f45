package dev.anvil.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.anvil.core.compute.ComputePool;
import dev.anvil.core.compute.MemoryBandwidth;
import dev.anvil.core.random.Rng;
import dev.anvil.core.tensor.DType;
import dev.anvil.core.tensor.ParameterBuffer;
import dev.anvil.core.tensor.Tensor;
import dev.anvil.core.tensor.Weight;
import dev.anvil.model.Heads;
import dev.anvil.model.ModelConfig;
import dev.anvil.model.TransformerLayout;
import dev.anvil.model.WeightSet;
import dev.anvil.model.gguf.TransformerGguf;
import dev.anvil.model.inference.BatchedEngine;
import dev.anvil.model.inference.DecodeTiming;
import dev.anvil.model.inference.KvBlockPool;
import dev.anvil.model.TrainedModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code anvil bench decode}: prefill and decode speed of the batched engine, one sequence or many. */
@Command(name = "decode", mixinStandardHelpOptions = true,
        description = "Times prompt processing (prefill) and token-by-token decoding through the batched engine with its paged KV cache; "
                + "prints tokens/s (aggregate over the batch), the weight bytes streamed against the memory bandwidth measured in the same process, "
                + "the KV memory and the peak RSS.",
        footer = {"", "Examples:", "  bin/anvil bench decode --model stories110m --weights q4_0 --threads 2",
                "  bin/anvil bench decode --model stories110m --weights bf16 --batch 16 --json",
                "  bin/anvil bench decode --model model-q4_0.gguf --runs 5"})
public final class DecodeBenchCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, paramLabel = "PATH|SHAPE",
            description = "A run, checkpoint or Hugging Face directory, a .gguf file (mapped, each matrix in its file dtype), a llama2.c .bin, "
                    + "or a random-weight Llama shape: stories15m, stories110m.")
    String model;

    @Option(names = "--weights", paramLabel = "TYPE",
            description = "Store the matrices as f32, bf16, f16, q8_0 or q4_0 (default: f32 for a shape or checkpoint, the file's own types for a .gguf).")
    String weights;

    @Option(names = "--batch", defaultValue = "1", paramLabel = "N", description = "Sequences decoded together, one GEMM per weight per step (default: ${DEFAULT-VALUE}).") int batch;
    @Option(names = "--prompt-tokens", defaultValue = "128", paramLabel = "N", description = "Prompt length per sequence (default: ${DEFAULT-VALUE}).") int promptTokens;
    @Option(names = "--decode-tokens", defaultValue = "128", paramLabel = "N", description = "Tokens decoded per sequence after its prompt (default: ${DEFAULT-VALUE}).") int decodeTokens;
    @Option(names = "--runs", defaultValue = "5", paramLabel = "N", description = "Timed runs; the median is reported (default: ${DEFAULT-VALUE}).") int runs;
    @Option(names = "--kv-budget-mb", paramLabel = "MB", description = "KV cache memory for the whole batch (default: exactly what the batch needs).") Long kvBudgetMb;
    @Option(names = "--warmup-seconds", defaultValue = "3", paramLabel = "S",
            description = "Untimed runs for at least this long first, so the JIT has compiled the kernels (default: ${DEFAULT-VALUE}).") double warmupSeconds;
    @Option(names = "--bandwidth-mb", defaultValue = "320", paramLabel = "MB",
            description = "Size of each of the two arrays the memory-bandwidth probe reads; 0 skips the probe (default: ${DEFAULT-VALUE}, larger than most L3 caches).") int bandwidthMb;

    @Override
    public Integer call() throws Exception {
        if (promptTokens < 1 || decodeTokens < 1 || runs < 1 || batch < 1) throw new UsageException("--prompt-tokens, --decode-tokens, --runs and --batch must be positive");
        if (warmupSeconds < 0 || bandwidthMb < 0) throw new UsageException("--warmup-seconds and --bandwidth-mb must not be negative");
        DType dtype = weights == null ? null : parseDtype(weights);
        try (Arena arena = Arena.ofShared()) {
            WeightSet ws = load(dtype, arena);
            ModelConfig config = ws.config();
            if (promptTokens + decodeTokens > config.contextLength()) {
                throw new UsageException("--prompt-tokens + --decode-tokens = " + (promptTokens + decodeTokens) + " exceed the context of " + config.contextLength());
            }
            int perSequence = promptTokens + decodeTokens;
            long kvBudget = kvBudgetMb != null ? kvBudgetMb << 20 : KvBlockPool.bytesFor(config, 16, perSequence) * batch;
            long kvNeeded = KvBlockPool.bytesFor(config, 16, perSequence) * batch;
            if (kvNeeded > kvBudget) {
                throw new UsageException(String.format(Locale.ROOT, "a batch of %d sequences of %d positions needs %.1f MB of KV cache; --kv-budget-mb is %d",
                        batch, perSequence, kvNeeded / 1e6, kvBudgetMb));
            }
            BatchedEngine engine = new BatchedEngine(ws, new BatchedEngine.Options(kvBudget, 16, Math.max(batch, Math.min(512, batch * promptTokens))));
            String storage = dtypes(ws);
            Output.log().printf(Locale.ROOT, "%s; weights %s (%.1f MB); batch %d, prompt %d, decode %d tokens, %d threads%n", config.summary(), storage,
                    ws.bytes() / 1e6, batch, promptTokens, decodeTokens, ComputePool.shared().threads());
            Rng rng = new Rng(2);
            int[][] prompts = new int[batch][promptTokens];
            for (int[] p : prompts) for (int i = 0; i < p.length; i++) p[i] = rng.nextInt(config.vocabSize());
            double[] prefill = new double[runs], decode = new double[runs];
            long[] kv = new long[1];
            // Warm-up by time, not by count: C2 must have compiled every kernel variant first.
            long warmEnd = System.nanoTime() + (long) (warmupSeconds * 1e9);
            int warmRuns = 0;
            do {
                DecodeTiming.measure(engine, prompts, decodeTokens, kv);
                warmRuns++;
            } while (System.nanoTime() < warmEnd || warmRuns < 2);
            for (int r = 0; r < runs; r++) {
                DecodeTiming t = DecodeTiming.measure(engine, prompts, decodeTokens, kv);
                prefill[r] = t.prefillSeconds();
                decode[r] = t.decodeSeconds();
            }
            Arrays.sort(prefill);
            Arrays.sort(decode);
            double p = prefill[runs / 2], d = decode[runs / 2];
            double decodeRate = (double) batch * decodeTokens / d, prefillRate = (double) batch * promptTokens / p;
            // A decode step reads every weight once for the whole batch.
            double bytesPerToken = (double) ws.bytesPerDecodedToken() / batch;
            long peakRss = peakRssBytes();
            double bandwidth = bandwidthMb > 0 ? MemoryBandwidth.read((long) bandwidthMb << 20) : Double.NaN;
            double load = java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
            ObjectNode json = Output.object().put("model", config.summary()).put("weights", storage).put("batch", batch)
                    .put("threads", ComputePool.shared().threads()).put("prompt_tokens", promptTokens).put("decode_tokens", decodeTokens)
                    .put("runs", runs).put("warmup_runs", warmRuns)
                    .put("prefill_tokens_per_second", prefillRate).put("time_to_first_token_ms", p * 1e3 / batch)
                    .put("decode_tokens_per_second", decodeRate).put("weight_bytes", ws.bytes()).put("weight_bytes_per_token", bytesPerToken)
                    .put("bandwidth_gb_per_second", bytesPerToken * decodeRate / 1e9)
                    .put("kv_cache_mb", kv[0] / 1e6).put("kv_budget_mb", kvBudget / 1e6).put("scratch_mb", engine.scratchBytes() / 1e6);
            Output.putNumber(json, "memory_read_gb_per_second", bandwidth / 1e9);
            Output.putNumber(json, "bandwidth_fraction", bytesPerToken * decodeRate / bandwidth);
            Output.putNumber(json, "peak_rss_mb", peakRss < 0 ? Double.NaN : peakRss / 1e6);
            Output.putNumber(json, "load_average", load);
            int warmUps = warmRuns;
            long kvUsed = kv[0];
            Output.result(json, () -> {
                System.out.printf(Locale.ROOT, "prefill %.1f tokens/s (%d × %d tokens in %.1f ms)%n", prefillRate, batch, promptTokens, p * 1e3);
                System.out.printf(Locale.ROOT, "decode  %.1f tokens/s over %d sequences (%.2f ms/step), weights %.1f MB/step → %.2f GB/s%n",
                        decodeRate, batch, d * 1e3 / decodeTokens, bytesPerToken * batch / 1e6, bytesPerToken * decodeRate / 1e9);
                if (bandwidthMb > 0) {
                    System.out.printf(Locale.ROOT, "memory  read bandwidth %.2f GB/s (2 × %d MB, %d threads): decode uses %.2f of it%n",
                            bandwidth / 1e9, bandwidthMb, ComputePool.shared().threads(), bytesPerToken * decodeRate / bandwidth);
                }
                System.out.printf(Locale.ROOT, "KV cache %.1f MB in use at the end; peak RSS %.0f MB%n", kvUsed / 1e6, peakRss / 1e6);
                System.out.printf(Locale.ROOT, "(%d warm-up runs; medians of %d timed runs; 1-minute load average %.2f)%n", warmUps, runs, load);
            });
        }
        return 0;
    }

    private static DType parseDtype(String s) {
        try {
            DType t = DType.valueOf(s.toUpperCase(Locale.ROOT));
            if (t == DType.Q6_K) throw new IllegalArgumentException();
            return t;
        } catch (IllegalArgumentException e) {
            throw new UsageException("--weights must be f32, bf16, f16, q8_0 or q4_0, got '" + s + "'");
        }
    }

    private WeightSet load(DType dtype, Arena arena) throws IOException {
        ModelConfig shape = switch (model.toLowerCase(Locale.ROOT)) {
            case "stories15m" -> ModelConfig.stories15M();
            case "stories110m" -> ModelConfig.stories110M();
            default -> null;
        };
        if (shape != null) return random(shape, dtype == null ? DType.F32 : dtype, new Rng(1), arena);
        Path path = Path.of(model);
        if (Files.isRegularFile(path) && model.toLowerCase(Locale.ROOT).endsWith(".gguf")) {
            WeightSet mapped = TransformerGguf.map(path, arena).weights();
            return dtype == null ? mapped : mapped.converted(dtype);
        }
        ModelConfig config;
        ParameterBuffer params;
        if (model.endsWith(".bin")) {
            var l = dev.anvil.model.llama2c.Llama2cCheckpoint.read(path);
            config = l.config();
            params = l.parameters();
        } else {
            TrainedModel m = TrainedModel.load(path);
            config = m.config();
            params = m.parameters();
        }
        WeightSet ws = WeightSet.of(config, params);
        return dtype == null || dtype == DType.F32 ? ws : ws.converted(dtype);
    }

    /**
     * Random weights (the init's N(0, 0.02)) made directly in {@code dtype}, a slab of rows at a
     * time, so no float32 copy of the whole model ever exists and the peak RSS is the dtype's. The
     * bytes are native, as mapped files are: kernels that see both heap and native segments slow
     * down for both (the JIT's profile of the segment kind is polluted).
     */
    static WeightSet random(ModelConfig config, DType dtype, Rng rng, Arena arena) {
        Map<String, Weight> matrices = new LinkedHashMap<>();
        Map<String, Tensor> vectors = new LinkedHashMap<>();
        for (ParameterBuffer.Layout.Entry e : TransformerLayout.of(config).entries()) {
            int[] d = e.shape().dims();
            if (d.length == 1) {
                Tensor t = new Tensor(new float[d[0]], 0, e.shape());
                t.fill(1f);
                vectors.put(e.name(), t);
                continue;
            }
            int rows = d[0], cols = d[1];
            DType type = cols % dtype.blockSize() == 0 ? dtype : DType.F32;
            long rowBytes = type.byteSize(cols);
            MemorySegment bytes = arena.allocate(rowBytes * rows, 64);
            int slab = Math.max(1, (1 << 20) / cols);
            float[] values = new float[slab * cols];
            for (int r0 = 0; r0 < rows; r0 += slab) {
                int n = Math.min(slab, rows - r0);
                rng.fillNormal(values, 0, n * cols, 0, 0.02);
                MemorySegment.copy(Weight.quantize(type, values, 0, n, cols).bytes(), 0, bytes, r0 * rowBytes, n * rowBytes);
            }
            matrices.put(e.name(), Weight.wrap(type, bytes, rows, cols));
        }
        return new WeightSet(config, Heads.languageModel(), matrices, vectors, dev.anvil.core.kernels.Rope.Style.HALF);
    }

    private static String dtypes(WeightSet ws) {
        Map<DType, Long> bytes = new LinkedHashMap<>();
        for (Weight w : ws.matrices().values()) bytes.merge(w.dtype(), w.byteSize(), Long::sum);
        return bytes.entrySet().stream().sorted((a, b) -> Long.compare(b.getValue(), a.getValue())).map(e -> e.getKey().name().toLowerCase(Locale.ROOT))
                .reduce((a, b) -> a + "+" + b).orElse("none");
    }

    /** The process's peak resident set (VmHWM), or −1 where /proc is not there. */
    static long peakRssBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }
}
