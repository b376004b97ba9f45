package dev.anvil.model.hf;

import dev.anvil.core.random.Rng;
import dev.anvil.core.tensor.DType;
import dev.anvil.model.Heads;
import dev.anvil.model.ModelConfig;
import dev.anvil.model.ModelWeights;
import dev.anvil.model.TextTokenizer;
import dev.anvil.model.Transformer;
import dev.anvil.model.TransformerLayout;
import dev.anvil.core.tensor.ParameterBuffer;
import dev.anvil.model.inference.InferenceSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Safetensors used in place: BF16/F16 matrices stay in their dtype over the mapped file. */
class HuggingFaceDirectoryMapTest {

    @Test
    void bf16AndF16DirectoriesAreMappedInTheirDtypeAndComputeWhatTheirFloatCopyComputes(@TempDir Path dir) throws IOException {
        TextTokenizer tok = TextTokenizer.fitCharacters("hello world, this is a test.\n", dir.resolve("tok"));
        int k = 0;
        for (ModelConfig c : new ModelConfig[] {ModelConfig.llama(tok.vocabSize(), 32, 2, 4, 2, 32), ModelConfig.gpt2(tok.vocabSize(), 32, 2, 2, 32, true)}) {
            for (String dtype : new String[] {"BF16", "F16", "F32"}) {
                Transformer net = new Transformer(c);
                net.initialize(new Rng(3));
                Path out = dir.resolve("hf" + k++);
                HuggingFaceDirectory.write(out, c, net.parameters(), tok, dtype, null);
                HuggingFaceDirectory.Loaded copy = HuggingFaceDirectory.read(out);
                int[] ids = tok.encode("hello, world");
                float[] want = new InferenceSession(copy.config(), copy.parameters()).append(ids, 0, ids.length).clone();
                try (Arena arena = Arena.ofConfined()) {
                    HuggingFaceDirectory.Mapped mapped = HuggingFaceDirectory.map(out, arena);
                    String embed = TransformerLayout.names(c).tokenEmbedding();
                    assertThat(mapped.weights().matrix(embed).dtype()).isEqualTo(DType.valueOf(dtype));
                    assertThat(mapped.weights().matrix(embed).bytes().isNative()).isTrue();
                    float[] got = new InferenceSession(mapped.weights(), c.contextLength(), 4).append(ids, 0, ids.length);
                    for (int i = 0; i < want.length; i++) {
                        assertThat(got[i]).as("%s %s logit %d", c.summary(), dtype, i).isCloseTo(want[i], org.assertj.core.data.Offset.offset(1e-5f + 1e-5f * Math.abs(want[i])));
                    }
                }
            }
        }
    }

    @Test
    void aCheckpointHoldsTheHeadsItsModelHas(@TempDir Path dir) throws IOException {
        ModelConfig c = ModelConfig.llama(40, 16, 1, 2, 1, 16);
        Transformer net = new Transformer(c, Heads.languageModel().withScore(4).withValue());
        net.initialize(new Rng(1));
        Path file = dir.resolve("model.safetensors");
        ModelWeights.save(c, net.parameters(), file, Map.of());
        Heads heads = ModelWeights.headsIn(c, file);
        assertThat(heads).isEqualTo(new Heads(true, 4, true));
        ParameterBuffer back = TransformerLayout.of(c, heads).allocate();
        ModelWeights.load(c, back, file);
        assertThat(back.get(TransformerLayout.SCORE_HEAD).toArray()).containsExactly(net.tensor(TransformerLayout.SCORE_HEAD).toArray());
        assertThat(new Transformer(c, back).heads()).isEqualTo(heads);
    }

    @Test
    void aTensorOfAnUnknownDtypeIsNamedWithItsDtype(@TempDir Path dir) throws IOException {
        String header = "{\"model.norm.weight\":{\"dtype\":\"I8\",\"shape\":[4],\"data_offsets\":[0,4]}}";
        byte[] h = header.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(8 + h.length + 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h).put(new byte[4]);
        Path file = dir.resolve("model.safetensors");
        java.nio.file.Files.write(file, b.array());
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new dev.anvil.model.Safetensors.Reader(file))
                .hasMessageContaining(file.toString()).hasMessageContaining("tensor model.norm.weight has dtype I8");
    }

    @Test
    void aMappedTensorOfTheWrongShapeNamesBothShapes(@TempDir Path dir) throws IOException {
        ModelConfig c = ModelConfig.llama(40, 16, 1, 2, 1, 16);
        Transformer net = new Transformer(c);
        Path file = dir.resolve("model.safetensors");
        ModelWeights.save(c, net.parameters(), file, Map.of());
        ModelConfig wider = ModelConfig.llama(40, 16, 1, 2, 1, 32);
        try (Arena arena = Arena.ofConfined()) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> ModelWeights.map(wider, Heads.languageModel(), java.util.List.of(file), arena))
                    .hasMessageContaining("tensor 'model.embed_tokens.weight' has shape [40, 16], the model expects [40, 32]");
        }
    }
}
