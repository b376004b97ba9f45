package dev.anvil.tokenizer;

import dev.anvil.tokenizer.bpe.BytePairMerger;
import dev.anvil.tokenizer.bpe.TokenBuffer;
import dev.anvil.tokenizer.bpe.TokenTable;
import dev.anvil.tokenizer.pretokenize.PreTokenizer;
import dev.anvil.tokenizer.pretokenize.SafeCuts;
import dev.anvil.tokenizer.pretokenize.Utf8;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A byte-level BPE tokenizer with tiktoken's semantics: pre-tokenize with a regex, byte-pair merge each
 * piece by rank, special tokens matched verbatim in the text only when allowed.
 *
 * <p>Thread-safe: each thread gets its own merger (scratch space and chunk cache).
 */
public final class BpeTokenizer {
    private final String name;
    private final TokenTable tokens;
    private final PreTokenizer preTokenizer;
    private final Map<String, Integer> specialTokens;
    private final Map<Integer, byte[]> specialBytes;
    private final Pattern allSpecials;
    private final ThreadLocal<BytePairMerger> mergers;
    private final int idLimit;

    public BpeTokenizer(String name, TokenTable tokens, PreTokenizer preTokenizer, Map<String, Integer> specialTokens) {
        this.name = Objects.requireNonNull(name);
        this.tokens = Objects.requireNonNull(tokens);
        this.preTokenizer = Objects.requireNonNull(preTokenizer);
        this.specialTokens = Collections.unmodifiableMap(new LinkedHashMap<>(specialTokens));
        this.specialBytes = new java.util.HashMap<>();
        int limit = tokens.idLimit();
        for (var e : specialTokens.entrySet()) {
            int id = e.getValue();
            if (e.getKey().isEmpty()) throw new IllegalArgumentException("empty special token");
            if (tokens.bytes(id) != null)
                throw new IllegalArgumentException("special token '" + e.getKey() + "' has id " + id + ", which is already a mergeable token");
            if (specialBytes.put(id, e.getKey().getBytes(StandardCharsets.UTF_8)) != null)
                throw new IllegalArgumentException("two special tokens share id " + id);
            limit = Math.max(limit, id + 1);
        }
        this.idLimit = limit;
        this.allSpecials = specialPattern(specialTokens.keySet());
        this.mergers = ThreadLocal.withInitial(() -> new BytePairMerger(tokens));
    }

    public String name() { return name; }

    public TokenTable tokens() { return tokens; }

    public PreTokenizer preTokenizer() { return preTokenizer; }

    /** The special tokens and their ids, in declaration order. */
    public Map<String, Integer> specialTokens() { return specialTokens; }

    /** One more than the largest id (the embedding table size a model needs). */
    public int vocabSize() { return idLimit; }

    // ---------------------------------------------------------------- encode

    /** Encodes text as ordinary text: special-token strings are split like any other text. */
    public int[] encodeOrdinary(String text) {
        return encodeOrdinary(Utf8.encode(text));
    }

    /** Encodes raw bytes, which need not be valid UTF-8; decodeBytes gives them back exactly. */
    public int[] encodeOrdinary(byte[] utf8) {
        TokenBuffer out = new TokenBuffer(utf8.length / 3 + 16);
        encodeOrdinary(utf8, 0, utf8.length, out);
        return out.toArray();
    }

    /** Appends the ids of {@code utf8[from, to)} encoded as ordinary text. */
    public void encodeOrdinary(byte[] utf8, int from, int to, TokenBuffer out) {
        BytePairMerger merger = mergers.get();
        preTokenizer.split(utf8, from, to, (s, e) -> merger.encodePiece(utf8, s, e, out));
    }

    /** tiktoken's default: every special token is disallowed, so any occurrence raises. */
    public int[] encode(String text) {
        return encode(text, Set.of());
    }

    /**
     * Encodes text; the special tokens in {@code allowedSpecial} become their ids, and any other special
     * token found in the text raises {@link DisallowedSpecialTokenException} (tiktoken's
     * {@code disallowed_special="all"}).
     */
    public int[] encode(String text, Set<String> allowedSpecial) {
        Set<String> disallowed = new java.util.HashSet<>(specialTokens.keySet());
        disallowed.removeAll(allowedSpecial);
        return encode(text, allowedSpecial, disallowed);
    }

    /**
     * Encodes text: special tokens in {@code allowedSpecial} become their ids; one in {@code disallowedSpecial}
     * raises; any other is encoded as ordinary text. Use {@link #allSpecialTokens()} to allow all.
     */
    public int[] encode(String text, Set<String> allowedSpecial, Set<String> disallowedSpecial) {
        for (String s : allowedSpecial)
            if (!specialTokens.containsKey(s)) throw new IllegalArgumentException("'" + s + "' is not a special token of " + name);
        if (!disallowedSpecial.isEmpty()) {
            Pattern p = disallowedSpecial.size() == specialTokens.size() ? allSpecials : specialPattern(disallowedSpecial);
            if (p != null) {
                Matcher m = p.matcher(text);
                if (m.find()) throw new DisallowedSpecialTokenException(m.group(), m.start());
            }
        }
        if (allowedSpecial.isEmpty()) return encodeOrdinary(text);
        Pattern allowed = allowedSpecial.size() == specialTokens.size() ? allSpecials : specialPattern(allowedSpecial);
        TokenBuffer out = new TokenBuffer(text.length() / 3 + 16);
        Matcher m = allowed.matcher(text);
        int at = 0;
        while (m.find()) {
            byte[] segment = Utf8.encode(text.substring(at, m.start()));
            encodeOrdinary(segment, 0, segment.length, out);
            out.add(specialTokens.get(m.group()));
            at = m.end();
        }
        byte[] rest = Utf8.encode(text.substring(at));
        encodeOrdinary(rest, 0, rest.length, out);
        return out.toArray();
    }

    public Set<String> allSpecialTokens() {
        return specialTokens.keySet();
    }

    /** Encodes many texts as ordinary text on {@code threads} threads of a pool made for this call. */
    public List<int[]> encodeBatch(List<String> texts, int threads) {
        int[][] result = new int[texts.size()][];
        runParallel(texts.size(), threads, i -> result[i] = encodeOrdinary(texts.get(i)));
        return List.of(result);
    }

    /** Below this size a text is encoded on the calling thread: handing it to the pool would cost more than it saves. */
    private static final int MIN_PARALLEL_BYTES = 1 << 16;
    /** The smallest part of a text encoded in parallel: big enough that a part's scheduling cost is noise. */
    private static final int MIN_PART_BYTES = 1 << 14;

    /**
     * Encodes one large text on {@code threads} threads, identically to {@link #encodeOrdinary(byte[])}: the text
     * is cut only at {@link SafeCuts} (after a letter, before a character that cannot continue a piece holding it),
     * where pre-tokenizing the parts gives the pieces of the whole; the parts are encoded concurrently and joined.
     * With a pattern the cut rule is not argued for (a custom regex) it runs on one thread.
     */
    public int[] encodeOrdinaryParallel(byte[] utf8, int threads) {
        if (utf8.length < MIN_PARALLEL_BYTES) return encodeOrdinary(utf8);
        return encodeOrdinaryParallel(utf8, threads, Math.max(MIN_PART_BYTES, utf8.length / (threads * 8)));
    }

    /** {@link #encodeOrdinaryParallel(byte[], int)} with parts of about {@code partBytes} (tests force tiny parts). */
    int[] encodeOrdinaryParallel(byte[] utf8, int threads, int partBytes) {
        if (threads <= 1 || !SafeCuts.supports(preTokenizer)) return encodeOrdinary(utf8);
        if (partBytes < 1) throw new IllegalArgumentException("parts must be at least 1 byte, got " + partBytes);
        List<int[]> parts = new ArrayList<>();
        for (int from = 0; from < utf8.length; ) {
            int to = SafeCuts.next(utf8, Math.min(utf8.length, from + partBytes) - 1, utf8.length);
            parts.add(new int[] {from, to});
            from = to;
        }
        int[][] ids = new int[parts.size()][];
        runParallel(parts.size(), threads, i -> {
            int from = parts.get(i)[0], to = parts.get(i)[1];
            TokenBuffer out = new TokenBuffer((to - from) / 3 + 16);
            encodeOrdinary(utf8, from, to, out);
            ids[i] = out.toArray();
        });
        int total = 0;
        for (int[] a : ids) total += a.length;
        int[] all = new int[total];
        int at = 0;
        for (int[] a : ids) { System.arraycopy(a, 0, all, at, a.length); at += a.length; }
        return all;
    }

    private ExecutorService pool;
    private int poolThreads;

    /**
     * The tokenizer's own worker pool of {@code threads} daemon threads (never the common pool), kept between
     * calls so each worker's chunk cache stays warm; resized when a call asks for a different count.
     */
    private synchronized ExecutorService pool(int threads) {
        if (pool == null || poolThreads != threads) {
            if (pool != null) pool.shutdown();
            AtomicInteger counter = new AtomicInteger();
            pool = Executors.newFixedThreadPool(threads, r -> {
                Thread t = new Thread(r, "anvil-tokenizer-" + counter.incrementAndGet());
                t.setDaemon(true);
                return t;
            });
            poolThreads = threads;
        }
        return pool;
    }

    /** Runs body(0..n-1) on {@code threads} workers of the tokenizer's pool; the first failure is rethrown. */
    private void runParallel(int n, int threads, java.util.function.IntConsumer body) {
        if (threads <= 1 || n <= 1) {
            for (int i = 0; i < n; i++) body.accept(i);
            return;
        }
        int workers = Math.min(threads, n);
        ExecutorService pool = pool(threads);
        AtomicInteger nextTask = new AtomicInteger();
        List<Future<?>> futures = new ArrayList<>();
        for (int w = 0; w < workers; w++) {
            futures.add(pool.submit(() -> {
                for (int i; (i = nextTask.getAndIncrement()) < n; ) body.accept(i);
            }));
        }
        for (Future<?> f : futures) {
            try {
                f.get();
            } catch (java.util.concurrent.ExecutionException e) {
                nextTask.set(n);
                if (e.getCause() instanceof RuntimeException re) throw re;
                throw new IllegalStateException(e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
        }
    }

    // ---------------------------------------------------------------- decode

    /** The bytes of the tokens, concatenated. */
    public byte[] decodeBytes(int[] ids) {
        int n = 0;
        for (int id : ids) n += tokenBytes(id).length;
        byte[] out = new byte[n];
        int at = 0;
        for (int id : ids) {
            byte[] b = tokenBytes(id);
            System.arraycopy(b, 0, out, at, b.length);
            at += b.length;
        }
        return out;
    }

    /** The text of the tokens; byte sequences that are not valid UTF-8 become U+FFFD. */
    public String decode(int[] ids) {
        return new String(decodeBytes(ids), StandardCharsets.UTF_8);
    }

    /** The bytes of one token, special or mergeable (not a copy: do not modify). */
    public byte[] tokenBytes(int id) {
        byte[] b = tokens.bytes(id);
        if (b == null) b = specialBytes.get(id);
        if (b == null) throw new IllegalArgumentException("token id " + id + " is not in " + name + " (vocabulary size " + idLimit + ")");
        return b;
    }

    /** The id of a token given its bytes (mergeable tokens, then special tokens), or -1. */
    public int tokenId(byte[] bytes) {
        int id = tokens.id(bytes);
        if (id >= 0) return id;
        Integer special = specialTokens.get(new String(bytes, StandardCharsets.UTF_8));
        return special == null ? -1 : special;
    }

    private static Pattern specialPattern(Set<String> specials) {
        if (specials.isEmpty()) return null;
        // Longest first, so a special token that contains another as a prefix wins.
        List<String> sorted = new ArrayList<>(specials);
        sorted.sort(Comparator.comparingInt(String::length).reversed().thenComparing(Comparator.naturalOrder()));
        StringBuilder sb = new StringBuilder();
        for (String s : sorted) sb.append(sb.isEmpty() ? "" : "|").append(Pattern.quote(s));
        return Pattern.compile(sb.toString());
    }

    @Override
    public String toString() {
        return "BpeTokenizer[" + name + ", " + tokens.size() + " tokens, " + specialTokens.size() + " special]";
    }
}
