package dev.anvil.tokenizer;

import dev.anvil.tokenizer.bpe.TokenTable;
import dev.anvil.tokenizer.format.TiktokenFormat;
import dev.anvil.tokenizer.pretokenize.SplitPattern;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * OpenAI's published encodings, read from the rank files that ship inside the jtokkit jar (Maven Central),
 * so nothing is downloaded at run time. Patterns and special tokens are tiktoken's.
 */
public final class Encodings {
    public static final List<String> NAMES = List.of("r50k_base", "p50k_base", "p50k_edit", "cl100k_base", "o200k_base");
    private static final Map<String, BpeTokenizer> LOADED = new ConcurrentHashMap<>();
    private static final Map<String, TokenTable> RANKS = new ConcurrentHashMap<>();

    private Encodings() {}

    /** The encoding by name (also accepts the gpt2 alias for r50k_base). */
    public static BpeTokenizer get(String name) {
        String key = name.equals("gpt2") ? "r50k_base" : name;
        if (!NAMES.contains(key)) throw new IllegalArgumentException("unknown encoding '" + name + "'; known: " + String.join(", ", NAMES) + ", gpt2");
        return LOADED.computeIfAbsent(key, Encodings::load);
    }

    private static BpeTokenizer load(String name) {
        Map<String, Integer> specials = new LinkedHashMap<>();
        return switch (name) {
            case "r50k_base" -> {
                specials.put("<|endoftext|>", 50256);
                yield new BpeTokenizer(name, ranks("r50k_base"), SplitPattern.GPT2.preTokenizer(), specials);
            }
            case "p50k_base" -> {
                specials.put("<|endoftext|>", 50256);
                yield new BpeTokenizer(name, ranks("p50k_base"), SplitPattern.GPT2.preTokenizer(), specials);
            }
            case "p50k_edit" -> {
                specials.put("<|endoftext|>", 50256);
                specials.put("<|fim_prefix|>", 50281);
                specials.put("<|fim_middle|>", 50282);
                specials.put("<|fim_suffix|>", 50283);
                yield new BpeTokenizer(name, ranks("p50k_base"), SplitPattern.GPT2.preTokenizer(), specials);
            }
            case "cl100k_base" -> {
                specials.put("<|endoftext|>", 100257);
                specials.put("<|fim_prefix|>", 100258);
                specials.put("<|fim_middle|>", 100259);
                specials.put("<|fim_suffix|>", 100260);
                specials.put("<|endofprompt|>", 100276);
                yield new BpeTokenizer(name, ranks("cl100k_base"), SplitPattern.CL100K.preTokenizer(), specials);
            }
            case "o200k_base" -> {
                specials.put("<|endoftext|>", 199999);
                specials.put("<|endofprompt|>", 200018);
                yield new BpeTokenizer(name, ranks("o200k_base"), SplitPattern.O200K.preTokenizer(), specials);
            }
            default -> throw new IllegalArgumentException(name);
        };
    }

    private static TokenTable ranks(String file) {
        return RANKS.computeIfAbsent(file, f -> {
            String resource = "/com/knuddels/jtokkit/" + f + ".tiktoken";
            try (InputStream in = Encodings.class.getResourceAsStream(resource)) {
                if (in == null) throw new IllegalStateException("rank file " + resource + " not on the classpath (is the jtokkit jar missing?)");
                return TiktokenFormat.readRanks(in, "jtokkit:" + resource);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }
}
