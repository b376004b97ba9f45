package dev.anvil.bench;

import dev.anvil.core.random.Rng;
import dev.anvil.model.ModelConfig;
import dev.anvil.model.Transformer;
import dev.anvil.model.gguf.Gguf;
import dev.anvil.model.gguf.TransformerGguf;
import dev.anvil.tokenizer.BpeTokenizer;
import dev.anvil.tokenizer.pretokenize.SplitPattern;
import dev.anvil.tokenizer.train.BpeTrainer;
import dev.anvil.tokenizer.train.BpeTrainerConfig;
import dev.anvil.tokenizer.train.ChunkCounts;
import dev.anvil.tokenizer.train.TrainingProgress;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Writes random-weight Llama GGUF files in llama2.c's stories15M / stories110M shapes, one per
 * requested ggml type, with a small BPE tokenizer trained on a corpus: the files that
 * {@code bench/decode-vs-llamacpp.sh} gives to native llama.cpp ({@code llama-bench}) and to
 * {@code anvil bench decode} alike.
 *
 * <pre>ShapeGguf CORPUS SHAPE OUT_DIR TYPE...   (TYPE: f32, f16, bf16, q8_0, q4_0)</pre>
 */
public final class ShapeGguf {

    public static void main(String[] args) throws Exception {
        if (args.length < 4) throw new IllegalArgumentException("usage: ShapeGguf CORPUS SHAPE OUT_DIR TYPE...");
        String text = Files.readString(Path.of(args[0]));
        text = text.substring(0, Math.min(text.length(), 300_000));
        ChunkCounts chunks = new ChunkCounts();
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        SplitPattern.GPT2.preTokenizer().split(b, 0, b.length, (s, e) -> chunks.add(b, s, e - s, 1));
        BpeTokenizer tok = BpeTrainer.train(chunks, BpeTrainerConfig.of(1024, SplitPattern.GPT2.preTokenizer()), TrainingProgress.NONE).tokenizer();
        ModelConfig config = switch (args[1].toLowerCase(Locale.ROOT)) {
            case "stories15m" -> ModelConfig.stories15M();
            case "stories110m" -> ModelConfig.stories110M();
            default -> throw new IllegalArgumentException("shape must be stories15m or stories110m, got " + args[1]);
        };
        Transformer net = new Transformer(config);
        net.initialize(new Rng(1));
        Path dir = Files.createDirectories(Path.of(args[2]));
        for (int i = 3; i < args.length; i++) {
            Gguf.TensorType type = Gguf.TensorType.parse(args[i]);
            Path file = dir.resolve(args[1].toLowerCase(Locale.ROOT) + "-" + type.name().toLowerCase(Locale.ROOT) + ".gguf");
            TransformerGguf.write(file, config, net.parameters(), tok, type);
            System.out.println(file);
        }
    }
}
