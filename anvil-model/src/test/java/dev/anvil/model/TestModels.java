package dev.anvil.model;

import dev.anvil.core.random.Rng;

/** Small models and token ids the model tests share. */
public final class TestModels {
    private TestModels() {}

    /**
     * A model initialized from {@code seed}, every parameter then multiplied by {@code scale}:
     * larger weights than the 0.02 init, so attention is not uniform and every path carries signal.
     */
    public static Transformer scaled(ModelConfig c, long seed, float scale) {
        Transformer net = new Transformer(c);
        net.initialize(new Rng(seed));
        for (int i = 0; i < net.parameters().data().length; i++) net.parameters().data()[i] *= scale;
        return net;
    }

    /** {@code n} token ids drawn uniformly from the vocabulary. */
    public static int[] tokens(int vocab, int n, long seed) {
        Rng r = new Rng(seed);
        int[] t = new int[n];
        for (int i = 0; i < n; i++) t[i] = r.nextInt(vocab);
        return t;
    }
}
