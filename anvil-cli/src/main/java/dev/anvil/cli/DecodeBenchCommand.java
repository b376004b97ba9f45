package dev.anvil.cli;

import dev.anvil.core.compute.ComputePool;
import dev.anvil.core.random.Rng;
import dev.anvil.core.tensor.ParameterBuffer;
import dev.anvil.model.ModelConfig;
import dev.anvil.model.Transformer;
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
    @Option(names = "--runs", defaultValue = "3", paramLabel = "N", description = "Timed runs; the median is reported (default: ${DEFAULT-VALUE}).") int runs;

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
        if (promptTokens + decodeTokens > config.contextLength()) {
            throw new UsageException("--prompt-tokens + --decode-tokens = " + (promptTokens + decodeTokens) + " exceed the context of " + config.contextLength());
        }
        Output.log().printf(Locale.ROOT, "%s; prompt %d, decode %d tokens, %d threads%n", config.summary(), promptTokens, decodeTokens, ComputePool.shared().threads());
        InferenceSession session = new InferenceSession(config, params, config.contextLength(), Math.min(promptTokens, 512));
        Rng rng = new Rng(2);
        int[] prompt = new int[promptTokens];
        for (int i = 0; i < prompt.length; i++) prompt[i] = rng.nextInt(config.vocabSize());
        double[] prefill = new double[runs], decode = new double[runs];
        for (int r = -1; r < runs; r++) { // run −1 warms the JIT up
            session.reset();
            long t0 = System.nanoTime();
            float[] logits = session.append(prompt, 0, prompt.length);
            long t1 = System.nanoTime();
            for (int i = 0; i < decodeTokens; i++) logits = session.append(argmax(logits));
            long t2 = System.nanoTime();
            if (r >= 0) {
                prefill[r] = (t1 - t0) / 1e9;
                decode[r] = (t2 - t1) / 1e9;
            }
        }
        Arrays.sort(prefill);
        Arrays.sort(decode);
        double p = prefill[runs / 2], d = decode[runs / 2];
        double decodeRate = decodeTokens / d;
        // Each decoded token reads every weight once (the tied embedding table only as the output head).
        double weightBytes = 4.0 * (params.data().length - (config.tiedEmbeddings() ? 0 : (long) config.vocabSize() * config.width())
                - (config.family() == ModelConfig.Family.GPT2 ? (long) config.contextLength() * config.width() : 0));
        Output.result(Output.object().put("model", config.summary()).put("threads", ComputePool.shared().threads())
                        .put("prompt_tokens", promptTokens).put("decode_tokens", decodeTokens).put("runs", runs)
                        .put("prefill_tokens_per_second", promptTokens / p).put("time_to_first_token_ms", p * 1e3)
                        .put("decode_tokens_per_second", decodeRate).put("weight_bytes_per_token", weightBytes)
                        .put("bandwidth_gb_per_second", weightBytes * decodeRate / 1e9),
                () -> {
                    System.out.printf(Locale.ROOT, "prefill %.1f tokens/s (time to first token %.1f ms)%n", promptTokens / p, p * 1e3);
                    System.out.printf(Locale.ROOT, "decode  %.1f tokens/s (%.2f ms/token), weights %.1f MB/token → %.2f GB/s%n",
                            decodeRate, d * 1e3 / decodeTokens, weightBytes / 1e6, weightBytes * decodeRate / 1e9);
                });
        return 0;
    }

    private static int argmax(float[] z) {
        int best = 0;
        for (int i = 1; i < z.length; i++) if (z[i] > z[best]) best = i;
        return best;
    }
}
