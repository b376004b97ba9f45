package dev.anvil.bench;

import de.kherud.llama.InferenceParameters;
import de.kherud.llama.LlamaModel;
import de.kherud.llama.ModelParameters;
import de.kherud.llama.args.LogFormat;
import dev.anvil.core.compute.ComputePool;
import dev.anvil.core.random.Rng;
import dev.anvil.model.ModelConfig;
import dev.anvil.model.Transformer;
import dev.anvil.model.gguf.TransformerGguf;
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

/**
 * Prefill and decode speed side by side: Anvil's {@link InferenceSession} and llama.cpp (through
 * java-llama.cpp's bundled CPU natives) on the same GGUF F32 file, same prompt tokens, same thread
 * count, alternating runs; medians reported.
 *
 * <p>The model is a random-weight Llama in llama2.c's stories15M shape (the shape {@code anvil bench
 * decode --model stories15m} builds: dim 288, 6 layers, 6 heads, vocab 32000, context 256, SwiGLU
 * hidden 768, tied embeddings). llama.cpp needs a tokenizer in the file, so a small byte-level BPE
 * is trained on the text given and the vocabulary is padded to 32000 with unused tokens. The prompt
 * is real text cut to exactly {@code promptTokens} of our tokens; the LlamaCppInteropTest checks
 * llama.cpp tokenizes such text the same way.
 *
 * <p>llama.cpp timing is wall clock around the binding's blocking {@code complete}: prefill is a
 * request for one token (prompt processing plus one sampling step), decode is the extra time of a
 * request for {@code decodeTokens} tokens over that, per decoded token (decodeTokens − 1 forward
 * passes, scaled to decodeTokens to match Anvil's count). Prompt caching is off, so
 * every request processes the whole prompt.
 *
 * <p>Arguments: corpus threads [promptTokens=128] [decodeTokens=128] [runs=5].
 */
public final class DecodeVsLlamaCpp {

    private DecodeVsLlamaCpp() {}

    public static void main(String[] args) throws Exception {
        Path corpus = Path.of(args[0]);
        int threads = Integer.parseInt(args[1]);
        int promptTokens = args.length > 2 ? Integer.parseInt(args[2]) : 128;
        int decodeTokens = args.length > 3 ? Integer.parseInt(args[3]) : 128;
        int runs = args.length > 4 ? Integer.parseInt(args[4]) : 5;
        ComputePool.setDefaultThreads(threads);

        String text = Files.readString(corpus);
        text = text.substring(0, Math.min(text.length(), 300_000));
        ChunkCounts chunks = new ChunkCounts();
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        SplitPattern pattern = SplitPattern.GPT2;
        pattern.preTokenizer().split(b, 0, b.length, (s, e) -> chunks.add(b, s, e - s, 1));
        BpeTokenizer tok = BpeTrainer.train(chunks, BpeTrainerConfig.of(1024, pattern.preTokenizer()), TrainingProgress.NONE).tokenizer();

        ModelConfig config = ModelConfig.stories15M();
        if (promptTokens + decodeTokens > config.contextLength()) throw new IllegalArgumentException("prompt + decode tokens exceed the context of 256");
        Transformer net = new Transformer(config);
        net.initialize(new Rng(1));
        Path dir = Files.createTempDirectory("anvil-decode-vs-llamacpp");
        Path file = dir.resolve("stories15m-random-f32.gguf");
        TransformerGguf.write(file, config, net.parameters(), tok);
        // Anvil runs from the file too, as llama.cpp does.
        TransformerGguf.Loaded loaded = TransformerGguf.read(file);

        int[] all = tok.encodeOrdinary(text.substring(0, 20_000));
        int[] prompt = Arrays.copyOf(all, promptTokens);
        String promptText = tok.decode(prompt);

        System.out.printf(Locale.ROOT, "%s; GGUF F32 %.1f MB; prompt %d, decode %d tokens, %d threads, %d runs (medians)%n",
                config.summary(), Files.size(file) / 1e6, promptTokens, decodeTokens, threads, runs);

        LlamaModel.setLogger(LogFormat.TEXT, (level, msg) -> { });
        ModelParameters mp = new ModelParameters().setModel(file.toString()).setCtxSize(config.contextLength())
                .setThreads(threads).setThreadsBatch(threads).setGpuLayers(0).setBatchSize(512).setUbatchSize(512).ignoreEos().disableLog();
        double[] anvilPrefill = new double[runs], anvilDecode = new double[runs], llamaPrefill = new double[runs], llamaDecode = new double[runs];
        try (LlamaModel llama = new LlamaModel(mp)) {
            int[] theirTokens = llama.encode(promptText);
            if (!Arrays.equals(theirTokens, prompt)) {
                System.out.printf("warning: llama.cpp tokenizes the prompt into %d tokens, we into %d%n", theirTokens.length, prompt.length);
            }
            InferenceSession session = new InferenceSession(loaded.config(), loaded.parameters(), config.contextLength(), promptTokens);
            for (int r = -1; r < runs; r++) { // run −1 warms both up (JIT; llama.cpp's buffers)
                session.reset();
                long t0 = System.nanoTime();
                float[] logits = session.append(prompt, 0, prompt.length);
                long t1 = System.nanoTime();
                for (int i = 0; i < decodeTokens; i++) logits = session.append(argmax(logits));
                long t2 = System.nanoTime();

                long t3 = System.nanoTime();
                llama.complete(request(promptText, 1));
                long t4 = System.nanoTime();
                llama.complete(request(promptText, decodeTokens));
                long t5 = System.nanoTime();
                if (r >= 0) {
                    anvilPrefill[r] = (t1 - t0) / 1e9;
                    anvilDecode[r] = (t2 - t1) / 1e9;
                    llamaPrefill[r] = (t4 - t3) / 1e9;
                    llamaDecode[r] = ((t5 - t4) - (t4 - t3)) / 1e9 * decodeTokens / (decodeTokens - 1);
                }
            }
        }
        double ap = promptTokens / median(anvilPrefill), ad = decodeTokens / median(anvilDecode);
        double lp = promptTokens / median(llamaPrefill), ld = decodeTokens / median(llamaDecode);
        System.out.printf(Locale.ROOT, "%-10s prefill %9.1f tok/s   decode %8.1f tok/s%n", "anvil", ap, ad);
        System.out.printf(Locale.ROOT, "%-10s prefill %9.1f tok/s   decode %8.1f tok/s%n", "llama.cpp", lp, ld);
        System.out.printf(Locale.ROOT, "anvil/llama.cpp: prefill %.2fx, decode %.2fx%n", ap / lp, ad / ld);
        Files.deleteIfExists(file);
        Files.deleteIfExists(dir);
        // The binding's server threads are not daemons and outlive close(): without this the JVM never exits.
        System.exit(0);
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

    private static int argmax(float[] z) {
        int best = 0;
        for (int i = 1; i < z.length; i++) if (z[i] > z[best]) best = i;
        return best;
    }
}
