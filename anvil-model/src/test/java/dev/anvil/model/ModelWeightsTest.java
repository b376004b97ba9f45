package dev.anvil.model;

import dev.anvil.core.random.Rng;
import dev.anvil.core.tensor.ParameterBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ModelWeightsTest {

    @Test
    void gpt2RoundTripsBitExactlyWithHuggingFaceNamesAndConv1DLayout(@TempDir Path dir) throws IOException {
        ModelConfig c = ModelConfig.gpt2(50, 16, 2, 2, 8, true);
        Transformer a = new Transformer(c);
        a.initialize(new Rng(3));
        Path f = dir.resolve("model.safetensors");
        ModelWeights.save(c, a.parameters(), f, Map.of("step", "7"));

        try (Safetensors.Reader r = new Safetensors.Reader(f)) {
            assertThat(r.tensors()).containsKeys("wte.weight", "wpe.weight", "h.0.attn.c_attn.weight", "h.1.mlp.c_proj.bias", "ln_f.weight");
            assertThat(r.tensors()).doesNotContainKey("lm_head.weight");
            assertThat(r.metadata()).containsEntry("format", "pt").containsEntry("step", "7");
            // Conv1D: stored [in, out]; our Linear holds [out, in].
            assertThat(r.info("h.0.attn.c_attn.weight").shape()).containsExactly(8, 24);
            float[] raw = new float[8 * 24];
            r.read("h.0.attn.c_attn.weight", raw, 0, false);
            var mem = a.parameters().get("h.0.attn.c_attn.weight");
            assertThat(raw[1 * 24 + 5]).isEqualTo(mem.get(5 * 8 + 1));
        }
        Transformer b = new Transformer(c);
        ModelWeights.load(c, b.parameters(), f);
        assertThat(b.parameters().data()).containsExactly(a.parameters().data());
    }

    @Test
    void llamaRoundTrips(@TempDir Path dir) throws IOException {
        ModelConfig c = ModelConfig.llama(40, 16, 2, 4, 2, 16);
        Transformer a = new Transformer(c);
        a.initialize(new Rng(4));
        Path f = dir.resolve("model.safetensors");
        ModelWeights.save(c, a.parameters(), f, null);
        try (Safetensors.Reader r = new Safetensors.Reader(f)) {
            assertThat(r.tensors()).containsKeys("model.embed_tokens.weight", "model.layers.1.self_attn.k_proj.weight", "model.norm.weight", "lm_head.weight");
            assertThat(r.info("model.layers.0.self_attn.k_proj.weight").shape()).containsExactly(8, 16);
        }
        ParameterBuffer p = TransformerLayout.of(c).allocate();
        ModelWeights.load(c, p, f);
        assertThat(p.data()).containsExactly(a.parameters().data());
    }

    @Test
    void mismatchesAndCorruptionAreClearErrors(@TempDir Path dir) throws IOException {
        ModelConfig c = ModelConfig.gpt2(50, 16, 1, 2, 8, true);
        Transformer a = new Transformer(c);
        Path f = dir.resolve("model.safetensors");
        ModelWeights.save(c, a.parameters(), f, null);

        ModelConfig wider = ModelConfig.gpt2(50, 16, 1, 2, 16, true);
        assertThatThrownBy(() -> ModelWeights.load(wider, TransformerLayout.of(wider).allocate(), f)).hasMessageContaining("has shape");
        ModelConfig deeper = ModelConfig.gpt2(50, 16, 2, 2, 8, true);
        assertThatThrownBy(() -> ModelWeights.load(deeper, TransformerLayout.of(deeper).allocate(), f)).hasMessageContaining("'h.1.ln_1.weight' is missing");

        byte[] bytes = Files.readAllBytes(f);
        Path truncated = dir.resolve("truncated.safetensors");
        Files.write(truncated, java.util.Arrays.copyOf(bytes, bytes.length - 10));
        // The error names the file, the tensor whose data is cut off and its byte range.
        assertThatThrownBy(() -> new Safetensors.Reader(truncated)).hasMessageContaining("truncated.safetensors")
                .hasMessageContaining("not a valid safetensors file").hasMessageContaining("tensor ").hasMessageContaining("data_offsets");
        // An unknown dtype lists the supported ones.
        Path i8 = dir.resolve("i8.safetensors");
        byte[] h = "{\"a\":{\"dtype\":\"I8\",\"shape\":[2],\"data_offsets\":[0,2]}}".getBytes(StandardCharsets.UTF_8);
        ByteBuffer ib = ByteBuffer.allocate(8 + h.length + 2).order(ByteOrder.LITTLE_ENDIAN);
        ib.putLong(h.length).put(h);
        Files.write(i8, ib.array());
        assertThatThrownBy(() -> new Safetensors.Reader(i8)).hasMessageContaining("i8.safetensors").hasMessageContaining("I8").hasMessageContaining("F32, F16, BF16");
        Path garbage = dir.resolve("garbage.safetensors");
        Files.writeString(garbage, "this is not a safetensors file at all");
        assertThatThrownBy(() -> new Safetensors.Reader(garbage)).hasMessageContaining("not a valid safetensors file");
    }

    @Test
    void readsBf16AndF16(@TempDir Path dir) throws IOException {
        String header = "{\"a\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[0,4]},\"b\":{\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[4,6]}}";
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer buf = ByteBuffer.allocate(8 + h.length + 6).order(ByteOrder.LITTLE_ENDIAN);
        buf.putLong(h.length).put(h);
        buf.putShort((short) (Float.floatToIntBits(1.5f) >>> 16)).putShort((short) (Float.floatToIntBits(-2f) >>> 16));
        buf.putShort(Float.floatToFloat16(0.25f));
        Path f = dir.resolve("x.safetensors");
        Files.write(f, buf.array());
        try (Safetensors.Reader r = new Safetensors.Reader(f)) {
            float[] out = new float[3];
            r.read("a", out, 0, false);
            r.read("b", out, 2, false);
            assertThat(out).containsExactly(1.5f, -2f, 0.25f);
        }
    }
}
