package dev.anvil.model.llama2c;

import dev.anvil.core.tensor.ParameterBuffer;
import dev.anvil.model.ModelConfig;
import dev.anvil.model.TransformerLayout;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Karpathy's llama2.c float32 checkpoints ({@code stories15M.bin} and friends), read into a Llama
 * model. Two layouts, little-endian:
 * <ul>
 *   <li>v0 (legacy, run.c): 7 int32 {dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size,
 *       seq_len} — a negative vocab_size means a separate classifier — then token embedding,
 *       attention norms, wq, wk, wv, wo, ffn norms, w1, w2, w3 (each over all layers), final norm,
 *       the RoPE cos and sin tables [seq_len, head_size/2] (skipped), and the classifier if separate;</li>
 *   <li>v1 (export.py version 1): u32 magic "ak42" (0x616b3432), int32 version 1, the same 7
 *       int32, a u8 shared-classifier flag, zero padding to 256 bytes, then attention norms, ffn
 *       norms, final norm, token embedding, wq, wk, wv, wo, w1, w2, w3, and the classifier if separate.</li>
 * </ul>
 * Matrices are PyTorch Linear weights [out, in]; w1 is the SwiGLU gate, w3 the up projection, w2
 * the down projection. llama2.c rotates interleaved channel pairs (Meta's convention), so wq and wk
 * are re-ordered per head to our half-split pairing (see {@link dev.anvil.model.gguf.TransformerGguf}).
 * RMSNorm ε 1e-5 and θ 10000, as run.c hard-codes. The tokenizer ({@code tokenizer.bin}) is separate.
 */
public final class Llama2cCheckpoint {

    private Llama2cCheckpoint() {}

    static final int MAGIC = 0x616b3432;

    public record Loaded(ModelConfig config, ParameterBuffer parameters, int version) {}

    public static Loaded read(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            ByteBuffer head = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
            while (head.hasRemaining() && ch.read(head, head.position()) > 0) { }
            head.flip();
            if (head.remaining() < 28) throw new IOException(file + ": truncated: " + size + " bytes is shorter than a llama2.c header");
            int version;
            int[] p = new int[7];
            boolean shared;
            long pos;
            if (head.getInt(0) == MAGIC) {
                version = head.getInt(4);
                if (version != 1) throw new IOException(file + ": llama2.c version " + version + " is not supported (supported: 0 and 1, float32)");
                for (int i = 0; i < 7; i++) p[i] = head.getInt(8 + 4 * i);
                shared = head.get(36) != 0;
                pos = 256;
            } else {
                version = 0;
                for (int i = 0; i < 7; i++) p[i] = head.getInt(4 * i);
                shared = p[5] > 0;
                p[5] = Math.abs(p[5]);
                pos = 28;
            }
            int dim = p[0], hidden = p[1], layers = p[2], heads = p[3], kvHeads = p[4], vocab = p[5], seq = p[6];
            ModelConfig c;
            try {
                c = new ModelConfig(ModelConfig.Family.LLAMA, vocab, seq, layers, heads, kvHeads, dim, hidden, 10000, 1e-5, shared, false);
            } catch (IllegalArgumentException e) {
                throw new IOException(file + ": not a llama2.c checkpoint, or a corrupt header (" + e.getMessage() + ")", e);
            }
            ParameterBuffer params = TransformerLayout.of(c).allocate();
            Reader r = new Reader(ch, file, size, pos, params);
            int D = dim / heads;
            if (version == 0) {
                r.one("model.embed_tokens.weight");
                r.perLayer(c, "input_layernorm.weight");
                r.perLayer(c, "self_attn.q_proj.weight");
                r.perLayer(c, "self_attn.k_proj.weight");
                r.perLayer(c, "self_attn.v_proj.weight");
                r.perLayer(c, "self_attn.o_proj.weight");
                r.perLayer(c, "post_attention_layernorm.weight");
                r.perLayer(c, "mlp.gate_proj.weight");
                r.perLayer(c, "mlp.down_proj.weight");
                r.perLayer(c, "mlp.up_proj.weight");
                r.one("model.norm.weight");
                r.skip("the RoPE tables", 2L * seq * (D / 2) * 4);
            } else {
                r.perLayer(c, "input_layernorm.weight");
                r.perLayer(c, "post_attention_layernorm.weight");
                r.one("model.norm.weight");
                r.one("model.embed_tokens.weight");
                r.perLayer(c, "self_attn.q_proj.weight");
                r.perLayer(c, "self_attn.k_proj.weight");
                r.perLayer(c, "self_attn.v_proj.weight");
                r.perLayer(c, "self_attn.o_proj.weight");
                r.perLayer(c, "mlp.gate_proj.weight");
                r.perLayer(c, "mlp.down_proj.weight");
                r.perLayer(c, "mlp.up_proj.weight");
            }
            if (!shared) r.one("lm_head.weight");
            // Interleaved RoPE pairs → half-split pairs.
            for (int l = 0; l < layers; l++) {
                unpermute(params, "model.layers." + l + ".self_attn.q_proj.weight", heads, D, dim);
                unpermute(params, "model.layers." + l + ".self_attn.k_proj.weight", kvHeads, D, dim);
            }
            return new Loaded(c, params, version);
        }
    }

    /** Inverse of new row 2i + j = old row j·D/2 + i, per head. */
    private static void unpermute(ParameterBuffer params, String name, int heads, int D, int cols) {
        ParameterBuffer.Layout.Entry e = params.layout().entry(name);
        float[] w = params.data();
        float[] copy = java.util.Arrays.copyOfRange(w, e.offset(), e.offset() + heads * D * cols);
        int half = D / 2;
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < half; i++) {
                for (int j = 0; j < 2; j++) {
                    System.arraycopy(copy, (h * D + 2 * i + j) * cols, w, e.offset() + (h * D + j * half + i) * cols, cols);
                }
            }
        }
    }

    /** Sequential float32 reads into named tensors, with the file, tensor and offset in every error. */
    private static final class Reader {
        private final FileChannel ch;
        private final Path file;
        private final long size;
        private long pos;
        private final ParameterBuffer params;
        private final ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);

        Reader(FileChannel ch, Path file, long size, long pos, ParameterBuffer params) {
            this.ch = ch;
            this.file = file;
            this.size = size;
            this.pos = pos;
            this.params = params;
        }

        void perLayer(ModelConfig c, String suffix) throws IOException {
            for (int l = 0; l < c.layers(); l++) one("model.layers." + l + "." + suffix);
        }

        void skip(String what, long bytes) throws IOException {
            if (pos + bytes > size) throw new IOException(file + ": truncated: " + what + " at offset " + pos + " need " + bytes + " bytes, the file has " + size);
            pos += bytes;
        }

        void one(String name) throws IOException {
            ParameterBuffer.Layout.Entry e = params.layout().entry(name);
            long n = e.shape().size();
            if (pos + 4 * n > size) {
                throw new IOException(file + ": truncated: tensor " + name + " at offset " + pos + " needs " + 4 * n + " bytes, the file has " + size);
            }
            float[] dst = params.data();
            long done = 0;
            while (done < n) {
                int chunk = (int) Math.min(n - done, buf.capacity() / 4);
                buf.clear().limit(chunk * 4);
                while (buf.hasRemaining()) {
                    if (ch.read(buf, pos + buf.position()) < 0) throw new IOException(file + ": truncated in tensor " + name + " at offset " + (pos + buf.position()));
                }
                buf.flip();
                buf.asFloatBuffer().get(dst, (int) (e.offset() + done), chunk);
                pos += 4L * chunk;
                done += chunk;
            }
        }
    }
}
