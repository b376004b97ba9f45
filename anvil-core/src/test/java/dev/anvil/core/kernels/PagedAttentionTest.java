package dev.anvil.core.kernels;

import dev.anvil.core.random.Rng;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Paged attention against causal softmax attention computed in float64 from the same keys and
 * values, for block sizes below, equal to and above a vector's lanes (the scalar slots, the
 * whole-vector slots and vectors running past the last position), grouped-query heads, and rows
 * of two sequences at different positions in one call.
 */
class PagedAttentionTest {

    @Test
    void matchesFloat64SoftmaxAttentionForEveryBlockSizeAndHeadGrouping() {
        Rng rng = new Rng(5);
        for (int S : new int[] {3, 16, 40}) {
            for (int[] heads : new int[][] {{4, 4, 12}, {6, 2, 64}, {2, 1, 7}}) {
                int H = heads[0], Hkv = heads[1], D = heads[2];
                int[] lengths = {37, 5};
                float[][][] tables = new float[2][][];
                float[][][] keys = new float[2][][], values = new float[2][][];
                int keyOff = 7, valueOff = keyOff + Hkv * S * D;
                for (int seq = 0; seq < 2; seq++) {
                    int blocks = (lengths[seq] + S - 1) / S;
                    tables[seq] = new float[blocks][];
                    for (int b = 0; b < blocks; b++) {
                        tables[seq][b] = new float[valueOff + Hkv * S * D];
                        for (int i = 0; i < tables[seq][b].length; i++) tables[seq][b][i] = Float.NaN; // unwritten slots must never be read
                    }
                    keys[seq] = new float[lengths[seq]][];
                    values[seq] = new float[lengths[seq]][];
                    for (int p = 0; p < lengths[seq]; p++) {
                        keys[seq][p] = gaussian(rng, Hkv * D);
                        values[seq][p] = gaussian(rng, Hkv * D);
                        PagedAttention.store(tables[seq][p / S], keyOff, valueOff, S, p % S, keys[seq][p], 0, values[seq][p], 0, Hkv, D);
                    }
                }
                // Rows: sequence 0 at its last and an inner position, sequence 1 at its last.
                int[] positions = {36, 20, 4}, table = {0, 0, 1};
                int rows = positions.length;
                float[] q = gaussian(rng, rows * H * D), out = new float[rows * H * D + 2];
                float scale = (float) (1 / Math.sqrt(D));
                PagedAttention.forward(out, 2, q, 0, rows, positions, table, tables, S, keyOff, valueOff, H, Hkv, D, scale);
                for (int r = 0; r < rows; r++) {
                    for (int h = 0; h < H; h++) {
                        int g = h / (H / Hkv), seq = table[r];
                        double[] sc = new double[positions[r] + 1];
                        double max = Double.NEGATIVE_INFINITY;
                        for (int p = 0; p <= positions[r]; p++) {
                            double dot = 0;
                            for (int d = 0; d < D; d++) dot += (double) q[(r * H + h) * D + d] * keys[seq][p][g * D + d];
                            sc[p] = dot * scale;
                            max = Math.max(max, sc[p]);
                        }
                        double sum = 0;
                        for (int p = 0; p <= positions[r]; p++) sum += sc[p] = Math.exp(sc[p] - max);
                        for (int d = 0; d < D; d++) {
                            double expected = 0;
                            for (int p = 0; p <= positions[r]; p++) expected += sc[p] / sum * values[seq][p][g * D + d];
                            float actual = out[2 + (r * H + h) * D + d];
                            assertThat((double) actual).as("S=%d H=%d Hkv=%d D=%d row %d head %d dim %d", S, H, Hkv, D, r, h, d)
                                    .isCloseTo(expected, org.assertj.core.data.Offset.offset(2e-5 * (1 + Math.abs(expected))));
                        }
                    }
                }
            }
        }
    }

    private static float[] gaussian(Rng rng, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) rng.nextGaussian();
        return x;
    }
}
