package dev.anvil.core.kernels;

/**
 * Causal scaled-dot-product attention, multi-head and grouped-query (nKvHead divides nHead; query
 * head h reads key/value head h / (nHead / nKvHead)). Streaming ("flash") softmax: scores are
 * processed in key blocks with a running max and sum, so no T×T buffer is needed; the row
 * logsumexp is saved for backward, which recomputes scores block by block.
 *
 * <p>Layouts: q and out are [B, T, nHead, D]; k and v are [B, Tk, nKvHead, D]. The Tq queries sit
 * at the last Tq positions of the Tk keys (Tq = Tk in training; Tq &lt; Tk when decoding with a
 * KV cache), and query i attends keys 0 … (Tk − Tq + i).
 */
public final class Attention {
    private Attention() {}

    /** Writes out and lse[B, nHead, Tq]. */
    public static void forward(float[] out, int outOff, float[] lse, int lseOff,
                               float[] q, int qOff, float[] k, int kOff, float[] v, int vOff,
                               int B, int Tq, int Tk, int nHead, int nKvHead, int D, float scale) { throw new UnsupportedOperationException("not implemented yet"); }

    /** dq += …, dk += …, dv += … (grouped heads sum into their shared K/V head). */
    public static void backward(float[] dq, int dqOff, float[] dk, int dkOff, float[] dv, int dvOff,
                                float[] dOut, int dOutOff, float[] out, int outOff, float[] lse, int lseOff,
                                float[] q, int qOff, float[] k, int kOff, float[] v, int vOff,
                                int B, int Tq, int Tk, int nHead, int nKvHead, int D, float scale) { throw new UnsupportedOperationException("not implemented yet"); }
}
