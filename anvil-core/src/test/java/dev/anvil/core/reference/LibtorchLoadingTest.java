package dev.anvil.core.reference;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The reference runtime loads offline: surefire sets ai.djl.offline=true, so DJL must find
 * libtorch in the pytorch-native-cpu jar on the test classpath (it extracts it once into its cache
 * directory, ~/.djl.ai/pytorch by default) instead of downloading it.
 */
class LibtorchLoadingTest {

    @Test
    void libtorchLoadsFromTheNativeJarAndDifferentiates() {
        assertThat(System.getProperty("ai.djl.offline")).isEqualTo("true");
        Engine engine = Engine.getEngine("PyTorch");
        assertThat(engine.getVersion()).isEqualTo("2.7.1");
        try (NDManager m = engine.newBaseManager()) {
            NDArray x = m.create(new float[] {1, 2, 3});
            x.setRequiresGradient(true);
            try (GradientCollector gc = engine.newGradientCollector()) {
                gc.backward(x.mul(x).sum());
            }
            assertThat(x.getGradient().toFloatArray()).containsExactly(2f, 4f, 6f);
        }
    }
}
