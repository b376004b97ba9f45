package dev.anvil.core.kernels;

import dev.anvil.core.compute.ComputePool;

import static dev.anvil.core.kernels.KernelChecks.first;
import static dev.anvil.core.kernels.KernelChecks.range;
import static dev.anvil.core.kernels.KernelChecks.sizes;

/** Token (or position) embedding lookup: {@code out[i, :] = table[ids[i], :]}. */
public final class Embedding {
    private Embedding() {}

    /** Elements copied per parallel task: a copy is pure bandwidth, so only big lookups split. */
    private static final int GRAIN_ELEMENTS = 1 << 16;

    /** out[n, C] = table[ids[idsOff + i]] for i &lt; n; table is [vocab, C]. Ids outside [0, vocab) throw. */
    public static void forward(float[] out, int outOff, int[] ids, int idsOff, int n,
                               float[] table, int tableOff, int vocab, int C) {
        String problem = first(sizes("n, vocab, C", n, vocab, C),
                range("out", out, outOff, (long) n * C),
                range("ids", ids, idsOff, n),
                range("table", table, tableOff, (long) vocab * C));
        if (problem != null) throw fail("forward", n, vocab, C, problem);
        checkIds("forward", ids, idsOff, n, vocab, C);
        ComputePool.shared().parallelFor(n, VectorMath.rowGrain(C, GRAIN_ELEMENTS), (i0, i1) -> {
            for (int i = i0; i < i1; i++) {
                System.arraycopy(table, tableOff + ids[idsOff + i] * C, out, outOff + i * C, C);
            }
        });
    }

    /**
     * dTable[ids[i], :] += dOut[i, :]. Repeated ids add into the same table row, so the work is split
     * over column slices rather than rows: each task owns a slice of every table row and walks all
     * n ids in order, which needs no locks and gives the same sums whatever the thread count.
     */
    public static void backward(float[] dTable, int dTableOff, int[] ids, int idsOff, int n,
                                float[] dOut, int dOutOff, int vocab, int C) {
        String problem = first(sizes("n, vocab, C", n, vocab, C),
                range("dTable", dTable, dTableOff, (long) vocab * C),
                range("ids", ids, idsOff, n),
                range("dOut", dOut, dOutOff, (long) n * C));
        if (problem != null) throw fail("backward", n, vocab, C, problem);
        checkIds("backward", ids, idsOff, n, vocab, C);
        if (n == 0 || C == 0) return;
        // Column slices are whole vectors wide, so the vector/tail split is the same for every row.
        int lanes = VectorMath.LANES;
        int slices = (C + lanes - 1) / lanes;
        int grainSlices = Math.max(1, GRAIN_ELEMENTS / Math.max(1, n) / lanes);
        ComputePool.shared().parallelFor(slices, grainSlices, (s0, s1) -> {
            int c0 = s0 * lanes, width = Math.min(C, s1 * lanes) - c0;
            for (int i = 0; i < n; i++) {
                VectorMath.addInPlace(dTable, dTableOff + ids[idsOff + i] * C + c0, dOut, dOutOff + i * C + c0, width);
            }
        });
    }

    private static void checkIds(String op, int[] ids, int idsOff, int n, int vocab, int C) {
        for (int i = 0; i < n; i++) {
            int id = ids[idsOff + i];
            if (id < 0 || id >= vocab) throw fail(op, n, vocab, C, "ids[" + i + "] = " + id + " is outside [0, " + vocab + ")");
        }
    }

    private static IllegalArgumentException fail(String op, int n, int vocab, int C, String problem) {
        return new IllegalArgumentException("Embedding." + op + "(n=" + n + ", vocab=" + vocab + ", C=" + C + "): " + problem);
    }
}
