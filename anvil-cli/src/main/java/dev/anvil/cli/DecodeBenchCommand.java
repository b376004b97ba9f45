package dev.anvil.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.anvil.core.compute.ComputePool;
import dev.anvil.core.random.Rng;
import dev.anvil.core.tensor.ParameterBuffer;
import dev.anvil.model.ModelConfig;
import dev.anvil.model.Transformer;
import dev.anvil.model.inference.DecodeTiming;
import dev.anvil.model.inference.InferenceSession;
import dev.anvil.train.TrainedModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code anvil bench decode}: prefill and single-token decode speed through the KV cache. */
@Command(name = "decode", mixinStandardHelpOptions = true,
        description = "Times prompt processing (prefill) and token-by-token decoding with the KV cache; prints tokens/s, time to first token and weight bandwidth.",
        footer = {"", "Examples:", "  bin/anvil bench decode --model stories15m --prompt-tokens 128 --threads 2",
                "  bin/anvil bench decode --model stories15M.bin --runs 5 --json"})
public final class DecodeBenchCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, paramLabel = "PATH|SHAPE",
            description = "A run, checkpoint or Hugging Face directory, a .gguf file, a llama2.c .bin checkpoint, or a random-weight Llama shape: stories15m, stories110m.")
    String model;

    @Option(names = "--prompt-tokens", defaultValue = "128", paramLabel = "N", description = "Prompt length (default: ${DEFAULT-VALUE}).") int promptTokens;
    @Option(names = "--decode-tokens", defaultValue = "128", paramLabel = "N", description = "Tokens decoded after the prompt (default: ${DEFAULT-VALUE}).") int decodeTokens;
    @Option(names = "--runs", defaultValue = "5", paramLabel = "N", description = "Timed runs; the median is reported (default: ${DEFAULT-VALUE}).") int runs;
    @Option(names = "--weights", defaultValue = "f32", paramLabel = "TYPE",
            description = "f32, or q4_0: matrices rounded to Q4_0 and decoded with the Q4_0 matrix-vector kernel (default: ${DEFAULT-VALUE}).") String weights;
    @Option(names = "--warmup-seconds", defaultValue = "3", paramLabel = "S",
            description = "Untimed runs for at least this long first, so the JIT has compiled the kernels (default: ${DEFAULT-VALUE}).") double warmupSeconds;
    @Option(names = "--bandwidth-mb", defaultValue = "320", paramLabel = "MB",
            description = "Size of each of the two arrays the memory-bandwidth probe reads; 0 skips the probe (default: ${DEFAULT-VALUE}, larger than most L3 caches).") int bandwidthMb;

    @Override
    public Integer call() throws Exception {
        if (promptTokens < 1 || decodeTokens < 1 || runs < 1) throw new UsageException("--prompt-tokens, --decode-tokens and --runs must be positive");
        ModelConfig config;
        ParameterBuffer params;
        switch (model.toLowerCase(Locale.ROOT)) {
            case "stories15m" -> config = ModelConfig.stories15M();
            case "stories110m" -> config = ModelConfig.stories110M();
            default -> config = null;
        }
        if (config != null) {
            Transformer net = new Transformer(config);
            net.initialize(new Rng(1));
            params = net.parameters();
        } else if (model.endsWith(".bin")) {
            // A llama2.c checkpoint (stories15M.bin …): weights only, which is all a speed test needs.
            var l = dev.anvil.model.llama2c.Llama2cCheckpoint.read(Path.of(model));
            config = l.config();
            params = l.parameters();
        } else {
            TrainedModel m = TrainedModel.load(Path.of(model));
            config = m.config();
            params = m.parameters();
        }
        if (promptTokens < 1 || decodeTokens < 1 || runs < 1) throw new UsageException("--prompt-tokens, --decode-tokens and --runs must be positive");
        if (warmupSeconds < 0 || bandwidthMb < 0) throw new UsageException("--warmup-seconds and --bandwidth-mb must not be negative");
        if (promptTokens + decodeTokens > config.contextLength()) {
            throw new UsageException("--prompt-tokens + --decode-tokens = " + (promptTokens + decodeTokens) + " exceed the context of " + config.contextLength());
        }
        Output.log().printf(Locale.ROOT, "%s; %s weights; prompt %d, decode %d tokens, %d threads%n", config.summary(), weights, promptTokens, decodeTokens, ComputePool.shared().threads());
        boolean q4 = switch (weights.toLowerCase(Locale.ROOT)) {
            case "f32" -> false;
            case "q4_0" -> true;
            default -> throw new UsageException("--weights must be f32 or q4_0, got '" + weights + "'");
        };
        // Bytes a decoded token reads: float32, or Q4_0's 18 bytes per 32 for the matrices the session quantizes.
        double weightBytes = 0;
        for (var e : params.layout().entries()) {
            boolean quantized = q4 && e.shape().rank() == 2 && e.shape().dims()[1] % 32 == 0;
            if (quantized) {
                // The stored values become Q4_0 values, so prefill (float GEMM) and decode compute the same function.
                byte[] block = new byte[dev.anvil.core.tensor.QuantizedBlocks.Q4_0_BYTES];
                for (int i = e.offset(); i < e.offset() + e.shape().size(); i += 32) {
                    dev.anvil.core.tensor.QuantizedBlocks.quantizeQ4_0(params.data(), i, 32, block, 0);
                    dev.anvil.core.tensor.QuantizedBlocks.dequantizeQ4_0(block, 0, params.data(), i, 32);
                }
            }
            // Every weight is read once per token, except the embedding tables: a token reads one row
            // of them (the token table is read whole only when it doubles as the output head).
            boolean tokenTable = e.name().equals("model.embed_tokens.weight") || e.name().equals("wte.weight");
            boolean readWhole = tokenTable ? config.tiedEmbeddings() : !e.name().equals("wpe.weight");
            if (readWhole) weightBytes += quantized ? e.shape().size() / 32.0 * 18 : 4.0 * e.shape().size();
        }
        InferenceSession session = new InferenceSession(config, params, config.contextLength(), Math.min(promptTokens, 512), q4);
        Rng rng = new Rng(2);
        int[] prompt = new int[promptTokens];
        for (int i = 0; i < prompt.length; i++) prompt[i] = rng.nextInt(config.vocabSize());
        double[] prefill = new double[runs], decode = new double[runs];
        // Warm-up by time, not by count: one 128-token run is far too little for C2 to compile every
        // GEMM microkernel variant, and a cold prefill measured 10-100× slower than a warm one.
        long warmEnd = System.nanoTime() + (long) (warmupSeconds * 1e9);
        int warmRuns = 0;
        do {
            DecodeTiming.measure(session, prompt, decodeTokens);
            warmRuns++;
        } while (System.nanoTime() < warmEnd || warmRuns < 2);
        for (int r = 0; r < runs; r++) {
            DecodeTiming t = DecodeTiming.measure(session, prompt, decodeTokens);
            prefill[r] = t.prefillSeconds();
            decode[r] = t.decodeSeconds();
        }
        Arrays.sort(prefill);
        Arrays.sort(decode);
        double p = prefill[runs / 2], d = decode[runs / 2];
        double decodeRate = decodeTokens / d;
        double bandwidth = bandwidthMb > 0 ? dev.anvil.core.compute.MemoryBandwidth.read((long) bandwidthMb << 20) : Double.NaN;
        double load = java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        ObjectNode json = Output.object().put("model", config.summary()).put("weights", weights.toLowerCase(Locale.ROOT))
                .put("threads", ComputePool.shared().threads()).put("prompt_tokens", promptTokens).put("decode_tokens", decodeTokens)
                .put("runs", runs).put("warmup_runs", warmRuns)
                .put("prefill_tokens_per_second", promptTokens / p).put("time_to_first_token_ms", p * 1e3)
                .put("decode_tokens_per_second", decodeRate).put("weight_bytes_per_token", weightBytes)
                .put("bandwidth_gb_per_second", weightBytes * decodeRate / 1e9);
        Output.putNumber(json, "memory_read_gb_per_second", bandwidth / 1e9);
        Output.putNumber(json, "bandwidth_fraction", weightBytes * decodeRate / bandwidth);
        Output.putNumber(json, "load_average", load);
        double bytesPerToken = weightBytes;
        int warmUps = warmRuns;
        Output.result(json, () -> {
            System.out.printf(Locale.ROOT, "prefill %.1f tokens/s (time to first token %.1f ms)%n", promptTokens / p, p * 1e3);
            System.out.printf(Locale.ROOT, "decode  %.1f tokens/s (%.2f ms/token), weights %.1f MB/token → %.2f GB/s%n",
                    decodeRate, d * 1e3 / decodeTokens, bytesPerToken / 1e6, bytesPerToken * decodeRate / 1e9);
            if (bandwidthMb > 0) {
                System.out.printf(Locale.ROOT, "memory  read bandwidth %.2f GB/s (2 × %d MB, %d threads): decode uses %.2f of it%s%n",
                        bandwidth / 1e9, bandwidthMb, ComputePool.shared().threads(), bytesPerToken * decodeRate / bandwidth,
                        bytesPerToken < ((long) bandwidthMb << 20) ? " (weights smaller than a probe array: they may sit in cache, so > 1 is possible)" : "");
            }
            System.out.printf(Locale.ROOT, "(%d warm-up runs; medians of %d timed runs; 1-minute load average %.2f)%n", warmUps, runs, load);
        });
        return 0;
    }
}
