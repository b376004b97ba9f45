package dev.anvil.model.gguf;

import dev.anvil.core.random.Rng;
import dev.anvil.core.tensor.DType;
import dev.anvil.model.ModelConfig;
import dev.anvil.model.Transformer;
import dev.anvil.model.inference.InferenceSession;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * GGUF files used in place: every matrix keeps its file dtype over the mapped file (no float32
 * copy, no q/k row permutation: the interleaved RoPE order is kept and declared), and computes
 * what the float32 copy that {@link TransformerGguf#read} makes of the same file computes.
 */
class TransformerGgufMapTest {

    @ParameterizedTest
    @EnumSource(value = Gguf.TensorType.class, names = {"F32", "F16", "BF16", "Q8_0", "Q4_0"})
    void aMappedFileKeepsItsDtypesAndGivesTheLogitsOfItsFloatCopy(Gguf.TensorType type, @TempDir Path dir) throws IOException {
        ModelConfig[] configs = {
                new ModelConfig(ModelConfig.Family.LLAMA, 96, 48, 2, 4, 2, 64, 128, 10000, 1e-5, false, false),
                new ModelConfig(ModelConfig.Family.LLAMA, 96, 48, 2, 2, 2, 64, 128, 10000, 1e-5, true, false),
                ModelConfig.gpt2(96, 48, 2, 2, 64, true)};
        for (ModelConfig c : configs) {
            Transformer net = new Transformer(c);
            net.initialize(new Rng(7));
            for (int i = 0; i < net.parameters().data().length; i++) net.parameters().data()[i] *= 5;
            Path file = dir.resolve(c.family() + "-" + c.tiedEmbeddings() + "-" + type + ".gguf");
            TransformerGguf.write(file, c, net.parameters(), null, type);
            TransformerGguf.Loaded copy = TransformerGguf.read(file);
            int[] prompt = {3, 17, 42, 5, 88, 1, 60, 7, 9};
            float[] want = new InferenceSession(copy.config(), copy.parameters()).append(prompt, 0, prompt.length).clone();
            try (Arena arena = Arena.ofConfined()) {
                TransformerGguf.Mapped mapped = TransformerGguf.map(file, arena);
                assertThat(mapped.config()).isEqualTo(c);
                for (var e : mapped.weights().matrices().entrySet()) {
                    assertThat(e.getValue().bytes().isNative()).as("%s is mapped, not on the heap", e.getKey()).isTrue();
                    // Matrices whose rows are whole blocks keep the file's dtype (the writer leaves narrower ones F32).
                    if (e.getValue().cols() % type.dtype().blockSize() == 0 && !e.getKey().contains("wpe")) {
                        assertThat(e.getValue().dtype()).as(e.getKey()).isIn(type.dtype(), DType.F32);
                    }
                }
                InferenceSession session = new InferenceSession(mapped.weights(), c.contextLength(), 4);
                float[] got = session.append(prompt, 0, prompt.length);
                double num = 0, den = 0;
                for (int i = 0; i < want.length; i++) {
                    num += (got[i] - want[i]) * (double) (got[i] - want[i]);
                    den += (double) want[i] * want[i];
                }
                assertThat(Math.sqrt(num / den)).as("%s %s: mapped vs float copy", c.summary(), type).isLessThan(1e-5);
                // Decode steps (matrix-vector products) too.
                float[] next = session.append(11).clone();
                float[] nextWant = new InferenceSession(copy.config(), copy.parameters()).append(concat(prompt, 11), 0, prompt.length + 1);
                for (int i = 0; i < next.length; i++) assertThat(next[i]).isCloseTo(nextWant[i], org.assertj.core.data.Offset.offset(1e-3f + 1e-4f * Math.abs(nextWant[i])));
            }
        }
    }

    private static int[] concat(int[] a, int b) {
        int[] r = java.util.Arrays.copyOf(a, a.length + 1);
        r[a.length] = b;
        return r;
    }
}
