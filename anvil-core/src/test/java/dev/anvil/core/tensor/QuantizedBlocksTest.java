package dev.anvil.core.tensor;

import dev.anvil.core.random.Rng;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class QuantizedBlocksTest {

    @Test
    void q4_0BlockLayoutFollowsGgml() {
        // Values −8…7 times 0.25 and then 16 more: the extreme is −2 (index 0), so d = −2 / −8 = 0.25
        // and q = x/d + 8 exactly.
        float[] x = new float[32];
        for (int i = 0; i < 32; i++) x[i] = ((i % 16) - 8) * 0.25f;
        byte[] q = new byte[18];
        QuantizedBlocks.quantizeQ4_0(x, 0, 32, q, 0);
        assertThat(QuantizedBlocks.getF16(q, 0)).isEqualTo(0.25f);
        assertThat(q[0]).isEqualTo((byte) 0x00); // little-endian F16 0.25 = 0x3400
        assertThat(q[1]).isEqualTo((byte) 0x34);
        for (int j = 0; j < 16; j++) {
            // element j in the low nibble, element j + 16 in the high nibble; both are j here.
            assertThat(q[2 + j] & 0xFF).isEqualTo(j | j << 4);
        }
        float[] back = new float[32];
        QuantizedBlocks.dequantizeQ4_0(q, 0, back, 0, 32);
        assertThat(back).containsExactly(x);
    }

    @Test
    void q4_0UsesTheSignedExtremeAndClampsTheOtherSide() {
        float[] x = new float[32];
        x[3] = 4f;   // the largest magnitude, positive: d = 4 / −8 = −0.5, so 4 ↦ q = 0
        x[20] = -4f; // −4 / −0.5 + 8.5 = 16.5 → clamped to 15 ↦ (15 − 8)·(−0.5) = −3.5
        x[7] = 1f;   // 1 / −0.5 + 8.5 = 6.5 → 6 ↦ −1
        byte[] q = new byte[18];
        QuantizedBlocks.quantizeQ4_0(x, 0, 32, q, 0);
        float[] back = new float[32];
        QuantizedBlocks.dequantizeQ4_0(q, 0, back, 0, 32);
        assertThat(QuantizedBlocks.getF16(q, 0)).isEqualTo(-0.5f);
        assertThat(back[3]).isEqualTo(4f);
        assertThat(back[20]).isEqualTo(-3.5f);
        assertThat(back[7]).isEqualTo(1f);
        assertThat(back[0]).isEqualTo(0f);
    }

    @Test
    void roundTripErrorIsWithinHalfAStep() {
        Rng rng = new Rng(5);
        int n = 32 * 64;
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) rng.nextGaussian() * (1 + i / 256);
        byte[] q4 = new byte[n / 32 * 18], q8 = new byte[n / 32 * 34];
        QuantizedBlocks.quantizeQ4_0(x, 0, n, q4, 0);
        QuantizedBlocks.quantizeQ8_0(x, 0, n, q8, 0);
        float[] b4 = new float[n], b8 = new float[n];
        QuantizedBlocks.dequantizeQ4_0(q4, 0, b4, 0, n);
        QuantizedBlocks.dequantizeQ8_0(q8, 0, b8, 0, n);
        for (int b = 0; b < n; b += 32) {
            float d4 = Math.abs(QuantizedBlocks.getF16(q4, b / 32 * 18)), d8 = QuantizedBlocks.getF16(q8, b / 32 * 34);
            for (int i = b; i < b + 32; i++) {
                // Half a step plus the F16 rounding of the scale (≤ 2⁻¹¹ relative, times |q| ≤ 8 or 127);
                // Q4_0's clamped side can be off by a whole step.
                assertThat((double) Math.abs(b4[i] - x[i])).isLessThanOrEqualTo(d4 * 1.0 + 8 * d4 / 2048 + 1e-6);
                assertThat((double) Math.abs(b8[i] - x[i])).isLessThanOrEqualTo(d8 * 0.5 + 127 * d8 / 2048 + 1e-6);
            }
        }
    }

    @Test
    void rejectsPartialBlocks() {
        assertThatThrownBy(() -> QuantizedBlocks.quantizeQ4_0(new float[40], 0, 40, new byte[36], 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("40 values").hasMessageContaining("32");
    }
}
