package dev.anvil.bench;

import de.kherud.llama.InferenceParameters;
import de.kherud.llama.LlamaModel;
import de.kherud.llama.ModelParameters;
import de.kherud.llama.args.LogFormat;
import dev.anvil.core.compute.ComputePool;
import dev.anvil.core.compute.MemoryBandwidth;
import dev.anvil.core.random.Rng;
import dev.anvil.model.ModelConfig;
import dev.anvil.model.Transformer;
import dev.anvil.model.gguf.TransformerGguf;
import dev.anvil.model.inference.DecodeTiming;
import dev.anvil.model.inference.InferenceSession;
import dev.anvil.tokenizer.BpeTokenizer;
import dev.anvil.tokenizer.pretokenize.SplitPattern;
import dev.anvil.tokenizer.train.BpeTrainer;
import dev.anvil.tokenizer.train.BpeTrainerConfig;
import dev.anvil.tokenizer.train.ChunkCounts;
import dev.anvil.tokenizer.train.TrainingProgress;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Prefill and decode speed side by side: Anvil's {@link InferenceSession} and llama.cpp (through
 * java-llama.cpp's bundled CPU natives) on the same GGUF F32 file, same prompt tokens, same thread
 * count, alternating runs; medians reported, with the load average.
 *
 * <p>The model is a random-weight Llama in llama2.c's stories15M or stories110M shape
 * ({@link ModelConfig#stories15M()}, {@link ModelConfig#stories110M()}; the shapes {@code anvil bench
 * decode --model stories15m|stories110m} builds). llama.cpp needs a tokenizer in the file, so a
 * small byte-level BPE is trained on the text given and the vocabulary is padded to 32000 with
 * unused tokens. The prompt is real text cut to exactly {@code promptTokens} of our tokens.
 *
 * <p>Both engines first run untimed for at least {@code warmupSeconds} (Anvil needs the JIT to have
 * compiled its kernels; a single warm-up run left prefill 10–100× slow).
 *
 * <p>llama.cpp's figures are its own: each run is one blocking {@code complete} of
 * {@code decodeTokens} tokens, and llama.cpp's server prints, per request, "prompt eval time = X ms
 * / N tokens" (prefill) and "eval time = Y ms / M tokens" (decode), measured inside llama.cpp around
 * its decode calls — no JNI, JSON or Java threads in them. The native code writes those lines to
 * the process's stderr, so the script sends stderr to a file and this program reads each request's
 * lines from it ({@code llamaLog}). The wall-clock time around {@code complete} is printed too,
 * to show the binding's overhead.
 *
 * <p>Arguments: corpus threads llamaLog [shape=stories15m] [promptTokens=128] [decodeTokens=128]
 * [runs=5] [warmupSeconds=5].
 */
public final class DecodeVsLlamaCpp {

    private DecodeVsLlamaCpp() {}

    private static final Pattern PROMPT_EVAL = Pattern.compile("prompt eval time =\\s*([0-9.]+) ms /\\s*(\\d+) tokens");
    private static final Pattern EVAL = Pattern.compile("(?<!prompt )eval time =\\s*([0-9.]+) ms /\\s*(\\d+) tokens");

    public static void main(String[] args) {
        int status = 1;
        try {
            run(args);
            status = 0;
        } catch (Exception | Error e) {
            e.printStackTrace(System.out);
        }
        // The binding's server threads are not daemons and outlive close(): without this the JVM never exits.
        System.exit(status);
    }

    private static void run(String[] args) throws Exception {
        Path corpus = Path.of(args[0]);
        int threads = Integer.parseInt(args[1]);
        Path llamaLog = Path.of(args[2]);
        String shape = args.length > 3 ? args[3] : "stories15m";
        int promptTokens = args.length > 4 ? Integer.parseInt(args[4]) : 128;
        int decodeTokens = args.length > 5 ? Integer.parseInt(args[5]) : 128;
        int runs = args.length > 6 ? Integer.parseInt(args[6]) : 5;
        double warmupSeconds = args.length > 7 ? Double.parseDouble(args[7]) : 5;
        ComputePool.setDefaultThreads(threads);

        String text = Files.readString(corpus);
        text = text.substring(0, Math.min(text.length(), 300_000));
        ChunkCounts chunks = new ChunkCounts();
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        SplitPattern pattern = SplitPattern.GPT2;
        pattern.preTokenizer().split(b, 0, b.length, (s, e) -> chunks.add(b, s, e - s, 1));
        BpeTokenizer tok = BpeTrainer.train(chunks, BpeTrainerConfig.of(1024, pattern.preTokenizer()), TrainingProgress.NONE).tokenizer();

        ModelConfig config = switch (shape.toLowerCase(Locale.ROOT)) {
            case "stories15m" -> ModelConfig.stories15M();
            case "stories110m" -> ModelConfig.stories110M();
            default -> throw new IllegalArgumentException("shape must be stories15m or stories110m, got " + shape);
        };
        if (promptTokens + decodeTokens > config.contextLength()) throw new IllegalArgumentException("prompt + decode tokens exceed the context of " + config.contextLength());
        Path dir = Files.createTempDirectory("anvil-decode-vs-llamacpp");
        Path file = dir.resolve(shape + "-random-f32.gguf");
        {
            Transformer net = new Transformer(config);
            net.initialize(new Rng(1));
            TransformerGguf.write(file, config, net.parameters(), tok);
        }
        // Anvil runs from the file too, as llama.cpp does.
        TransformerGguf.Loaded loaded = TransformerGguf.read(file);

        int[] all = tok.encodeOrdinary(text.substring(0, 20_000));
        int[] prompt = Arrays.copyOf(all, promptTokens);
        String promptText = tok.decode(prompt);
        // Each decoded token reads every weight once; the tied embedding table only as the output head.
        double weightBytes = 4.0 * loaded.parameters().data().length;

        System.out.printf(Locale.ROOT, "%s; GGUF F32 %.1f MB; prompt %d, decode %d tokens, %d threads, %d runs (medians), warm-up %.0f s each%n",
                config.summary(), Files.size(file) / 1e6, promptTokens, decodeTokens, threads, runs, warmupSeconds);

        LlamaModel.setLogger(LogFormat.TEXT, (level, msg) -> { });
        ModelParameters mp = new ModelParameters().setModel(file.toString()).setCtxSize(config.contextLength())
                .setThreads(threads).setThreadsBatch(threads).setGpuLayers(0).setBatchSize(512).setUbatchSize(512).ignoreEos();
        double[] anvilPrefill = new double[runs], anvilDecode = new double[runs];
        double[] llamaPrefill = new double[runs], llamaDecode = new double[runs], llamaWall = new double[runs];
        double[] load = new double[runs];
        try (LlamaModel llama = new LlamaModel(mp)) {
            int[] theirTokens = llama.encode(promptText);
            if (!Arrays.equals(theirTokens, prompt)) {
                System.out.printf("warning: llama.cpp tokenizes the prompt into %d tokens, we into %d%n", theirTokens.length, prompt.length);
            }
            InferenceSession session = new InferenceSession(loaded.config(), loaded.parameters(), config.contextLength(), promptTokens);
            long warmEnd = System.nanoTime() + (long) (warmupSeconds * 1e9);
            int warm = 0;
            do {
                DecodeTiming.measure(session, prompt, decodeTokens);
                llama.complete(request(promptText, decodeTokens));
                warm++;
            } while (System.nanoTime() < warmEnd || warm < 2);
            for (int r = 0; r < runs; r++) {
                DecodeTiming a = DecodeTiming.measure(session, prompt, decodeTokens);
                anvilPrefill[r] = a.prefillSeconds();
                anvilDecode[r] = a.decodeSeconds();
                long logMark = Files.size(llamaLog);
                long t0 = System.nanoTime();
                llama.complete(request(promptText, decodeTokens));
                llamaWall[r] = (System.nanoTime() - t0) / 1e9;
                double[] own = llamaTimings(llamaLog, logMark);
                llamaPrefill[r] = own[0];
                llamaDecode[r] = own[1];
                load[r] = java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
            }
        }
        double ap = promptTokens / median(anvilPrefill), ad = decodeTokens / median(anvilDecode);
        double lp = median(llamaPrefill), ld = median(llamaDecode);
        System.out.printf(Locale.ROOT, "%-10s prefill %9.1f tok/s   decode %8.1f tok/s   decode reads %.2f GB/s of weights%n", "anvil", ap, ad, weightBytes * ad / 1e9);
        System.out.printf(Locale.ROOT, "%-10s prefill %9.1f tok/s   decode %8.1f tok/s   decode reads %.2f GB/s of weights  (its own timings)%n",
                "llama.cpp", lp, ld, weightBytes * ld / 1e9);
        System.out.printf(Locale.ROOT, "%-10s whole request %.1f ms wall clock vs %.1f ms inside llama.cpp (binding overhead)%n", "",
                median(llamaWall) * 1e3, (promptTokens / lp + decodeTokens / ld) * 1e3);
        System.out.printf(Locale.ROOT, "anvil/llama.cpp: prefill %.2fx, decode %.2fx%n", ap / lp, ad / ld);
        double bandwidth = MemoryBandwidth.read(320L << 20);
        System.out.printf(Locale.ROOT, "memory read bandwidth %.2f GB/s (2 x 320 MB): decode uses %.2f (anvil), %.2f (llama.cpp) of it%s%n",
                bandwidth / 1e9, weightBytes * ad / bandwidth, weightBytes * ld / bandwidth,
                weightBytes < (320L << 20) ? "; the weights are smaller than one probe array and may sit in cache, so > 1 is possible" : "");
        System.out.printf(Locale.ROOT, "load average (1 min) during the timed runs: median %.2f%n", median(load));
        Files.deleteIfExists(file);
        Files.deleteIfExists(dir);
    }

    /**
     * llama.cpp's own {prefill tok/s, decode tok/s} for the request just completed: the print_timing
     * lines it wrote to stderr after byte {@code from} of the log. Native stderr is unbuffered, and
     * complete() returns after the slot has printed them; a short wait covers a slow flush.
     */
    private static double[] llamaTimings(Path log, long from) throws Exception {
        for (int attempt = 0; attempt < 50; attempt++) {
            String tail;
            try (var ch = java.nio.channels.FileChannel.open(log)) {
                java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate((int) Math.max(0, ch.size() - from));
                while (buf.hasRemaining() && ch.read(buf, from + buf.position()) > 0) { }
                tail = new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8);
            }
            Matcher p = PROMPT_EVAL.matcher(tail), e = EVAL.matcher(tail);
            if (p.find() && e.find()) {
                return new double[] {Integer.parseInt(p.group(2)) / (Double.parseDouble(p.group(1)) / 1e3),
                        Integer.parseInt(e.group(2)) / (Double.parseDouble(e.group(1)) / 1e3)};
            }
            Thread.sleep(20);
        }
        throw new IllegalStateException("no llama.cpp timing lines in " + log + " after byte " + from
                + " (run through bench/decode-vs-llamacpp.sh, which sends stderr there)");
    }

    private static InferenceParameters request(String prompt, int n) {
        // Greedy, no prompt cache: the full cost every time (end-of-generation is ignored model-wide).
        return new InferenceParameters(prompt).setNPredict(n).setTemperature(0).setSeed(1).setCachePrompt(false);
    }

    private static double median(double[] xs) {
        double[] s = xs.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }
}
