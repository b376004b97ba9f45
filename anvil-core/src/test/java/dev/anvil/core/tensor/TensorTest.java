package dev.anvil.core.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class TensorTest {

    @Test
    void viewsShareTheirArray() {
        Tensor t = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        Tensor row = t.slice(1);
        assertThat(row.shape()).isEqualTo(Shape.of(3));
        assertThat(row.toArray()).containsExactly(4, 5, 6);
        row.set(0, 40);
        assertThat(t.get(3)).isEqualTo(40);
        assertThat(t.reshape(3, 2).dim(0)).isEqualTo(3);
        assertThatThrownBy(() -> t.reshape(4, 2)).hasMessageContaining("[2, 3]").hasMessageContaining("[4, 2]");
        assertThatThrownBy(() -> t.get(6)).hasMessageContaining("[2, 3]");
    }

    @Test
    void parameterBufferLaysTensorsBackToBack() {
        ParameterBuffer.Layout layout = new ParameterBuffer.Layout().add("wte", 10, 4).add("ln.weight", 4).add("ln.bias", 4);
        ParameterBuffer params = layout.allocate();
        ParameterBuffer grads = layout.allocate();
        assertThat(params.data()).hasSize(48);
        assertThat(layout.entry("ln.weight").offset()).isEqualTo(40);
        params.get("ln.bias").fill(7f);
        assertThat(params.data()[44]).isEqualTo(7f);
        assertThat(grads.data()[44]).isZero();
        assertThatThrownBy(() -> params.get("nope")).hasMessageContaining("nope").hasMessageContaining("wte");
        assertThatThrownBy(() -> layout.add("wte", 1)).hasMessageContaining("twice");
    }

    @Test
    void quantizedSizesFollowGgufBlocks() {
        assertThat(DType.Q8_0.byteSize(64)).isEqualTo(68);
        assertThat(DType.Q4_0.byteSize(64)).isEqualTo(36);
        assertThatThrownBy(() -> DType.Q4_0.byteSize(33)).hasMessageContaining("32");
    }
}
