package dev.anvil.tokenizer.pretokenize;

import java.util.Locale;

/**
 * The pre-tokenization regexes of the well-known byte-level BPE tokenizers, written as in tiktoken and the
 * Hugging Face {@code tokenizer.json} files (Java's {@code Pattern} accepts them as they are when compiled
 * with {@code UNICODE_CHARACTER_CLASS}). {@link #preTokenizer()} gives the fastest implementation: a
 * hand-written scanner for GPT-2 and cl100k/Llama 3 (checked against the regex in the tests), the regex
 * otherwise.
 */
public enum SplitPattern {
    /** GPT-2 and r50k/p50k: contractions are case-sensitive, digit runs are unbounded. */
    GPT2("'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+"),
    /** GPT-4's cl100k_base: case-insensitive contractions, digits in groups of up to 3, newlines kept apart. */
    CL100K("(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"),
    /** GPT-4o's o200k_base: words split on case changes (CamelCase), contractions attached to the word. */
    O200K(String.join("|",
            "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
            "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
            "\\p{N}{1,3}",
            " ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*",
            "\\s*[\\r\\n]+",
            "\\s+(?!\\S)",
            "\\s+")),
    /** Llama 3: the same regex as cl100k_base. */
    LLAMA3(CL100K.regex);

    private final String regex;
    private volatile PreTokenizer preTokenizer;

    SplitPattern(String regex) {
        this.regex = regex;
    }

    public String regex() {
        return regex;
    }

    /** The fastest exact implementation of this pattern. */
    public PreTokenizer preTokenizer() {
        PreTokenizer p = preTokenizer;
        if (p == null) {
            p = switch (this) {
                case GPT2 -> new Gpt2PreTokenizer();
                case CL100K, LLAMA3 -> new Cl100kPreTokenizer(regex);
                case O200K -> new RegexPreTokenizer(regex);
            };
            preTokenizer = p;
        }
        return p;
    }

    /** The pattern whose regex is exactly {@code regex}, or null. */
    public static SplitPattern ofRegex(String regex) {
        for (SplitPattern p : values()) if (p.regex.equals(regex)) return p;
        return null;
    }

    /** A pre-tokenizer for a pattern name (gpt2, cl100k, o200k, llama3) or else a custom regex. */
    public static PreTokenizer forNameOrRegex(String nameOrRegex) {
        String key = nameOrRegex.toUpperCase(Locale.ROOT).replace("-", "").replace("_BASE", "");
        for (SplitPattern p : values()) if (p.name().equals(key)) return p.preTokenizer();
        return forRegex(nameOrRegex);
    }

    /** The hand-written scanner when {@code regex} is one of the built-in patterns, else the regex itself. */
    public static PreTokenizer forRegex(String regex) {
        SplitPattern known = ofRegex(regex);
        if (known != null) return known.preTokenizer();
        // tiktoken's current spellings of the same patterns (possessive quantifiers, \s++$) map to the scanners too.
        if (regex.equals("'(?i:[sdmt]|ll|ve|re)|[^\\r\\n\\p{L}\\p{N}]?+\\p{L}++|\\p{N}{1,3}+| ?[^\\s\\p{L}\\p{N}]++[\\r\\n]*+|\\s++$|\\s*[\\r\\n]|\\s+(?!\\S)|\\s")
                || regex.equals("'(?i:[sdmt]|ll|ve|re)|[^\\r\\n\\p{L}\\p{N}]?+\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]++[\\r\\n]*|\\s*[\\r\\n]|\\s+(?!\\S)|\\s+"))
            return CL100K.preTokenizer();
        if (regex.equals("'(?:[sdmt]|ll|ve|re)| ?\\p{L}++| ?\\p{N}++| ?[^\\s\\p{L}\\p{N}]++|\\s++$|\\s+(?!\\S)|\\s")
                || regex.equals("'(?:[sdmt]|ll|ve|re)| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+"))
            return GPT2.preTokenizer();
        return new RegexPreTokenizer(regex);
    }
}
