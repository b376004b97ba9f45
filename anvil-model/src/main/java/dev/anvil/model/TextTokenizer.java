package dev.anvil.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.anvil.tokenizer.BpeTokenizer;
import dev.anvil.tokenizer.CharTokenizer;
import dev.anvil.tokenizer.TokenizerFiles;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.OptionalInt;

/**
 * The tokenizer a model was trained with, whichever kind it is: a byte-level BPE
 * ({@code tokenizer.json} in Hugging Face's format, or the other forms {@link TokenizerFiles}
 * reads) or a character/byte tokenizer ({@code tokenizer.json} with {@code "type": "char"} or
 * {@code "byte"}). The {@link #fingerprint()} (SHA-256 of the file) is what token shards and
 * checkpoints record, so a mismatch is caught before training starts.
 */
public final class TextTokenizer {

    public static final String FILE = "tokenizer.json";

    private final BpeTokenizer bpe;
    private final CharTokenizer chars;
    private final dev.anvil.model.llama2c.Llama2cTokenizer sentencePiece;
    private final String fingerprint;
    private final Path source;

    private TextTokenizer(BpeTokenizer bpe, CharTokenizer chars, String fingerprint, Path source) {
        this(bpe, chars, null, fingerprint, source);
    }

    private TextTokenizer(BpeTokenizer bpe, CharTokenizer chars, dev.anvil.model.llama2c.Llama2cTokenizer sentencePiece, String fingerprint, Path source) {
        this.bpe = bpe;
        this.chars = chars;
        this.sentencePiece = sentencePiece;
        this.fingerprint = fingerprint;
        this.source = source;
    }

    /** Loads a tokenizer directory (or a single tokenizer file; llama2.c's {@code tokenizer.bin} too). */
    public static TextTokenizer load(Path path) throws IOException {
        if (Files.isRegularFile(path) && path.getFileName().toString().endsWith(".bin")) {
            return new TextTokenizer(null, null, dev.anvil.model.llama2c.Llama2cTokenizer.load(path), sha256(path), path);
        }
        Path file = Files.isDirectory(path) ? path.resolve(FILE) : path;
        if (Files.isRegularFile(file) && file.getFileName().toString().endsWith(".json")) {
            JsonNode root;
            try {
                root = new ObjectMapper().readTree(file.toFile());
            } catch (IOException e) {
                throw new IOException(file + ": not a tokenizer (invalid JSON: " + e.getMessage() + ")", e);
            }
            String type = root.path("type").asText("");
            if (type.equals("char") || type.equals("byte")) {
                return new TextTokenizer(null, CharTokenizer.load(file), sha256(file), file);
            }
            return new TextTokenizer(TokenizerFiles.load(file), null, sha256(file), file);
        }
        if (!Files.exists(path)) throw new IOException("tokenizer " + path + ": no such file or directory");
        BpeTokenizer t = TokenizerFiles.load(path);
        Path hashed = Files.isDirectory(path) ? firstExisting(path) : path;
        return new TextTokenizer(t, null, sha256(hashed), path);
    }

    /**
     * A BPE tokenizer that came inside a model file (e.g. GGUF metadata); its fingerprint is the
     * SHA-256 of its Hugging Face {@code tokenizer.json} form, and {@code source} is the model file.
     */
    public static TextTokenizer of(BpeTokenizer bpe, Path source) {
        byte[] json = dev.anvil.tokenizer.format.HuggingFaceTokenizerJson.toJson(bpe).toString().getBytes(StandardCharsets.UTF_8);
        try {
            return new TextTokenizer(bpe, null, HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(json)), source);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The byte-level BPE behind this tokenizer, if it is one (character tokenizers have none). */
    public java.util.Optional<BpeTokenizer> bpe() {
        return java.util.Optional.ofNullable(bpe);
    }

    /** A character tokenizer fitted to {@code text}, saved as {@code dir/tokenizer.json}. */
    public static TextTokenizer fitCharacters(String text, Path dir) throws IOException {
        Files.createDirectories(dir);
        Path file = dir.resolve(FILE);
        CharTokenizer.fitCharacters(text).save(file);
        return load(file);
    }

    private static Path firstExisting(Path dir) {
        for (String f : new String[] {TokenizerFiles.HF_FILE, TokenizerFiles.TIKTOKEN_FILE, "encoder.json"}) {
            if (Files.exists(dir.resolve(f))) return dir.resolve(f);
        }
        return dir;
    }

    public int vocabSize() {
        return bpe != null ? bpe.vocabSize() : sentencePiece != null ? sentencePiece.vocabSize() : chars.vocabSize();
    }

    public int[] encode(String text) {
        return bpe != null ? bpe.encodeOrdinary(text) : sentencePiece != null ? sentencePiece.encode(text) : chars.encode(text);
    }

    /** The token a prompt must start with (llama2.c's {@code <s>}); none for the others. */
    public OptionalInt beginningOfSequence() {
        return sentencePiece != null ? OptionalInt.of(dev.anvil.model.llama2c.Llama2cTokenizer.BOS) : OptionalInt.empty();
    }

    /**
     * Encodes with the tokenizer's special tokens recognised in the text (a chat prompt's
     * {@code <|im_start|>} becomes its one id); plain {@link #encode} treats them as text.
     */
    public int[] encodeWithSpecials(String text) {
        return bpe != null ? bpe.encode(text, bpe.allSpecialTokens()) : encode(text);
    }

    /** The id of special token {@code text}, if the tokenizer has it. */
    public OptionalInt specialTokenId(String text) {
        Integer id = bpe == null ? null : bpe.specialTokens().get(text);
        return id == null ? OptionalInt.empty() : OptionalInt.of(id);
    }

    public String decode(int[] ids) {
        if (sentencePiece != null) return sentencePiece.decode(ids);
        return bpe != null ? bpe.decode(ids) : chars.decode(ids);
    }

    /** UTF-8 bytes that token {@code id} stands for (for bits per byte). */
    public int byteLength(int id) {
        if (bpe != null) return bpe.tokenBytes(id).length;
        if (sentencePiece != null) return sentencePiece.tokenBytes(id).length;
        return chars.decode(new int[] {id}).getBytes(StandardCharsets.UTF_8).length;
    }

    /**
     * The token that separates documents in shards: {@code <|endoftext|>} (GPT-2 style) or a
     * {@code <|bos|>}/{@code <s>} special if the tokenizer has one; none for character tokenizers.
     */
    public OptionalInt documentSeparator() {
        if (sentencePiece != null) return OptionalInt.of(dev.anvil.model.llama2c.Llama2cTokenizer.BOS); // TinyStories: <s> starts each story
        if (bpe == null) return OptionalInt.empty();
        for (String s : new String[] {"<|endoftext|>", "<|bos|>", "<|begin_of_text|>", "<s>"}) {
            Integer id = bpe.specialTokens().get(s);
            if (id != null) return OptionalInt.of(id);
        }
        return OptionalInt.empty();
    }

    public String fingerprint() {
        return fingerprint;
    }

    public Path source() {
        return source;
    }

    /** Copies the tokenizer file(s) into {@code dir} so a run or shard directory is self-contained. */
    public void copyTo(Path dir) throws IOException {
        Files.createDirectories(dir);
        if (Files.isRegularFile(source)) {
            Path target = dir.resolve(source.getFileName().toString().endsWith(".json") ? FILE : source.getFileName().toString());
            if (!Files.exists(target) || !Files.isSameFile(source, target)) Files.copy(source, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } else {
            try (var files = Files.list(source)) {
                for (Path f : (Iterable<Path>) files::iterator) {
                    if (Files.isRegularFile(f)) Files.copy(f, dir.resolve(f.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }

    static String sha256(Path file) throws IOException {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            return HexFormat.of().formatHex(md.digest(Files.readAllBytes(file)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
