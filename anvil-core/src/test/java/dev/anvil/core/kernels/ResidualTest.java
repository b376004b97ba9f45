package dev.anvil.core.kernels;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static dev.anvil.core.kernels.SampledGradient.padded;
import static dev.anvil.core.kernels.SampledGradient.randomFloats;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ResidualTest {

    @Test
    void forwardAddsAndBackwardAccumulatesIntoBothBranches() {
        SplittableRandom rng = new SplittableRandom(1);
        for (int n : new int[]{0, 1, 15, 17, 100_003}) {   // tails and the multi-threaded size
            int off = 3;
            float[] a = padded(rng, randomFloats(rng, n, -1, 1), off, 2);
            float[] b = padded(rng, randomFloats(rng, n, -1, 1), off, 2);
            float[] out = new float[off + n + 2];
            Residual.forward(out, off, a, off, b, off, n);
            float[] sum = new float[off + n + 2];
            for (int i = 0; i < n; i++) sum[off + i] = a[off + i] + b[off + i];
            assertThat(out).isEqualTo(sum);

            // The op is linear, so its exact gradient is dOut into each branch; check accumulation.
            float[] dOut = padded(rng, randomFloats(rng, n, -1, 1), off, 2);
            float[] dA = padded(rng, randomFloats(rng, n, -1, 1), off, 2), dB = padded(rng, randomFloats(rng, n, -1, 1), off, 2);
            float[] dA0 = dA.clone(), dB0 = dB.clone();
            Residual.backward(dA, off, dB, off, dOut, off, n);
            float[] wantA = dA0.clone(), wantB = dB0.clone();
            for (int i = 0; i < n; i++) {
                wantA[off + i] += dOut[off + i];
                wantB[off + i] += dOut[off + i];
            }
            assertThat(dA).isEqualTo(wantA);
            assertThat(dB).isEqualTo(wantB);
            Residual.backward(null, 0, dB0, off, dOut, off, n);
            assertThat(dB0).isEqualTo(dB);
        }
    }

    @Test
    void inPlaceForwardIsAllowed() {
        float[] a = {1, 2, 3}, b = {10, 20, 30};
        Residual.forward(a, 0, a, 0, b, 0, 3);
        assertThat(a).containsExactly(11, 22, 33);
    }

    @Test
    void badArgumentsNameTheOp() {
        assertThatThrownBy(() -> Residual.forward(new float[4], 0, new float[4], 0, new float[3], 0, 4))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Residual.forward(n=4)").hasMessageContaining("b at offset 0");
        assertThatThrownBy(() -> Residual.backward(null, 0, null, 0, new float[4], -1, 4))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Residual.backward(n=4)").hasMessageContaining("negative");
    }
}
