package dev.anvil.model.llama2c;

import dev.anvil.core.random.Rng;
import dev.anvil.model.ModelConfig;
import dev.anvil.model.Transformer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class Llama2cCheckpointTest {

    /** Writes a model the way llama2.c's export.py does (Meta's interleaved RoPE rows), independently of the reader. */
    private static byte[] export(Transformer net, int version) {
        ModelConfig c = net.config();
        var p = net.parameters();
        int D = c.headDim();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteBuffer h = ByteBuffer.allocate(version == 0 ? 28 : 256).order(ByteOrder.LITTLE_ENDIAN);
        if (version == 1) h.putInt(0x616b3432).putInt(1);
        int vocab = version == 0 && !c.tiedEmbeddings() ? -c.vocabSize() : c.vocabSize();
        h.putInt(c.width()).putInt(c.hiddenWidth()).putInt(c.layers()).putInt(c.heads()).putInt(c.kvHeads()).putInt(vocab).putInt(c.contextLength());
        if (version == 1) h.put((byte) (c.tiedEmbeddings() ? 1 : 0));
        out.writeBytes(h.array());
        List<String> order = new ArrayList<>();
        String[] v0 = {"E", "input_layernorm.weight", "self_attn.q_proj.weight", "self_attn.k_proj.weight", "self_attn.v_proj.weight",
                "self_attn.o_proj.weight", "post_attention_layernorm.weight", "mlp.gate_proj.weight", "mlp.down_proj.weight", "mlp.up_proj.weight", "N", "ROPE"};
        String[] v1 = {"input_layernorm.weight", "post_attention_layernorm.weight", "N", "E", "self_attn.q_proj.weight", "self_attn.k_proj.weight",
                "self_attn.v_proj.weight", "self_attn.o_proj.weight", "mlp.gate_proj.weight", "mlp.down_proj.weight", "mlp.up_proj.weight"};
        for (String s : version == 0 ? v0 : v1) {
            switch (s) {
                case "E" -> order.add("model.embed_tokens.weight");
                case "N" -> order.add("model.norm.weight");
                case "ROPE" -> order.add("ROPE");
                default -> { for (int l = 0; l < c.layers(); l++) order.add("model.layers." + l + "." + s); }
            }
        }
        if (!c.tiedEmbeddings()) order.add("lm_head.weight");
        for (String name : order) {
            float[] t;
            if (name.equals("ROPE")) {
                t = new float[2 * c.contextLength() * D / 2];
                java.util.Arrays.fill(t, 0.25f);
            } else {
                var e = p.layout().entry(name);
                t = java.util.Arrays.copyOfRange(p.data(), e.offset(), e.offset() + e.shape().size());
                if (name.endsWith("q_proj.weight") || name.endsWith("k_proj.weight")) {
                    int heads = name.endsWith("q_proj.weight") ? c.heads() : c.kvHeads(), cols = c.width();
                    float[] meta = new float[t.length];
                    for (int hh = 0; hh < heads; hh++)
                        for (int i = 0; i < D / 2; i++)
                            for (int j = 0; j < 2; j++)
                                System.arraycopy(t, (hh * D + j * D / 2 + i) * cols, meta, (hh * D + 2 * i + j) * cols, cols);
                    t = meta;
                }
            }
            ByteBuffer b = ByteBuffer.allocate(4 * t.length).order(ByteOrder.LITTLE_ENDIAN);
            for (float f : t) b.putFloat(f);
            out.writeBytes(b.array());
        }
        return out.toByteArray();
    }

    @Test
    void bothVersionsLoadBitExactly(@TempDir Path dir) throws IOException {
        for (boolean tied : new boolean[] {true, false}) {
            ModelConfig c = new ModelConfig(ModelConfig.Family.LLAMA, 50, 24, 2, 4, 2, 32, 96, 10000, 1e-5, tied, false);
            Transformer net = new Transformer(c);
            net.initialize(new Rng(tied ? 1 : 2));
            for (int version : new int[] {0, 1}) {
                Path file = dir.resolve("m" + version + tied + ".bin");
                Files.write(file, export(net, version));
                Llama2cCheckpoint.Loaded back = Llama2cCheckpoint.read(file);
                assertThat(back.version()).isEqualTo(version);
                assertThat(back.config()).isEqualTo(c);
                assertThat(back.parameters().data()).containsExactly(net.parameters().data());
            }
        }
    }

    @Test
    void truncatedFilesNameTheTensorAndOffset(@TempDir Path dir) throws IOException {
        ModelConfig c = ModelConfig.llama(50, 24, 2, 4, 2, 32);
        Transformer net = new Transformer(c);
        byte[] full = export(net, 1);
        Path file = dir.resolve("cut.bin");
        Files.write(file, java.util.Arrays.copyOf(full, full.length - 10));
        assertThatThrownBy(() -> Llama2cCheckpoint.read(file)).hasMessageContaining("cut.bin").hasMessageContaining("truncated")
                .hasMessageContaining("lm_head.weight").hasMessageContaining("offset");
        Path junk = dir.resolve("junk.bin");
        Files.write(junk, new byte[] {1, 2, 3});
        assertThatThrownBy(() -> Llama2cCheckpoint.read(junk)).hasMessageContaining("junk.bin");
    }
}
