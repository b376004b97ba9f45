package dev.anvil.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.anvil.core.compute.ComputePool;
import dev.anvil.tokenizer.BpeTokenizer;
import dev.anvil.tokenizer.CharTokenizer;
import dev.anvil.tokenizer.Encodings;
import dev.anvil.tokenizer.TokenizerFiles;
import dev.anvil.tokenizer.pretokenize.SplitPattern;
import dev.anvil.tokenizer.train.BpeTrainer;
import dev.anvil.tokenizer.train.BpeTrainerConfig;
import dev.anvil.tokenizer.train.TrainedBpe;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code anvil tokenizer ...}: train, encode, decode and evaluate byte-level BPE tokenizers. */
@Command(name = "tokenizer", mixinStandardHelpOptions = true,
        description = "Train, use and compare tokenizers (byte-level BPE; tiktoken and Hugging Face formats).",
        subcommands = {TokenizerCommand.Train.class, TokenizerCommand.Encode.class, TokenizerCommand.Decode.class, TokenizerCommand.Eval.class},
        footer = {"", "Examples:", "  bin/anvil tokenizer train --input corpus.txt --vocab-size 8192 --output tok/",
                "  bin/anvil tokenizer eval --input held-out.txt --tokenizer tok/"})
public final class TokenizerCommand {
    static final String CHAR_FILE = "char-tokenizer.json";

    static int threads() {
        return ComputePool.shared().threads();
    }

    /** Which tokenizer to use: a built-in encoding or a directory / file. */
    static final class Choice {
        @Option(names = "--encoding", paramLabel = "NAME", description = "Built-in encoding: r50k_base (gpt2), p50k_base, p50k_edit, cl100k_base, o200k_base.")
        String encoding;
        @Option(names = "--tokenizer", paramLabel = "PATH", description = "A tokenizer directory (tokenizer.json, tokenizer.tiktoken, encoder.json + vocab.bpe, or "
                + CHAR_FILE + ") or file.")
        Path tokenizer;
    }

    /** A BPE tokenizer or a character-level one, behind one encode/decode face. */
    record Loaded(String name, BpeTokenizer bpe, CharTokenizer chars) {
        static Loaded of(Choice c) throws IOException {
            if (c.encoding != null) return new Loaded(c.encoding, Encodings.get(c.encoding), null);
            Path p = c.tokenizer;
            Path charFile = Files.isDirectory(p) ? p.resolve(CHAR_FILE) : p;
            if (Files.exists(charFile) && charFile.getFileName().toString().equals(CHAR_FILE))
                return new Loaded(p.toString(), null, CharTokenizer.load(charFile));
            return new Loaded(p.toString(), TokenizerFiles.load(p), null);
        }

        int[] encode(byte[] utf8, SpecialPolicy policy, int threads) {
            if (chars != null) return chars.encode(new String(utf8, StandardCharsets.UTF_8));
            if (policy == SpecialPolicy.TEXT || bpe.specialTokens().isEmpty()) return bpe.encodeOrdinaryParallel(utf8, threads);
            String text = new String(utf8, StandardCharsets.UTF_8);
            if (policy == SpecialPolicy.RAISE) {
                int first = Integer.MAX_VALUE;
                String token = null;
                for (String s : bpe.specialTokens().keySet()) {
                    int i = text.indexOf(s);
                    if (i >= 0 && i < first) { first = i; token = s; }
                }
                if (token != null) throw new dev.anvil.tokenizer.DisallowedSpecialTokenException(token, first);
                return bpe.encodeOrdinaryParallel(utf8, threads);
            }
            return bpe.encode(text, bpe.allSpecialTokens());
        }

        byte[] decode(int[] ids) {
            return chars != null ? chars.decode(ids).getBytes(StandardCharsets.UTF_8) : bpe.decodeBytes(ids);
        }
    }

    enum SpecialPolicy { RAISE, ALLOW, TEXT }

    @Command(name = "train", mixinStandardHelpOptions = true,
            description = "Train a byte-level BPE tokenizer; writes DIR/tokenizer.json and DIR/tokenizer.tiktoken (+ .json sidecar).",
            footer = {"", "Examples:", "  bin/anvil tokenizer train --input corpus.txt --vocab-size 8192 --output tok/",
                    "  bin/anvil tokenizer train --input corpus.txt --output tok-char/ --char",
                    "  bin/anvil tokenizer train --input a.jsonl --pattern llama3 --output tok/"})
    static final class Train implements Callable<Integer> {
        @Option(names = "--input", required = true, arity = "1..*", paramLabel = "FILE",
                description = "Training text: plain UTF-8 (.txt, any name) or JSON lines with a \"text\" field (.jsonl); .gz is unpacked.")
        List<Path> inputs;
        @Option(names = "--vocab-size", paramLabel = "N", description = "Total ids: 256 bytes + merges + special tokens (default: ${DEFAULT-VALUE}).", defaultValue = "32768")
        int vocabSize;
        @Option(names = {"--output", "--out"}, required = true, paramLabel = "DIR", description = "Directory to write the tokenizer files to.") Path output;
        @Option(names = "--pattern", defaultValue = "cl100k", paramLabel = "NAME|REGEX",
                description = "Pre-tokenizer: gpt2, cl100k, o200k, llama3 or a regex (default: ${DEFAULT-VALUE}).")
        String pattern;
        @Option(names = "--special", paramLabel = "TOKEN[=ID]", description = "A special token, optionally at a chosen id (repeatable; default: <|endoftext|> after the merges).")
        List<String> specials;
        @Option(names = "--no-special", description = "No special tokens at all.") boolean noSpecial;
        @Option(names = "--min-frequency", defaultValue = "2", paramLabel = "F", description = "Stop when the best pair occurs fewer times (default: ${DEFAULT-VALUE}).")
        long minFrequency;
        @Option(names = "--doc-cap", defaultValue = "0", paramLabel = "BYTES", description = "Count only the first BYTES of each document (0 = all).")
        int docCap;
        @Option(names = "--name", paramLabel = "NAME", description = "Tokenizer name (default: the output directory's name).") String name;
        @Option(names = "--char", description = "Instead: a character-level tokenizer (vocabulary = characters seen), written to DIR/" + CHAR_FILE + ".")
        boolean charLevel;

        @Override
        public Integer call() throws Exception {
            if (!charLevel && vocabSize < 257) throw new UsageException("--vocab-size must be more than the 256 byte tokens, got " + vocabSize);
            for (Path p : inputs) if (!Files.isRegularFile(p)) throw new IllegalArgumentException("--input " + p + ": no such file");
            Files.createDirectories(output);
            if (charLevel) {
                StringBuilder sb = new StringBuilder();
                for (Path p : inputs) sb.append(Files.readString(p));
                CharTokenizer t = CharTokenizer.fitCharacters(sb);
                t.save(output.resolve(CHAR_FILE));
                Output.result(Output.object().put("tokenizer", output.resolve(CHAR_FILE).toString()).put("type", "char").put("vocab_size", t.vocabSize()),
                        () -> System.out.println("wrote " + output.resolve(CHAR_FILE) + " (" + t.vocabSize() + " characters)"));
                return 0;
            }
            Map<String, Integer> specialTokens = new LinkedHashMap<>();
            if (!noSpecial) {
                for (String s : specials == null ? List.of("<|endoftext|>") : specials) {
                    int eq = s.lastIndexOf('=');
                    if (eq > 0 && s.substring(eq + 1).matches("\\d+")) specialTokens.put(s.substring(0, eq), Integer.parseInt(s.substring(eq + 1)));
                    else specialTokens.put(s, null);
                }
            }
            String tokenizerName = name != null ? name : output.toAbsolutePath().getFileName().toString();
            BpeTrainerConfig config = new BpeTrainerConfig(tokenizerName, vocabSize, SplitPattern.forNameOrRegex(pattern), specialTokens,
                    minFrequency, docCap, threads());
            ProgressBar bar = ProgressBar.stderr("tokenizer train", "MB", 1e6);
            TrainedBpe trained = BpeTrainer.train(inputs, config, (phase, done, total) -> {
                if (phase.equals("counting")) bar.phase("counting", "MB", 1e6, done, total);
                else bar.phase("merging", "merges", 1, done, total);
            });
            bar.finish();
            TokenizerFiles.save(trained.tokenizer(), output);
            var json = Output.object().put("name", tokenizerName).put("type", "bpe").put("vocab_size", trained.tokenizer().vocabSize())
                    .put("merges", trained.merges().size()).put("special_tokens", specialTokens.size())
                    .put("distinct_chunks", trained.distinctChunks()).put("chunk_occurrences", trained.chunkOccurrences())
                    .put("count_seconds", trained.countSeconds()).put("merge_seconds", trained.mergeSeconds())
                    .put("tokenizer", output.resolve(TokenizerFiles.HF_FILE).toString()).put("tiktoken", output.resolve(TokenizerFiles.TIKTOKEN_FILE).toString());
            Output.result(json, () -> {
                System.out.printf("trained %s: %d ids (%d merges, %d special) from %,d distinct chunks (%,d in all); counting %.1f s, merging %.1f s%n",
                        tokenizerName, trained.tokenizer().vocabSize(), trained.merges().size(), specialTokens.size(),
                        trained.distinctChunks(), trained.chunkOccurrences(), trained.countSeconds(), trained.mergeSeconds());
                if (trained.tokenizer().vocabSize() < vocabSize)
                    System.out.printf("note: stopped early at %d ids: no pair occurs %d or more times%n", trained.tokenizer().vocabSize(), minFrequency);
                System.out.println("wrote " + output.resolve(TokenizerFiles.HF_FILE) + " and " + output.resolve(TokenizerFiles.TIKTOKEN_FILE));
            });
            return 0;
        }
    }

    @Command(name = "encode", mixinStandardHelpOptions = true,
            description = "Print the token ids of a file's UTF-8 text as a JSON array (--lines: one array per line; with --json one object {\"ids\": [...]}).",
            footer = {"", "Examples:", "  bin/anvil tokenizer encode --encoding cl100k_base --input text.txt",
                    "  bin/anvil tokenizer encode --tokenizer tok/ --input - --lines < lines.txt"})
    static final class Encode implements Callable<Integer> {
        @ArgGroup(exclusive = true, multiplicity = "1") Choice choice;
        @Option(names = "--input", required = true, paramLabel = "FILE", description = "The text (- for stdin).") Path input;
        @Option(names = "--lines", description = "Encode each line separately (without its line break).") boolean lines;
        @Option(names = "--allow-special", description = "Encode special tokens in the text as their ids (default: an error).") boolean allowSpecial;
        @Option(names = "--special-as-text", description = "Encode special-token text as ordinary text.") boolean specialAsText;

        @Override
        public Integer call() throws Exception {
            if (allowSpecial && specialAsText) throw new UsageException("choose one of --allow-special and --special-as-text");
            Loaded t = Loaded.of(choice);
            SpecialPolicy policy = allowSpecial ? SpecialPolicy.ALLOW : specialAsText ? SpecialPolicy.TEXT : SpecialPolicy.RAISE;
            byte[] bytes = input.toString().equals("-") ? System.in.readAllBytes() : Files.readAllBytes(input);
            if (Output.json()) {
                var json = Output.object();
                if (!lines) {
                    var ids = json.putArray("ids");
                    for (int id : t.encode(bytes, policy, threads())) ids.add(id);
                } else {
                    var all = json.putArray("lines");
                    for (String line : new String(bytes, StandardCharsets.UTF_8).lines().toList()) {
                        var ids = all.addArray();
                        for (int id : t.encode(line.getBytes(StandardCharsets.UTF_8), policy, 1)) ids.add(id);
                    }
                }
                Output.result(json, () -> {});
                return 0;
            }
            PrintStream out = new PrintStream(new BufferedOutputStream(System.out, 1 << 16), false, StandardCharsets.UTF_8);
            {
                if (!lines) {
                    printIds(out, t.encode(bytes, policy, threads()));
                } else {
                    int start = 0;
                    for (int i = 0; i <= bytes.length; i++) {
                        if (i == bytes.length && start == i) break;
                        if (i == bytes.length || bytes[i] == '\n') {
                            int end = i > start && bytes[i - 1] == '\r' ? i - 1 : i;
                            printIds(out, t.encode(java.util.Arrays.copyOfRange(bytes, start, end), policy, 1));
                            start = i + 1;
                        }
                    }
                }
            }
            out.flush();
            return 0;
        }

        static void printIds(PrintStream out, int[] ids) {
            StringBuilder sb = new StringBuilder(ids.length * 6 + 2).append('[');
            for (int i = 0; i < ids.length; i++) {
                if (i > 0) sb.append(", ");
                sb.append(ids[i]);
            }
            out.append(sb.append("]\n"));
        }
    }

    @Command(name = "decode", mixinStandardHelpOptions = true,
            description = "Turn token ids (a JSON array, or one per line with --lines) back into text, written byte-exactly to stdout (with --json: {\"text\": ...}).",
            footer = {"", "Examples:", "  bin/anvil tokenizer decode --encoding cl100k_base --input ids.json",
                    "  echo '[1820, 16053]' | bin/anvil tokenizer decode --encoding cl100k_base"})
    static final class Decode implements Callable<Integer> {
        @ArgGroup(exclusive = true, multiplicity = "1") Choice choice;
        @Option(names = "--input", paramLabel = "FILE", description = "JSON array(s) of ids (- or absent: stdin).") Path input;
        @Option(names = "--lines", description = "One JSON array per line; each decodes to one output line.") boolean lines;

        @Override
        public Integer call() throws Exception {
            Loaded t = Loaded.of(choice);
            String text = input == null || input.toString().equals("-") ? new String(System.in.readAllBytes(), StandardCharsets.UTF_8) : Files.readString(input);
            ObjectMapper json = new ObjectMapper();
            java.io.ByteArrayOutputStream collected = Output.json() ? new java.io.ByteArrayOutputStream() : null;
            OutputStream out = collected != null ? collected : new BufferedOutputStream(System.out, 1 << 16);
            List<String> arrays = lines ? text.lines().filter(l -> !l.isBlank()).toList() : List.of(text);
            int lineNo = 0;
            for (String a : arrays) {
                lineNo++;
                int[] ids;
                try {
                    ids = json.readValue(a, int[].class);
                } catch (IOException e) {
                    throw new IllegalArgumentException((input == null ? "stdin" : input) + (lines ? ", line " + lineNo : "") + ": expected a JSON array of token ids");
                }
                out.write(t.decode(ids));
                if (lines) out.write('\n');
            }
            out.flush();
            if (collected != null) Output.result(Output.object().put("text", collected.toString(StandardCharsets.UTF_8)), () -> {});
            return 0;
        }
    }

    @Command(name = "eval", mixinStandardHelpOptions = true,
            description = "Compression (UTF-8 bytes per token) of tokenizers on held-out texts, side by side with GPT-2 and cl100k.",
            footer = {"", "Examples:", "  bin/anvil tokenizer eval --input held-out.txt --tokenizer tok/",
                    "  bin/anvil tokenizer eval --input a.txt b.txt --encoding o200k_base --json"})
    static final class Eval implements Callable<Integer> {
        @Option(names = "--input", required = true, arity = "1..*", paramLabel = "FILE") List<Path> inputs;
        @Option(names = "--tokenizer", paramLabel = "PATH", description = "A tokenizer to evaluate (repeatable).") List<Path> tokenizers;
        @Option(names = "--encoding", paramLabel = "NAME", description = "Built-in encodings to compare (default: r50k_base cl100k_base).")
        List<String> encodings;
        @Override
        public Integer call() throws Exception {
            List<Loaded> all = new ArrayList<>();
            for (String e : encodings == null ? List.of("r50k_base", "cl100k_base") : encodings) {
                Choice c = new Choice();
                c.encoding = e;
                all.add(Loaded.of(c));
            }
            if (tokenizers != null) for (Path p : tokenizers) {
                Choice c = new Choice();
                c.tokenizer = p;
                all.add(Loaded.of(c));
            }
            List<Map<String, Object>> rows = new ArrayList<>();
            long[] totalTokens = new long[all.size()];
            long totalBytes = 0;
            for (Path in : inputs) {
                byte[] bytes = Files.readAllBytes(in);
                totalBytes += bytes.length;
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("text", in.getFileName().toString());
                row.put("bytes", bytes.length);
                for (int i = 0; i < all.size(); i++) {
                    int n = all.get(i).encode(bytes, SpecialPolicy.TEXT, threads()).length;
                    totalTokens[i] += n;
                    row.put(all.get(i).name(), Map.of("tokens", n, "bytes_per_token", n == 0 ? 0.0 : (double) bytes.length / n));
                }
                rows.add(row);
            }
            if (Output.json()) {
                Map<String, Object> out = new LinkedHashMap<>();
                out.put("rows", rows);
                Map<String, Object> totals = new LinkedHashMap<>();
                for (int i = 0; i < all.size(); i++) totals.put(all.get(i).name(), Map.of("tokens", totalTokens[i], "bytes_per_token", (double) totalBytes / Math.max(1, totalTokens[i])));
                out.put("total", totals);
                System.out.println(Output.JSON.writeValueAsString(out));
                return 0;
            }
            StringBuilder header = new StringBuilder(String.format("%-28s %12s", "text", "bytes"));
            for (Loaded l : all) header.append(String.format("  %22s", abbreviate(l.name(), 22)));
            header.append("   (tokens, UTF-8 bytes per token)");
            System.out.println(header);
            for (Map<String, Object> row : rows) {
                StringBuilder sb = new StringBuilder(String.format("%-28s %,12d", abbreviate((String) row.get("text"), 28), (Integer) row.get("bytes")));
                for (Loaded l : all) {
                    @SuppressWarnings("unchecked") Map<String, Object> cell = (Map<String, Object>) row.get(l.name());
                    sb.append(String.format("  %,12d %5.2f b/t", (Integer) cell.get("tokens"), (Double) cell.get("bytes_per_token")));
                }
                System.out.println(sb);
            }
            StringBuilder total = new StringBuilder(String.format("%-28s %,12d", "TOTAL", totalBytes));
            for (int i = 0; i < all.size(); i++)
                total.append(String.format("  %,12d %5.2f b/t", totalTokens[i], (double) totalBytes / Math.max(1, totalTokens[i])));
            System.out.println(total);
            return 0;
        }

        static String abbreviate(String s, int n) {
            return s.length() <= n ? s : "…" + s.substring(s.length() - n + 1);
        }
    }
}
