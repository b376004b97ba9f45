package dev.anvil.core.kernels;

/** Token (or position) embedding lookup: {@code out[i, :] = table[ids[i], :]}. */
public final class Embedding {
    private Embedding() {}

    /** out[n, C] = table[ids[idsOff + i]] for i &lt; n; table is [vocab, C]. Ids outside [0, vocab) throw. */
    public static void forward(float[] out, int outOff, int[] ids, int idsOff, int n,
                               float[] table, int tableOff, int vocab, int C) { throw new UnsupportedOperationException("not implemented yet"); }

    /** dTable[ids[i], :] += dOut[i, :]. */
    public static void backward(float[] dTable, int dTableOff, int[] ids, int idsOff, int n,
                                float[] dOut, int dOutOff, int vocab, int C) { throw new UnsupportedOperationException("not implemented yet"); }
}
