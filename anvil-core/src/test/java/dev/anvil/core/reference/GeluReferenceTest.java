package dev.anvil.core.reference;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import dev.anvil.core.kernels.Activations;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Both GELU kernels against libtorch, element by element: the erf form against {@code torch.gelu}
 * (approximate='none', the {@code nn.GELU()} of nanoGPT's MLP), the tanh form against the same
 * formula written with libtorch's tanh, each with its gradient from libtorch's autograd.
 */
class GeluReferenceTest {

    private static final int N = 20_000;

    private record Torch(float[] value, float[] grad) {}

    private static Torch torch(float[] x, boolean erf) {
        try (NDManager m = Engine.getEngine("PyTorch").newBaseManager()) {
            NDArray a = m.create(x);
            a.setRequiresGradient(true);
            NDArray y;
            try (GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
                y = erf ? TorchReference.geluErf(a) : TorchReference.geluTanh(a);
                gc.backward(y.sum());
            }
            return new Torch(y.toFloatArray(), a.getGradient().toFloatArray());
        }
    }

    private static float[] inputs() {
        SplittableRandom rng = new SplittableRandom(11);
        float[] x = new float[N];
        for (int i = 0; i < N; i++) x[i] = (float) (i % 4 == 0 ? rng.nextDouble(-12, 12) : rng.nextGaussian() * 2);
        return x;
    }

    private static double maxScaledError(float[] got, float[] want, float[] x) {
        double worst = 0;
        for (int i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]) / Math.max(1, Math.abs(x[i])));
        return worst;
    }

    @Test
    void erfGeluMatchesTorchGelu() {
        float[] x = inputs();
        float[] out = new float[N], grad = new float[N], ones = new float[N];
        java.util.Arrays.fill(ones, 1f);
        Activations.geluErfForward(out, 0, x, 0, N);
        Activations.geluErfBackward(grad, 0, x, 0, ones, 0, N);
        Torch t = torch(x, true);
        double valueError = maxScaledError(out, t.value(), x), gradError = maxScaledError(grad, t.grad(), x);
        System.out.printf("gelu (erf) vs torch.gelu: value %.2e, gradient %.2e (max |Δ| / max(1, |x|))%n", valueError, gradError);
        assertThat(valueError).isLessThan(1e-6);
        assertThat(gradError).isLessThan(2e-6);

        // torch.gelu is the erf form: GPT-2's tanh kernel is measurably away from it.
        float[] tanh = new float[N];
        Activations.geluForward(tanh, 0, x, 0, N);
        assertThat(maxScaledError(tanh, t.value(), x)).isGreaterThan(1e-4);
    }

    @Test
    void tanhGeluMatchesTorchTanhFormula() {
        float[] x = inputs();
        float[] out = new float[N], grad = new float[N], ones = new float[N];
        java.util.Arrays.fill(ones, 1f);
        Activations.geluForward(out, 0, x, 0, N);
        Activations.geluBackward(grad, 0, x, 0, ones, 0, N);
        Torch t = torch(x, false);
        assertThat(maxScaledError(out, t.value(), x)).isLessThan(1e-6);
        assertThat(maxScaledError(grad, t.grad(), x)).isLessThan(2e-6);
    }
}
