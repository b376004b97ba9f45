package dev.anvil.core.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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
    void offHeapRoundTripsThroughAMappedFile(@TempDir Path dir) throws IOException {
        float[] values = {1.5f, -2f, 3.25f, 1e-3f, 7f, -0f};
        Path file = dir.resolve("t.bin");
        try (Arena arena = Arena.ofConfined()) {
            for (DType dt : new DType[] {DType.F32, DType.BF16, DType.F16}) {
                OffHeapTensor t = OffHeapTensor.allocate(arena, dt, Shape.of(2, 3));
                t.copyFrom(values, 0);
                t.writeTo(file);
                OffHeapTensor mapped = OffHeapTensor.map(file, 0, dt, Shape.of(2, 3), arena);
                float[] back = mapped.toHeap().toArray();
                for (int i = 0; i < values.length; i++) {
                    float expect = switch (dt) {
                        case BF16 -> HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(values[i]));
                        case F16 -> HalfFloats.f16ToFloat(HalfFloats.floatToF16(values[i]));
                        default -> values[i];
                    };
                    assertThat(back[i]).as("%s element %d", dt, i).isEqualTo(expect);
                }
            }
            // Little-endian on disk, as safetensors and GGUF require.
            OffHeapTensor one = OffHeapTensor.allocate(arena, DType.F32, Shape.of(1));
            one.setFloat(0, 1f);
            one.writeTo(file);
            assertThat(Files.readAllBytes(file)).containsExactly(0, 0, (byte) 0x80, 0x3f);
        }
    }

    @Test
    void mappingATruncatedFileNamesFileAndSizes(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("short.bin");
        Files.write(file, new byte[10]);
        try (Arena arena = Arena.ofConfined()) {
            assertThatThrownBy(() -> OffHeapTensor.map(file, 4, DType.F32, Shape.of(4), arena))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("short.bin").hasMessageContaining("16 bytes").hasMessageContaining("offset 4");
        }
    }

    @Test
    void quantizedSizesFollowGgufBlocks() {
        assertThat(DType.Q8_0.byteSize(64)).isEqualTo(68);
        assertThat(DType.Q4_0.byteSize(64)).isEqualTo(36);
        assertThatThrownBy(() -> DType.Q4_0.byteSize(33)).hasMessageContaining("32");
    }
}
