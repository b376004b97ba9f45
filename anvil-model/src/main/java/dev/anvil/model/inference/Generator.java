package dev.anvil.model.inference;

import dev.anvil.model.sampling.GenerationConfig;
import dev.anvil.model.sampling.Sampler;

import java.util.Arrays;
import java.util.function.Function;

/**
 * Prompt in, completion out: prefill of the prompt in one batched step, then sample a token, feed
 * it back through the {@link KvCache}, until a stop token, a stop string, the token budget or the
 * end of the context.
 *
 * <p>Text is streamed as it becomes final. The whole completion is re-decoded after each token and
 * only the new part is emitted, holding back (a) a trailing U+FFFD, which a byte-level BPE decode
 * gives for a character whose UTF-8 bytes are split across tokens, and (b) any tail that could be
 * the start of a stop string — so a stop string never reaches the listener.
 */
public final class Generator {

    /** Receives the completion as it is produced. */
    @FunctionalInterface
    public interface Listener {
        /**
         * {@code token} was generated; {@code text} is the newly final text (may be empty). A last call
         * with token −1 flushes text held back until the end (an incomplete character, or the
         * beginning of a stop string that never completed).
         */
        void onToken(int token, String text);
    }

    public enum StopReason { MAX_TOKENS, STOP_TOKEN, STOP_STRING, CONTEXT_FULL, CANCELLED }

    /**
     * @param tokens       generated ids (a stop token is not included; tokens past a stop string are)
     * @param text         the completion text, cut before a stop string
     * @param prefillNanos time from the start to the first token's logits (time to first token)
     * @param decodeNanos  time spent on the tokens after the first
     * @param reusedTokens prompt tokens whose keys and values were already in the cache from the previous call
     */
    public record Result(int[] tokens, String text, StopReason stopReason, int promptTokens, long prefillNanos, long decodeNanos,
                         int reusedTokens) {}

    private final InferenceSession session;
    private final Function<int[], String> decoder;
    private final int samplingVocab;
    private volatile boolean cancelled;
    /** The tokens whose keys and values the cache holds, in order (cacheTokens[0, session.position())). */
    private int[] cacheTokens = new int[0];

    /**
     * @param decoder       ids → text (the tokenizer's decode)
     * @param samplingVocab ids the sampler may produce: the tokenizer's vocabulary when the model's is padded
     */
    public Generator(InferenceSession session, Function<int[], String> decoder, int samplingVocab) {
        if (samplingVocab < 1 || samplingVocab > session.config().vocabSize()) {
            throw new IllegalArgumentException("generator: sampling vocabulary " + samplingVocab + " must be in [1, " + session.config().vocabSize() + "]");
        }
        this.session = session;
        this.decoder = decoder;
        this.samplingVocab = samplingVocab;
    }

    /** Stops the running generation after the current token (e.g. from a Ctrl-C handler). */
    public void cancel() {
        cancelled = true;
    }

    /**
     * Generates a completion of {@code prompt}. The cache keeps what the previous call left, so the
     * longest common prefix of that sequence (prompt and completion) and this prompt is not
     * recomputed — a chat turn only prefills the new messages. At least the last prompt token is
     * always fed, since its logits start the completion.
     */
    public Result generate(int[] prompt, GenerationConfig config, Listener listener) {
        int capacity = session.cache().capacity();
        if (prompt.length == 0) throw new IllegalArgumentException("generate: the prompt is empty (it needs at least one token)");
        if (prompt.length > capacity) {
            throw new IllegalArgumentException("generate: the prompt has " + prompt.length + " tokens, more than the model's context of "
                    + capacity + " tokens; shorten the prompt");
        }
        cancelled = false;
        int reuse = 0, held = Math.min(session.position(), cacheTokens.length);
        while (reuse < held && reuse < prompt.length - 1 && cacheTokens[reuse] == prompt[reuse]) reuse++;
        session.cache().truncate(reuse);
        if (cacheTokens.length < capacity) cacheTokens = Arrays.copyOf(cacheTokens, capacity);
        System.arraycopy(prompt, reuse, cacheTokens, reuse, prompt.length - reuse);
        Sampler sampler = new Sampler(config.sampling(), samplingVocab);
        sampler.accept(prompt, 0, prompt.length);
        int maxStop = 0;
        for (String s : config.stopStrings()) maxStop = Math.max(maxStop, s.length());

        long start = System.nanoTime();
        float[] logits = session.append(prompt, reuse, prompt.length - reuse);
        long firstLogits = System.nanoTime();
        int[] generated = new int[Math.max(1, Math.min(config.maxTokens(), 1 << 16))];
        int n = 0, emitted = 0;
        String text = "";
        StopReason reason = StopReason.MAX_TOKENS;
        while (true) {
            if (n >= config.maxTokens()) {
                reason = StopReason.MAX_TOKENS;
                break;
            }
            if (cancelled) {
                reason = StopReason.CANCELLED;
                break;
            }
            int token = sampler.sample(logits);
            if (config.stopTokens().contains(token)) {
                reason = StopReason.STOP_TOKEN;
                break;
            }
            if (n == generated.length) generated = Arrays.copyOf(generated, 2 * n);
            generated[n++] = token;
            sampler.accept(token);
            text = decoder.apply(Arrays.copyOf(generated, n));

            int stopAt = firstStop(text, config, Math.max(0, emitted - maxStop));
            if (stopAt >= 0) {
                text = text.substring(0, stopAt);
                listener.onToken(token, text.substring(Math.min(emitted, stopAt)));
                emitted = text.length();
                reason = StopReason.STOP_STRING;
                break;
            }
            int safe = safeEnd(text, config);
            listener.onToken(token, safe > emitted ? text.substring(emitted, safe) : "");
            emitted = Math.max(emitted, safe);

            if (n >= config.maxTokens()) {
                reason = StopReason.MAX_TOKENS;
                break;
            }
            if (session.position() >= capacity) {
                reason = StopReason.CONTEXT_FULL;
                break;
            }
            cacheTokens[session.position()] = token;
            logits = session.append(token);
        }
        // Flush what was held back (an incomplete character or a partial stop string that never completed).
        if (reason != StopReason.STOP_STRING && emitted < text.length()) {
            listener.onToken(-1, text.substring(emitted));
        }
        long end = System.nanoTime();
        return new Result(Arrays.copyOf(generated, n), text, reason, prompt.length, firstLogits - start, end - firstLogits, reuse);
    }

    private static int firstStop(String text, GenerationConfig config, int from) {
        int best = -1;
        for (String s : config.stopStrings()) {
            int i = text.indexOf(s, from);
            if (i >= 0 && (best < 0 || i < best)) best = i;
        }
        return best;
    }

    /** The end of the text that can be emitted now: before a trailing U+FFFD run and before any suffix that starts a stop string. */
    private static int safeEnd(String text, GenerationConfig config) {
        int end = text.length();
        while (end > 0 && text.charAt(end - 1) == '\uFFFD') end--;
        int hold = 0;
        for (String s : config.stopStrings()) {
            for (int len = Math.min(s.length() - 1, end); len > hold; len--) {
                if (text.regionMatches(end - len, s, 0, len)) {
                    hold = len;
                    break;
                }
            }
        }
        return end - hold;
    }
}
