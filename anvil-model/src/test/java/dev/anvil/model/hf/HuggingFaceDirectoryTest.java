package dev.anvil.model.hf;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.anvil.core.random.Rng;
import dev.anvil.model.ModelConfig;
import dev.anvil.model.Safetensors;
import dev.anvil.model.TextTokenizer;
import dev.anvil.model.Transformer;
import dev.anvil.model.inference.InferenceSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class HuggingFaceDirectoryTest {

    static List<ModelConfig> models() {
        return List.of(
                ModelConfig.gpt2(40, 16, 2, 2, 16, true),
                ModelConfig.gpt2(40, 16, 2, 2, 16, false),
                ModelConfig.gpt2(40, 16, 2, 2, 16, false).withActivation(ModelConfig.Activation.GELU),
                ModelConfig.llama(40, 16, 2, 4, 2, 32),
                new ModelConfig(ModelConfig.Family.LLAMA, 40, 16, 1, 2, 1, 16, 32, 500000, 1e-6, true, false));
    }

    @Test
    void roundTripIsBitExactForEveryFamilyAndTheTokenizerComesAlong(@TempDir Path dir) throws IOException {
        TextTokenizer tok = TextTokenizer.fitCharacters("hello world, this is a test.\n", dir.resolve("tok"));
        int i = 0;
        for (ModelConfig c : models()) {
            Transformer net = new Transformer(c);
            net.initialize(new Rng(i));
            Path out = dir.resolve("hf" + i++);
            HuggingFaceDirectory.write(out, c, net.parameters(), tok);
            assertThat(HuggingFaceDirectory.isModelDirectory(out)).isTrue();
            assertThat(out.resolve("generation_config.json")).exists();
            assertThat(out.resolve("tokenizer_config.json")).exists();
            var config = new ObjectMapper().readTree(out.resolve("config.json").toFile());
            assertThat(config.get("architectures").get(0).asText()).isEqualTo(c.family() == ModelConfig.Family.GPT2 ? "GPT2LMHeadModel" : "LlamaForCausalLM");
            if (c.family() == ModelConfig.Family.GPT2) {
                assertThat(config.get("activation_function").asText()).isEqualTo(c.activation() == ModelConfig.Activation.GELU ? "gelu" : "gelu_new");
            }

            HuggingFaceDirectory.Loaded back = HuggingFaceDirectory.read(out);
            assertThat(back.config()).isEqualTo(c);
            float[] a = net.parameters().data(), b = back.parameters().data();
            assertThat(b).hasSameSizeAs(a);
            for (int k = 0; k < a.length; k++) {
                if (Float.floatToRawIntBits(a[k]) != Float.floatToRawIntBits(b[k])) throw new AssertionError(c.summary() + ": parameter " + k + " differs");
            }
            assertThat(back.tokenizer().fingerprint()).isEqualTo(tok.fingerprint());
            int[] ids = tok.encode("hello, world");
            assertThat(back.tokenizer().encode("hello, world")).containsExactly(ids);
            assertThat(new InferenceSession(back.config(), back.parameters()).append(ids, 0, ids.length))
                    .containsExactly(new InferenceSession(net).append(ids, 0, ids.length));
        }
    }

    @Test
    void gpt2WithoutBiasesIsWrittenWithZeroBiasesForTransformers(@TempDir Path dir) throws IOException {
        ModelConfig c = ModelConfig.gpt2(40, 16, 1, 2, 16, false);
        Transformer net = new Transformer(c);
        net.initialize(new Rng(1));
        HuggingFaceDirectory.write(dir, c, net.parameters(), null);
        try (Safetensors.Reader r = new Safetensors.Reader(dir.resolve("model.safetensors"))) {
            assertThat(r.tensors()).containsKey("h.0.attn.c_attn.bias");
            float[] bias = new float[3 * 16];
            r.read("h.0.attn.c_attn.bias", bias, 0, false);
            assertThat(bias).containsOnly(0f);
        }
    }

    @Test
    void shardedWeightsLoad(@TempDir Path dir) throws IOException {
        ModelConfig c = ModelConfig.llama(40, 16, 2, 4, 2, 32);
        Transformer net = new Transformer(c);
        net.initialize(new Rng(3));
        HuggingFaceDirectory.write(dir.resolve("one"), c, net.parameters(), null);
        // Split the single file into two shards with an index, as transformers' save_pretrained does for large models.
        Path sharded = dir.resolve("sharded");
        Files.createDirectories(sharded);
        Files.copy(dir.resolve("one/config.json"), sharded.resolve("config.json"));
        var index = new ObjectMapper().createObjectNode();
        var map = index.putObject("weight_map");
        List<Safetensors.Entry> first = new java.util.ArrayList<>(), second = new java.util.ArrayList<>();
        for (var e : net.parameters().layout().entries()) {
            boolean inFirst = !e.name().startsWith("model.layers.1.");
            (inFirst ? first : second).add(new Safetensors.Entry(e.name(), e.shape().dims(), net.parameters().data(), e.offset(), false));
            map.put(e.name(), inFirst ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors");
        }
        Safetensors.write(sharded.resolve("model-00001-of-00002.safetensors"), first, null);
        Safetensors.write(sharded.resolve("model-00002-of-00002.safetensors"), second, null);
        new ObjectMapper().writeValue(sharded.resolve("model.safetensors.index.json").toFile(), index);
        assertThat(HuggingFaceDirectory.isModelDirectory(sharded)).isTrue();
        assertThat(HuggingFaceDirectory.read(sharded).parameters().data()).containsExactly(net.parameters().data());
    }

    @Test
    void unsupportedArchitecturesAreClearErrors(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("config.json"), "{\"model_type\": \"mistral\"}");
        Files.write(dir.resolve("model.safetensors"), new byte[0]);
        assertThatThrownBy(() -> HuggingFaceDirectory.read(dir)).hasMessageContaining("config.json")
                .hasMessageContaining("mistral").hasMessageContaining("supported: gpt2, llama");
    }

    @Test
    void halfPrecisionExportsAndTheChatTemplateTravelWithTheModel(@TempDir Path dir) throws IOException {
        TextTokenizer tok = TextTokenizer.fitCharacters("hello world, this is a test.\n", dir.resolve("tok"));
        ModelConfig c = ModelConfig.gpt2(40, 16, 2, 2, 16, true);
        Transformer net = new Transformer(c);
        net.initialize(new Rng(3));
        float[] p = net.parameters().data();
        for (String dtype : List.of("F16", "BF16")) {
            Path out = dir.resolve(dtype);
            HuggingFaceDirectory.write(out, c, net.parameters(), tok, dtype, dev.anvil.model.chat.ChatTemplate.LLAMA3);
            try (Safetensors.Reader r = new Safetensors.Reader(out.resolve(HuggingFaceDirectory.WEIGHTS))) {
                assertThat(r.info("h.0.attn.c_attn.weight").dtype()).isEqualTo(dtype);
                assertThat(r.info("h.0.attn.c_attn.weight").end() - r.info("h.0.attn.c_attn.weight").begin()).isEqualTo(2L * 16 * 48);
            }
            var mapper = new ObjectMapper();
            assertThat(mapper.readTree(out.resolve("config.json").toFile()).get("torch_dtype").asText()).isEqualTo(dtype.equals("F16") ? "float16" : "bfloat16");
            String stored = mapper.readTree(out.resolve("tokenizer_config.json").toFile()).get("chat_template").asText();
            assertThat(dev.anvil.model.chat.ChatTemplate.recognise(stored)).isEqualTo(dev.anvil.model.chat.ChatTemplate.LLAMA3);
            // Every value reads back as its rounding to the half-precision type (GPT-2's transposed Conv1D included).
            float[] back = HuggingFaceDirectory.read(out).parameters().data();
            for (int k = 0; k < p.length; k++) {
                float expected = dtype.equals("F16") ? Float.float16ToFloat(Float.floatToFloat16(p[k]))
                        : dev.anvil.core.tensor.HalfFloats.bf16ToFloat(dev.anvil.core.tensor.HalfFloats.floatToBf16(p[k]));
                if (Float.floatToRawIntBits(back[k]) != Float.floatToRawIntBits(expected)) throw new AssertionError(dtype + ": parameter " + k + " is " + back[k] + ", expected " + expected);
            }
        }
        assertThatThrownBy(() -> HuggingFaceDirectory.write(dir.resolve("q"), c, net.parameters(), tok, "Q4_0", null))
                .hasMessageContaining("F32, F16 or BF16");
    }
}
