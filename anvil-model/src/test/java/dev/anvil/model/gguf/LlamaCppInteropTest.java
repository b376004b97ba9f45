package dev.anvil.model.gguf;

import de.kherud.llama.InferenceParameters;
import de.kherud.llama.LlamaModel;
import de.kherud.llama.ModelParameters;
import de.kherud.llama.args.LogFormat;
import dev.anvil.core.random.Rng;
import dev.anvil.model.ModelConfig;
import dev.anvil.model.Transformer;
import dev.anvil.model.inference.InferenceSession;
import dev.anvil.tokenizer.BpeTokenizer;
import dev.anvil.tokenizer.pretokenize.SplitPattern;
import dev.anvil.tokenizer.train.BpeTrainer;
import dev.anvil.tokenizer.train.BpeTrainerConfig;
import dev.anvil.tokenizer.train.ChunkCounts;
import dev.anvil.tokenizer.train.TrainingProgress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Our GGUF export read by the reference runtime, llama.cpp (through java-llama.cpp's bundled
 * natives): the same token ids for the same text, and the same greedy continuation. Greedy
 * continuations agree only if every next-token argmax agrees, which needs the permuted Q/K rows,
 * the RoPE base, the norm epsilon, grouped-query heads and the tensor orientation all read as we
 * meant them.
 */
class LlamaCppInteropTest {

    private static final String EOT = "<|endoftext|>";
    private static final List<String> PROMPTS = List.of(
            "First Citizen:\nBefore we proceed any further, hear me speak.",
            "ROMEO:\nBut, soft! what light",
            "  indented   spaces, digits 12345 and punctuation?! ",
            "KING RICHARD III:\nNow is the winter of our discontent",
            "Zebra quartz — naïve café");

    private static String shakespeare() throws IOException {
        // The shared data directory sits next to the repository (or its worktree) root.
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path f = dir.resolve("shared/data/tinyshakespeare.txt");
            if (Files.isRegularFile(f)) return Files.readString(f).substring(0, 200_000);
        }
        // Without the data set, a smaller real text still exercises merges and the pre-tokenizer.
        return ("The quick brown fox jumps over the lazy dog. Über naïve café — 123 4567!\n"
                + "Now is the winter of our discontent made glorious summer by this sun of York.\n").repeat(200);
    }

    private static BpeTokenizer tokenizer(String text) {
        ChunkCounts chunks = new ChunkCounts();
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        SplitPattern pattern = SplitPattern.GPT2;
        pattern.preTokenizer().split(b, 0, b.length, (s, e) -> chunks.add(b, s, e - s, 1));
        BpeTokenizer t = BpeTrainer.train(chunks, BpeTrainerConfig.of(512, pattern.preTokenizer()), TrainingProgress.NONE).tokenizer();
        return new BpeTokenizer("shakespeare-512", t.tokens(), t.preTokenizer(), Map.of(EOT, t.tokens().idLimit()));
    }

    /** Our greedy continuation: argmax of every next-token distribution, the end-of-text token excluded. */
    private static int[] greedy(Transformer net, int[] prompt, int n, int eot) {
        InferenceSession s = new InferenceSession(net);
        float[] logits = s.append(prompt, 0, prompt.length);
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            int best = -1;
            for (int v = 0; v < logits.length; v++) if (v != eot && (best < 0 || logits[v] > logits[best])) best = v;
            out[i] = best;
            if (i + 1 < n) logits = s.append(best);
        }
        return out;
    }

    @Test
    void llamaCppTokenizesAndContinuesExactlyAsWeDo(@TempDir Path dir) throws IOException {
        BpeTokenizer tok = tokenizer(shakespeare());
        int eot = tok.specialTokens().get(EOT);
        // Context 64, 2 layers, grouped-query attention (4 query heads over 2 kv heads, head_dim 32),
        // width 128, SwiGLU hidden 160, a non-default RoPE base, untied output head.
        ModelConfig c = new ModelConfig(ModelConfig.Family.LLAMA, tok.vocabSize(), 64, 2, 4, 2, 128, 160, 50000, 1e-5, false, false);
        Transformer net = new Transformer(c);
        net.initialize(new Rng(7));
        // Scaled-up random weights: sharper distributions, so greedy choices are not near-ties that
        // float rounding order could flip, and attention is far from uniform (RoPE matters).
        float[] p = net.parameters().data();
        for (int i = 0; i < p.length; i++) p[i] *= 4;
        Path file = dir.resolve("interop.gguf");
        TransformerGguf.write(file, c, net.parameters(), tok);

        LlamaModel.setLogger(LogFormat.TEXT, (level, msg) -> { });
        ModelParameters params = new ModelParameters().setModel(file.toString()).setCtxSize(c.contextLength()).setThreads(2).setGpuLayers(0);
        try (LlamaModel llama = new LlamaModel(params)) {
            for (String prompt : PROMPTS) {
                assertThat(llama.encode(prompt)).as("llama.cpp tokens of %s", prompt).containsExactly(tok.encodeOrdinary(prompt));
            }
            int nonTrivial = 0;
            // The longest prompt plus its continuation must fit the context.
            for (String prompt : PROMPTS) assertThat(tok.encodeOrdinary(prompt).length + 20).isLessThanOrEqualTo(c.contextLength());
            for (String prompt : PROMPTS) {
                int[] ours = greedy(net, tok.encodeOrdinary(prompt), 20, eot);
                String expected = tok.decode(ours);
                InferenceParameters inf = new InferenceParameters(prompt).setNPredict(20).setTemperature(0).setSeed(1)
                        .setCachePrompt(false).disableTokenIds(List.of(eot));
                String theirs = llama.complete(inf);
                assertThat(theirs).as("greedy continuation of %s", prompt).isEqualTo(expected);
                if (new java.util.HashSet<>(toList(ours)).size() > 3) nonTrivial++;
            }
            // The check is worth something only if continuations are not one token repeated.
            assertThat(nonTrivial).isGreaterThan(0);
        }
    }

    private static List<Integer> toList(int[] a) {
        List<Integer> l = new ArrayList<>();
        for (int x : a) l.add(x);
        return l;
    }
}
