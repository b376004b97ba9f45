package dev.anvil.core.kernels;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static dev.anvil.core.kernels.SampledGradient.accumulatedError;
import static dev.anvil.core.kernels.SampledGradient.indices;
import static dev.anvil.core.kernels.SampledGradient.numeric;
import static dev.anvil.core.kernels.SampledGradient.padded;
import static dev.anvil.core.kernels.SampledGradient.randomFloats;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class EmbeddingTest {

    static double[] reference(double[] table, int[] ids, int C) {
        double[] out = new double[ids.length * C];
        for (int i = 0; i < ids.length; i++) System.arraycopy(table, ids[i] * C, out, i * C, C);
        return out;
    }

    @Test
    void smallLookupMatchesReferenceAndFiniteDifferences() {
        check(9, 11, 19, 0, 0);
    }

    @Test
    void largeLookupWithRepeatedIdsOnSeveralThreadsAtOffsets() {
        check(300, 50, 771, 4, 3);
    }

    private static void check(int n, int vocab, int C, int off, int tail) {
        SplittableRandom rng = new SplittableRandom(n + C);
        float[] table = randomFloats(rng, vocab * C, -1, 1);
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) ids[i] = rng.nextInt(vocab);
        ids[n - 1] = ids[0];   // at least one repeat
        int[] idsP = new int[off + n + tail];
        System.arraycopy(ids, 0, idsP, off, n);
        float[] tableP = padded(rng, table, off, tail), out = new float[off + n * C + tail];
        Embedding.forward(out, off, idsP, off, n, tableP, off, vocab, C);
        for (int i = 0; i < n; i++) {
            for (int c = 0; c < C; c++) {
                if (out[off + i * C + c] != table[ids[i] * C + c]) throw new AssertionError("row " + i + " col " + c);
            }
        }

        double[] dOut = GradCheck.randomDoubles(rng, n * C, -1, 1);
        float[] dTable = padded(rng, randomFloats(rng, vocab * C, -1, 1), off, tail), d0 = dTable.clone();
        Embedding.backward(dTable, off, idsP, off, n, padded(rng, GradCheck.toFloats(dOut), off, tail), off, vocab, C);
        double[] td = GradCheck.toDoubles(table);
        int[] ix = indices(rng, vocab * C, 150);
        double[] g = numeric(v -> GradCheck.weightedSum(reference(v, ids, C), dOut), td, 1e-3, ix);
        assertThat(accumulatedError(dTable, d0, off, ix, g)).isLessThan(1e-5);
        if (off > 0) assertThat(dTable[0]).isEqualTo(d0[0]);
    }

    @Test
    void badIdsAndShapesNameTheOp() {
        float[] table = new float[12], out = new float[8];
        assertThatThrownBy(() -> Embedding.forward(out, 0, new int[]{0, 3}, 0, 2, table, 0, 3, 4))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("Embedding.forward(n=2, vocab=3, C=4)").hasMessageContaining("ids[1] = 3 is outside [0, 3)");
        assertThatThrownBy(() -> Embedding.backward(table, 0, new int[]{-1, 0}, 0, 2, out, 0, 3, 4))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("Embedding.backward").hasMessageContaining("ids[0] = -1");
        assertThatThrownBy(() -> Embedding.forward(out, 0, new int[]{0, 1}, 0, 2, table, 1, 3, 4))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("table at offset 1 needs 12");
        assertThatThrownBy(() -> Embedding.forward(out, 0, new int[]{0}, 0, 2, table, 0, 3, 4))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ids at offset 0 needs 2");
    }
}
