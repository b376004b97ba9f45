package dev.anvil.model.inference;

/**
 * Wall-clock seconds of one greedy run through a session: the prompt's prefill (up to the first
 * next-token logits: the time to first token) and then {@code decodeTokens} single-token steps,
 * each feeding back the argmax. For speed reports ({@code anvil bench decode}, the llama.cpp
 * comparison); the tokens themselves are not kept.
 */
public record DecodeTiming(double prefillSeconds, double decodeSeconds) {

    /** Resets the session, then times the prefill of {@code prompt} and {@code decodeTokens} greedy steps. */
    public static DecodeTiming measure(InferenceSession session, int[] prompt, int decodeTokens) {
        session.reset();
        long t0 = System.nanoTime();
        float[] logits = session.append(prompt, 0, prompt.length);
        long t1 = System.nanoTime();
        for (int i = 0; i < decodeTokens; i++) logits = session.append(argmax(logits));
        long t2 = System.nanoTime();
        return new DecodeTiming((t1 - t0) / 1e9, (t2 - t1) / 1e9);
    }

    /**
     * Times a batch: the prompts prefilled (as many per step as the engine's step rows allow, a
     * longer prompt in chunks), then {@code decodeTokens} steps that each advance every sequence by
     * its greedy token — one GEMM per weight per step over all sequences. The sequences are
     * released at the end; {@code kvBytes[0]}, if given, receives the KV memory in use at the end.
     */
    public static DecodeTiming measure(BatchedEngine engine, int[][] prompts, int decodeTokens, long[] kvBytes) {
        int B = prompts.length, V = engine.config().vocabSize(), maxRows = engine.options().maxStepRows();
        KvCache[] seqs = new KvCache[B];
        float[][] logits = new float[B][V];
        for (int b = 0; b < B; b++) seqs[b] = engine.open(prompts[b].length + decodeTokens);
        long t0 = System.nanoTime();
        java.util.List<BatchedEngine.Feed> feeds = new java.util.ArrayList<>();
        int[] done = new int[B];
        for (int b = 0; b < B; ) {
            feeds.clear();
            int rows = 0;
            // Fill one step with prompt chunks of as many sequences as fit.
            for (int s = b; s < B && rows < maxRows; s++) {
                int n = Math.min(prompts[s].length - done[s], maxRows - rows);
                boolean last = done[s] + n == prompts[s].length;
                feeds.add(new BatchedEngine.Feed(seqs[s], prompts[s], done[s], n, last ? logits[s] : null, 0, false));
                done[s] += n;
                rows += n;
                if (!last) break;
            }
            engine.step(feeds);
            while (b < B && done[b] == prompts[b].length) b++;
        }
        long t1 = System.nanoTime();
        int[][] next = new int[B][1];
        for (int i = 0; i < decodeTokens; i++) {
            feeds.clear();
            for (int b = 0; b < B; b++) {
                next[b][0] = argmax(logits[b]);
                feeds.add(BatchedEngine.Feed.last(seqs[b], next[b], 0, 1, logits[b]));
            }
            engine.step(feeds);
        }
        long t2 = System.nanoTime();
        if (kvBytes != null && kvBytes.length > 0) kvBytes[0] = engine.pool().bytesInUse();
        for (KvCache s : seqs) s.release();
        return new DecodeTiming((t1 - t0) / 1e9, (t2 - t1) / 1e9);
    }

    private static int argmax(float[] z) {
        int best = 0;
        for (int i = 1; i < z.length; i++) if (z[i] > z[best]) best = i;
        return best;
    }
}
