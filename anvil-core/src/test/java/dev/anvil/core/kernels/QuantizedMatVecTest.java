package dev.anvil.core.kernels;

import dev.anvil.core.random.Rng;
import dev.anvil.core.tensor.QuantizedBlocks;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class QuantizedMatVecTest {

    @Test
    void q4_0EqualsTheFloatProductWithDequantizedWeights() {
        Rng rng = new Rng(11);
        int OC = 37, C = 96;
        float[] wf = new float[OC * C], x = new float[3 + C];
        for (int i = 0; i < wf.length; i++) wf[i] = (float) rng.nextGaussian();
        for (int i = 0; i < x.length; i++) x[i] = (float) rng.nextGaussian();
        int rowBytes = C / 32 * 18, wOff = 5;
        byte[] w = new byte[wOff + OC * rowBytes];
        for (int o = 0; o < OC; o++) QuantizedBlocks.quantizeQ4_0(wf, o * C, C, w, wOff + o * rowBytes);
        float[] deq = new float[OC * C];
        for (int o = 0; o < OC; o++) QuantizedBlocks.dequantizeQ4_0(w, wOff + o * rowBytes, deq, o * C, C);
        float[] out = new float[2 + OC];
        QuantizedMatVec.q4_0(out, 2, x, 3, w, wOff, OC, C);
        for (int o = 0; o < OC; o++) {
            double ref = 0, mag = 0;
            for (int c = 0; c < C; c++) {
                ref += (double) deq[o * C + c] * x[3 + c];
                mag += Math.abs((double) deq[o * C + c] * x[3 + c]);
            }
            assertThat((double) out[2 + o]).as("row %d", o).isCloseTo(ref, within(mag * 1e-6));
        }
        // Quantization changed the product by a bounded amount, not by an error in the kernel's layout.
        double err = 0, norm = 0;
        for (int o = 0; o < OC; o++) {
            double exact = 0;
            for (int c = 0; c < C; c++) exact += (double) wf[o * C + c] * x[3 + c];
            err += Math.pow(out[2 + o] - exact, 2);
            norm += exact * exact;
        }
        assertThat(Math.sqrt(err / norm)).isLessThan(0.2);
    }

    @Test
    void rejectsBadShapes() {
        assertThatThrownBy(() -> QuantizedMatVec.q4_0(new float[4], 0, new float[40], 0, new byte[4 * 18 * 2], 0, 4, 40))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("q4_0").hasMessageContaining("C = 40");
        assertThatThrownBy(() -> QuantizedMatVec.q4_0(new float[4], 0, new float[32], 0, new byte[3 * 18], 0, 4, 32))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("needs 72 bytes");
    }
}
