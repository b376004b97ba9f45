package dev.anvil.tokenizer;

import dev.anvil.tokenizer.format.Gpt2VocabFormat;
import dev.anvil.tokenizer.format.HuggingFaceTokenizerJson;
import dev.anvil.tokenizer.format.TiktokenFormat;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Saving a tokenizer directory (both standard forms) and loading any supported form from a path. */
public final class TokenizerFiles {
    public static final String HF_FILE = "tokenizer.json";
    public static final String TIKTOKEN_FILE = "tokenizer.tiktoken";

    private TokenizerFiles() {}

    /** Writes {@code dir/tokenizer.json} and {@code dir/tokenizer.tiktoken} (+ its {@code .json} sidecar). */
    public static void save(BpeTokenizer tokenizer, Path dir) throws IOException {
        Files.createDirectories(dir);
        HuggingFaceTokenizerJson.write(tokenizer, dir.resolve(HF_FILE));
        TiktokenFormat.write(tokenizer, dir.resolve(TIKTOKEN_FILE));
    }

    /**
     * Loads a directory (tokenizer.json, else tokenizer.tiktoken, else GPT-2's encoder.json + vocab.bpe) or a
     * single file ({@code *.json} as Hugging Face, anything else as a tiktoken rank file with sidecar).
     */
    public static BpeTokenizer load(Path path) throws IOException {
        if (Files.isDirectory(path)) {
            if (Files.exists(path.resolve(HF_FILE))) return HuggingFaceTokenizerJson.read(path.resolve(HF_FILE));
            if (Files.exists(path.resolve(TIKTOKEN_FILE))) return TiktokenFormat.read(path.resolve(TIKTOKEN_FILE));
            if (Files.exists(path.resolve("encoder.json")) && Files.exists(path.resolve("vocab.bpe")))
                return Gpt2VocabFormat.read(path.resolve("encoder.json"), path.resolve("vocab.bpe"));
            throw new IOException(path + ": no tokenizer.json, tokenizer.tiktoken or encoder.json + vocab.bpe in this directory");
        }
        if (!Files.exists(path)) throw new IOException(path + ": no such file or directory");
        if (path.getFileName().toString().endsWith(".json")) return HuggingFaceTokenizerJson.read(path);
        return TiktokenFormat.read(path);
    }
}
