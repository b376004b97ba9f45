package dev.anvil.core.reference;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class TorchSmokeTest {
    @Test
    void loads() {
        Engine e = Engine.getEngine("PyTorch");
        System.out.println("engine " + e.getEngineName() + " " + e.getVersion());
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.create(new float[] {1, 2, 3});
            x.setRequiresGradient(true);
            try (GradientCollector gc = e.newGradientCollector()) {
                NDArray y = x.mul(x).sum();
                gc.backward(y);
            }
            assertThat(x.getGradient().toFloatArray()).containsExactly(2f, 4f, 6f);
        }
    }
}
