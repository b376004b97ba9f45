package dev.anvil.model.llama2c;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * llama2.c's {@code tokenizer.bin}: the Llama 2 SentencePiece vocabulary as (score, bytes) pairs,
 * little-endian: int32 max_token_length, then per token float32 score, int32 length, the bytes.
 * Ids 0, 1, 2 are {@code <unk>}, {@code <s>} (BOS), {@code </s>} (EOS); ids 3 … 258 are the byte
 * tokens {@code <0x00>} … {@code <0xFF>}.
 *
 * <p>Encoding is run.c's: a leading " " (SentencePiece's dummy prefix), each UTF-8 character as its
 * token or, if absent, its bytes as byte tokens (id = byte + 3), then repeatedly merge the adjacent
 * pair whose concatenation is a token with the highest score. Decoding maps byte tokens back to
 * bytes, drops BOS/EOS, and drops the space that starts the first piece after a BOS.
 */
public final class Llama2cTokenizer {

    public static final String FILE = "tokenizer.bin";
    public static final int BOS = 1, EOS = 2;

    private final byte[][] pieces;
    private final float[] scores;
    private final Map<String, Integer> ids = new HashMap<>();
    private final Path source;

    private Llama2cTokenizer(byte[][] pieces, float[] scores, Path source) {
        this.pieces = pieces;
        this.scores = scores;
        this.source = source;
        for (int i = pieces.length - 1; i >= 0; i--) ids.put(key(pieces[i]), i); // the first id wins for duplicates
    }

    public static Llama2cTokenizer load(Path file) throws IOException {
        byte[] all = Files.readAllBytes(file);
        ByteBuffer b = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
        if (b.remaining() < 4) throw new IOException(file + ": truncated: no max_token_length");
        int maxLen = b.getInt();
        List<byte[]> pieces = new ArrayList<>();
        List<Float> scores = new ArrayList<>();
        while (b.hasRemaining()) {
            int at = b.position();
            if (b.remaining() < 8) throw new IOException(file + ": truncated: token " + pieces.size() + " at offset " + at);
            float score = b.getFloat();
            int len = b.getInt();
            if (len < 0 || len > maxLen || len > b.remaining()) {
                throw new IOException(file + ": token " + pieces.size() + " at offset " + at + " has length " + len + " (max_token_length " + maxLen + ", " + b.remaining() + " bytes left)");
            }
            byte[] p = new byte[len];
            b.get(p);
            pieces.add(p);
            scores.add(score);
        }
        if (pieces.size() < 259) throw new IOException(file + ": only " + pieces.size() + " tokens; a llama2.c tokenizer has the 3 specials and 256 byte tokens first");
        float[] s = new float[scores.size()];
        for (int i = 0; i < s.length; i++) s[i] = scores.get(i);
        return new Llama2cTokenizer(pieces.toArray(byte[][]::new), s, file);
    }

    public int vocabSize() {
        return pieces.length;
    }

    public Path source() {
        return source;
    }

    /** Tokens of {@code text} without BOS (prepend {@link #BOS} for a prompt, as run.c does). */
    public int[] encode(String text) {
        if (text.isEmpty()) return new int[0];
        List<Integer> t = new ArrayList<>();
        Integer space = ids.get(key(" ".getBytes(StandardCharsets.UTF_8)));
        if (space != null) t.add(space);
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < utf8.length; ) {
            int n = charLength(utf8[i]);
            n = Math.min(n, utf8.length - i);
            Integer id = ids.get(key(utf8, i, n));
            if (id != null) t.add(id);
            else for (int k = 0; k < n; k++) t.add((utf8[i + k] & 0xFF) + 3);
            i += n;
        }
        while (true) {
            float best = Float.NEGATIVE_INFINITY;
            int bestAt = -1, bestId = -1;
            for (int i = 0; i + 1 < t.size(); i++) {
                Integer id = ids.get(key(pieces[t.get(i)], pieces[t.get(i + 1)]));
                if (id != null && scores[id] > best) {
                    best = scores[id];
                    bestAt = i;
                    bestId = id;
                }
            }
            if (bestAt < 0) break;
            t.set(bestAt, bestId);
            t.remove(bestAt + 1);
        }
        return t.stream().mapToInt(Integer::intValue).toArray();
    }

    public String decode(int[] tokens) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int prev = -1;
        for (int id : tokens) {
            if (id < 0 || id >= pieces.length) throw new IllegalArgumentException("llama2.c tokenizer: id " + id + " outside [0, " + pieces.length + ")");
            if (id == 0 || id == BOS || id == EOS) { // <unk>, <s>, </s>
                prev = id;
                continue;
            }
            int raw = rawByte(pieces[id]);
            if (raw >= 0) {
                out.write(raw);
            } else {
                byte[] p = pieces[id];
                int from = prev == BOS && p.length > 0 && p[0] == ' ' ? 1 : 0;
                out.write(p, from, p.length - from);
            }
            prev = id;
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    /** UTF-8 bytes that token {@code id} stands for. */
    public byte[] tokenBytes(int id) {
        if (id == BOS || id == EOS || id == 0) return new byte[0];
        int raw = rawByte(pieces[id]);
        return raw >= 0 ? new byte[] {(byte) raw} : pieces[id].clone();
    }

    /** The byte of a byte-fallback piece {@code <0xHH>}, else −1. */
    private static int rawByte(byte[] p) {
        if (p.length != 6 || p[0] != '<' || p[1] != '0' || p[2] != 'x' || p[5] != '>') return -1;
        int hi = Character.digit(p[3], 16), lo = Character.digit(p[4], 16);
        return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
    }

    private static int charLength(byte lead) {
        int b = lead & 0xFF;
        return b < 0x80 ? 1 : b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1;
    }

    private static String key(byte[] b) {
        return new String(b, StandardCharsets.ISO_8859_1);
    }

    private static String key(byte[] b, int off, int len) {
        return new String(b, off, len, StandardCharsets.ISO_8859_1);
    }

    private static String key(byte[] a, byte[] b) {
        return key(a) + key(b);
    }
}
