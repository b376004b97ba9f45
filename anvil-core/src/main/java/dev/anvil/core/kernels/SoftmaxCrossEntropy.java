package dev.anvil.core.kernels;

/**
 * Fused softmax + cross-entropy over the last axis with an ignore index: for each row i with
 * target t ≠ ignoreIndex, loss_i = logsumexp(logits_i) − logits_i[t]. Fusing avoids materialising
 * the [N, V] probabilities (V is the vocabulary, the largest activation in a language model).
 */
public final class SoftmaxCrossEntropy {
    private SoftmaxCrossEntropy() {}

    /**
     * Writes losses[N] (0 for ignored rows) and lse[N] (row logsumexp, kept for backward).
     * Returns the number of rows that count (targets ≠ ignoreIndex). Targets outside [0, V) other
     * than ignoreIndex throw.
     */
    public static int forward(float[] losses, int lossesOff, float[] lse, int lseOff, float[] logits, int logitsOff,
                              int[] targets, int targetsOff, int N, int V, int ignoreIndex) { throw new UnsupportedOperationException("not implemented yet"); }

    /**
     * dLogits[i, :] += scale·(softmax(logits_i) − onehot(t_i)) for counted rows, where scale is
     * dLoss/count for a mean loss. dLogits may be the logits array itself (in place, saving V·N floats).
     */
    public static void backward(float[] dLogits, int dLogitsOff, float[] logits, int logitsOff, float[] lse, int lseOff,
                                int[] targets, int targetsOff, int N, int V, int ignoreIndex, float scale) { throw new UnsupportedOperationException("not implemented yet"); }
}
