package dev.anvil.model.gguf;

import dev.anvil.core.kernels.Linear;
import dev.anvil.core.kernels.Rope;
import dev.anvil.core.random.Rng;
import dev.anvil.model.ModelConfig;
import dev.anvil.model.Transformer;
import dev.anvil.model.inference.InferenceSession;
import dev.anvil.tokenizer.BpeTokenizer;
import dev.anvil.tokenizer.pretokenize.SplitPattern;
import dev.anvil.tokenizer.train.BpeTrainer;
import dev.anvil.tokenizer.train.BpeTrainerConfig;
import dev.anvil.tokenizer.train.ChunkCounts;
import dev.anvil.tokenizer.train.TrainingProgress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TransformerGgufTest {

    private static final String TEXT = "The quick brown fox jumps over the lazy dog. Über naïve café — 123 4567!\n";

    private static BpeTokenizer tokenizer(SplitPattern pattern) {
        ChunkCounts chunks = new ChunkCounts();
        byte[] b = TEXT.repeat(20).getBytes(StandardCharsets.UTF_8);
        pattern.preTokenizer().split(b, 0, b.length, (s, e) -> chunks.add(b, s, e - s, 1));
        BpeTokenizer t = BpeTrainer.train(chunks, BpeTrainerConfig.of(300, pattern.preTokenizer()), TrainingProgress.NONE).tokenizer();
        return new BpeTokenizer("test", t.tokens(), t.preTokenizer(), Map.of("<|endoftext|>", t.tokens().idLimit()));
    }

    private static Transformer model(ModelConfig c) {
        Transformer net = new Transformer(c);
        net.initialize(new Rng(4));
        return net;
    }

    @Test
    void roundTripIsBitExactForEveryTensorAndEveryTokenId(@TempDir Path dir) throws IOException {
        for (SplitPattern pattern : new SplitPattern[] {SplitPattern.GPT2, SplitPattern.LLAMA3}) {
            BpeTokenizer tok = tokenizer(pattern);
            for (boolean tied : new boolean[] {false, true}) {
                // Vocabulary padded past the tokenizer's (to a multiple of 64), grouped-query attention.
                ModelConfig c = new ModelConfig(ModelConfig.Family.LLAMA, 320, 48, 2, 4, 2, 32, 96, 500000, 1e-5, tied, false);
                Transformer net = model(c);
                Path file = dir.resolve("m-" + pattern + "-" + tied + ".gguf");
                TransformerGguf.write(file, c, net.parameters(), tok);

                TransformerGguf.Loaded back = TransformerGguf.read(file);
                assertThat(back.config()).isEqualTo(c);
                assertThat(back.parameters().layout().entries()).isEqualTo(net.parameters().layout().entries());
                float[] a = net.parameters().data(), b = back.parameters().data();
                assertThat(b).hasSameSizeAs(a);
                for (int i = 0; i < a.length; i++) {
                    if (Float.floatToRawIntBits(a[i]) != Float.floatToRawIntBits(b[i])) throw new AssertionError("parameter " + i + " differs");
                }
                BpeTokenizer t2 = back.tokenizer();
                assertThat(t2.vocabSize()).isEqualTo(tok.vocabSize());
                assertThat(t2.specialTokens()).isEqualTo(tok.specialTokens());
                assertThat(t2.preTokenizer().pattern()).isEqualTo(tok.preTokenizer().pattern());
                for (int id = 0; id < tok.vocabSize(); id++) {
                    assertThat(t2.tokens().bytes(id)).as("token %d", id).isEqualTo(tok.tokens().bytes(id));
                }
                String probe = TEXT + "unseen words: zebra quartz 98765<|endoftext|>";
                assertThat(t2.encode(probe, java.util.Set.of("<|endoftext|>"))).containsExactly(tok.encode(probe, java.util.Set.of("<|endoftext|>")));

                // The loaded model computes the same logits.
                int[] prompt = tok.encodeOrdinary("The quick brown fox");
                float[] expected = new InferenceSession(net).append(prompt, 0, prompt.length).clone();
                assertThat(new InferenceSession(back.config(), back.parameters()).append(prompt, 0, prompt.length)).containsExactly(expected);
            }
        }
    }

    @Test
    void halfPrecisionAndQuantizedMatricesReadBackAsTheirRoundedValues(@TempDir Path dir) throws IOException {
        ModelConfig c = ModelConfig.llama(320, 16, 1, 2, 1, 32);
        Transformer net = model(c);
        float[] p = net.parameters().data();
        for (Gguf.TensorType type : new Gguf.TensorType[] {Gguf.TensorType.F16, Gguf.TensorType.BF16, Gguf.TensorType.Q8_0, Gguf.TensorType.Q4_0}) {
            Path file = dir.resolve(type + ".gguf");
            TransformerGguf.write(file, c, net.parameters(), null, type);
            try (Gguf.Reader r = new Gguf.Reader(file)) {
                assertThat(r.tensors().get("blk.0.ffn_up.weight").type()).isEqualTo(type);
                assertThat(r.tensors().get("blk.0.ffn_norm.weight").type()).isEqualTo(Gguf.TensorType.F32);
            }
            TransformerGguf.Loaded back = TransformerGguf.read(file);
            for (var e : net.parameters().layout().entries()) {
                boolean matrix = e.shape().rank() == 2;
                int n = e.shape().size();
                // A quantized matrix reads back as ggml's dequantize(quantize(x)), block by block.
                float[] blocks = new float[n];
                byte[] q = new byte[n / 32 * 34];
                if (type == Gguf.TensorType.Q8_0) {
                    dev.anvil.core.tensor.QuantizedBlocks.quantizeQ8_0(p, e.offset(), n, q, 0);
                    dev.anvil.core.tensor.QuantizedBlocks.dequantizeQ8_0(q, 0, blocks, 0, n);
                } else if (type == Gguf.TensorType.Q4_0) {
                    dev.anvil.core.tensor.QuantizedBlocks.quantizeQ4_0(p, e.offset(), n, q, 0);
                    dev.anvil.core.tensor.QuantizedBlocks.dequantizeQ4_0(q, 0, blocks, 0, n);
                }
                for (int i = e.offset(); i < e.offset() + n; i++) {
                    float expected = !matrix ? p[i] : switch (type) {
                        case F16 -> dev.anvil.core.tensor.HalfFloats.f16ToFloat(dev.anvil.core.tensor.HalfFloats.floatToF16(p[i]));
                        case BF16 -> dev.anvil.core.tensor.HalfFloats.bf16ToFloat(dev.anvil.core.tensor.HalfFloats.floatToBf16(p[i]));
                        case Q8_0, Q4_0 -> blocks[i - e.offset()];
                        default -> Float.NaN;
                    };
                    if (e.name().contains("q_proj") || e.name().contains("k_proj")) continue; // rows permuted and back: compared below
                    assertThat(back.parameters().data()[i]).as("%s %s[%d]", type, e.name(), i - e.offset()).isEqualTo(expected);
                }
            }
            if (type == Gguf.TensorType.Q8_0) {
                // Each block of 32: |x − q·d16| ≤ d/2 + 127·|d − d16| ≤ d·(1/2 + 127/2048), d = max|x| / 127 rounded to F16 as d16.
                for (var e : net.parameters().layout().entries()) {
                    if (e.shape().rank() != 2) continue;
                    for (int b = e.offset(); b < e.offset() + e.shape().size(); b += 32) {
                        float amax = 0;
                        for (int i = 0; i < 32; i++) amax = Math.max(amax, Math.abs(p[b + i]));
                        if (e.name().contains("q_proj") || e.name().contains("k_proj")) continue;
                        for (int i = 0; i < 32; i++) {
                            assertThat(Math.abs(back.parameters().data()[b + i] - p[b + i])).isLessThanOrEqualTo(amax / 127 * (0.5f + 127f / 2048) + 1e-7f);
                        }
                    }
                }
            }
            int[] ids = {1, 5, 9, 3};
            float[] exact = new InferenceSession(net).append(ids, 0, ids.length).clone();
            float[] approx = new InferenceSession(back.config(), back.parameters()).append(ids, 0, ids.length);
            for (int v = 0; v < exact.length; v++) assertThat(approx[v]).isCloseTo(exact[v], org.assertj.core.api.Assertions.within(0.05f));
        }
    }

    @Test
    void gpt2RoundTripIsBitExactWithAndWithoutBiases(@TempDir Path dir) throws IOException {
        BpeTokenizer tok = tokenizer(SplitPattern.GPT2);
        for (boolean bias : new boolean[] {true, false}) {
            for (boolean tied : new boolean[] {true, false}) {
                ModelConfig c = new ModelConfig(ModelConfig.Family.GPT2, 320, 24, 2, 2, 2, 32, 128, 0, 1e-5, tied, bias);
                Transformer net = model(c);
                Path file = dir.resolve("g" + bias + tied + ".gguf");
                TransformerGguf.write(file, c, net.parameters(), tok);
                try (Gguf.Reader r = new Gguf.Reader(file)) {
                    assertThat(r.require("general.architecture").asString()).isEqualTo("gpt2");
                    // llama.cpp's gpt2 graph needs every bias, so they are there even for a bias-free model.
                    assertThat(r.tensors().keySet()).contains("position_embd.weight", "blk.1.attn_qkv.bias", "blk.0.ffn_down.bias", "output_norm.bias");
                    assertThat(r.tensors().get("blk.0.attn_qkv.weight").rowMajorShape()).containsExactly(96, 32);
                }
                TransformerGguf.Loaded back = TransformerGguf.read(file);
                assertThat(back.config()).isEqualTo(c);
                assertThat(back.parameters().data()).containsExactly(net.parameters().data());
                int[] ids = tok.encodeOrdinary("The quick");
                assertThat(new InferenceSession(back.config(), back.parameters()).append(ids, 0, ids.length))
                        .containsExactly(new InferenceSession(net).append(ids, 0, ids.length));
            }
        }
    }

    @Test
    void erfGeluGpt2IsRefusedBecauseGgufsGpt2MeansTanhGelu(@TempDir Path dir) {
        ModelConfig c = new ModelConfig(ModelConfig.Family.GPT2, 320, 24, 2, 2, 2, 32, 128, 0, 1e-5, true, false)
                .withActivation(ModelConfig.Activation.GELU);
        Path file = dir.resolve("erf.gguf");
        assertThatThrownBy(() -> TransformerGguf.write(file, c, model(c).parameters(), tokenizer(SplitPattern.GPT2)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("activation 'gelu'").hasMessageContaining("Hugging Face");
        assertThat(file).doesNotExist();
    }

    @Test
    void fileLayoutFollowsTheSpec(@TempDir Path dir) throws IOException {
        ModelConfig c = ModelConfig.llama(320, 16, 1, 2, 1, 16);
        Path file = dir.resolve("m.gguf");
        TransformerGguf.write(file, c, model(c).parameters(), tokenizer(SplitPattern.GPT2));
        try (Gguf.Reader r = new Gguf.Reader(file)) {
            assertThat(r.version()).isEqualTo(3);
            assertThat(r.require("general.architecture").asString()).isEqualTo("llama");
            assertThat(r.require("llama.attention.head_count_kv").type()).isEqualTo(Gguf.ValueType.UINT32);
            assertThat(r.require("llama.rope.freq_base").asDouble()).isEqualTo(10000.0);
            assertThat(r.require("tokenizer.ggml.model").asString()).isEqualTo("gpt2");
            assertThat(r.require("tokenizer.ggml.tokens").asList()).hasSize(320);
            assertThat(r.require("tokenizer.ggml.merges").asList()).isNotEmpty();
            // ggml dimension order: token_embd is {n_embd, n_vocab}, so the row-major shape is [vocab, width].
            assertThat(r.tensors().get("token_embd.weight").rowMajorShape()).containsExactly(320, 16);
            assertThat(r.tensors().get("blk.0.attn_k.weight").rowMajorShape()).containsExactly(8, 16);
            assertThat(r.tensors().keySet()).contains("blk.0.attn_norm.weight", "blk.0.ffn_gate.weight", "blk.0.ffn_down.weight",
                    "output_norm.weight", "output.weight");
            for (Gguf.TensorInfo t : r.tensors().values()) assertThat(t.offset() % 32).isZero();
        }
        // The header: "GGUF", version 3 (little-endian).
        byte[] head = new byte[8];
        try (var in = Files.newInputStream(file)) {
            assertThat(in.read(head)).isEqualTo(8);
        }
        assertThat(head).containsExactly('G', 'G', 'U', 'F', 3, 0, 0, 0);
    }

    /**
     * The permuted W_q with llama.cpp's interleaved RoPE gives the permuted rotated query: the
     * export matches the convention the file's reader applies.
     */
    @Test
    void permutedProjectionWithInterleavedRopeEqualsHalfSplitRopePermuted() {
        int heads = 3, D = 8, C = 12, pos = 5;
        Rng rng = new Rng(9);
        float[] w = new float[heads * D * C], x = new float[C];
        rng.fillNormal(w, 0, w.length, 0, 1);
        rng.fillNormal(x, 0, x.length, 0, 1);
        Rope.Table table = new Rope.Table(16, D, 10000);
        float[] q = new float[heads * D], qp = new float[heads * D];
        Linear.forward(q, 0, x, 0, w, 0, null, 0, 1, C, heads * D);
        Rope.forward(q, 0, q, 0, 1, 1, heads, D, pos, table, Rope.Style.HALF);
        float[] wp = TransformerGguf.permuteRows(w, 0, heads, D, C, false);
        Linear.forward(qp, 0, x, 0, wp, 0, null, 0, 1, C, heads * D);
        Rope.forward(qp, 0, qp, 0, 1, 1, heads, D, pos, table, Rope.Style.INTERLEAVED);
        float[] expected = TransformerGguf.permuteRows(q, 0, heads, D, 1, false);
        for (int i = 0; i < expected.length; i++) assertThat(qp[i]).isCloseTo(expected[i], org.assertj.core.api.Assertions.within(1e-5f));
        assertThat(TransformerGguf.permuteRows(wp, 0, heads, D, C, true)).containsExactly(w);
    }

    @Test
    void truncatedOrForeignFilesAreClearErrors(@TempDir Path dir) throws IOException {
        ModelConfig c = ModelConfig.llama(300, 16, 1, 2, 1, 16);
        Path file = dir.resolve("m.gguf");
        TransformerGguf.write(file, c, model(c).parameters(), null);
        long size = Files.size(file);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.truncate(size - 100);
        }
        assertThatThrownBy(() -> TransformerGguf.read(file)).isInstanceOf(IOException.class)
                .hasMessageContaining("m.gguf").hasMessageContaining("truncated").hasMessageContaining("tensor").hasMessageContaining("offset");
        Path header = dir.resolve("h.gguf");
        Files.write(header, java.util.Arrays.copyOf(Files.readAllBytes(file), 40));
        assertThatThrownBy(() -> TransformerGguf.read(header)).hasMessageContaining("h.gguf").hasMessageContaining("truncated").hasMessageContaining("offset");
        Path other = dir.resolve("x.gguf");
        Files.writeString(other, "not a model at all");
        assertThatThrownBy(() -> TransformerGguf.read(other)).hasMessageContaining("not a GGUF file");
        Path wrongArch = dir.resolve("w.gguf");
        Gguf.write(wrongArch, Map.of("general.architecture", Gguf.Value.string("mamba")), java.util.List.of());
        assertThatThrownBy(() -> TransformerGguf.read(wrongArch)).hasMessageContaining("mamba").hasMessageContaining("supported: llama, gpt2");
        // A tensor type this reader does not know (ggml's Q4_K, id 12): the error names it and lists the supported ones.
        Path k4 = dir.resolve("k.gguf");
        Gguf.write(k4, Map.of("general.architecture", Gguf.Value.string("llama")),
                java.util.List.of(new Gguf.TensorToWrite("blk.0.attn_q.weight", new int[] {2, 32}, new float[64], 0)));
        byte[] bytes = Files.readAllBytes(k4);
        int at = indexOf(bytes, "blk.0.attn_q.weight".getBytes(java.nio.charset.StandardCharsets.UTF_8)) + "blk.0.attn_q.weight".length() + 4 + 2 * 8;
        java.nio.ByteBuffer.wrap(bytes).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(at, 12);
        Files.write(k4, bytes);
        assertThatThrownBy(() -> new Gguf.Reader(k4)).hasMessageContaining("k.gguf").hasMessageContaining("blk.0.attn_q.weight")
                .hasMessageContaining("ggml type 12").hasMessageContaining("Q4_0").hasMessageContaining("Q8_0");
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) if (haystack[i + j] != needle[j]) continue outer;
            return i;
        }
        throw new AssertionError("not found");
    }

    @Test
    void theChatTemplateIsStoredAsTokenizerChatTemplate(@TempDir Path dir) throws IOException {
        ModelConfig c = ModelConfig.llama(320, 16, 1, 2, 1, 32);
        Path file = dir.resolve("chat.gguf");
        TransformerGguf.write(file, c, model(c).parameters(), null, Gguf.TensorType.F32, dev.anvil.model.chat.ChatTemplate.CHATML);
        try (Gguf.Reader r = new Gguf.Reader(file)) {
            assertThat(dev.anvil.model.chat.ChatTemplate.recognise(r.require("tokenizer.chat_template").asString()))
                    .isEqualTo(dev.anvil.model.chat.ChatTemplate.CHATML);
        }
    }
}
