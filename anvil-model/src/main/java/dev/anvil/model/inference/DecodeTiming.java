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

    private static int argmax(float[] z) {
        int best = 0;
        for (int i = 1; i < z.length; i++) if (z[i] > z[best]) best = i;
        return best;
    }
}
