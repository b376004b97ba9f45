package dev.anvil.model.llama2c;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class Llama2cTokenizerTest {

    /** A tokenizer.bin in llama2.c's layout: <unk>, <s>, </s>, 256 byte tokens, then the given pieces with scores. */
    static Path write(Path file, String[] pieces, float[] scores) throws IOException {
        List<byte[]> all = new ArrayList<>();
        List<Float> sc = new ArrayList<>();
        for (String s : new String[] {"<unk>", "\n<s>\n", "\n</s>\n"}) {
            all.add(s.getBytes(StandardCharsets.UTF_8));
            sc.add(0f);
        }
        for (int b = 0; b < 256; b++) {
            all.add(String.format("<0x%02X>", b).getBytes(StandardCharsets.UTF_8));
            sc.add(0f);
        }
        for (int i = 0; i < pieces.length; i++) {
            all.add(pieces[i].getBytes(StandardCharsets.UTF_8));
            sc.add(scores[i]);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteBuffer h = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(16);
        out.writeBytes(h.array());
        for (int i = 0; i < all.size(); i++) {
            ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putFloat(sc.get(i)).putInt(all.get(i).length);
            out.writeBytes(b.array());
            out.writeBytes(all.get(i));
        }
        Files.write(file, out.toByteArray());
        return file;
    }

    // ids: 259 " ", 260 "a", 261 "b", 262 "c", 263 "ab", 264 " ab", 265 "bc", 266 "é"
    private static final String[] PIECES = {" ", "a", "b", "c", "ab", " ab", "bc", "é"};
    private static final float[] SCORES = {-1, -1, -1, -1, -2, -3, -1.5f, -1};

    @Test
    void encodesByHighestScoringMergesWithTheDummyPrefixAndByteFallback(@TempDir Path dir) throws IOException {
        Llama2cTokenizer t = Llama2cTokenizer.load(write(dir.resolve("tokenizer.bin"), PIECES, SCORES));
        assertThat(t.vocabSize()).isEqualTo(259 + PIECES.length);
        // " abc": pieces " ", a, b, c; best merge is b+c (−1.5) over a+b (−2); then nothing merges " "+a or a+bc.
        assertThat(t.encode("abc")).containsExactly(259, 260, 265);
        // " ab": a+b (−2) first, then " "+ab (−3).
        assertThat(t.encode("ab")).containsExactly(264);
        // é is a token; ü is not and falls back to its UTF-8 bytes (0xC3 0xBC) as byte tokens.
        assertThat(t.encode("é")).containsExactly(259, 266);
        assertThat(t.encode("ü")).containsExactly(259, 0xC3 + 3, 0xBC + 3);
        assertThat(t.encode("")).isEmpty();
    }

    @Test
    void decodesBytesAndDropsTheSpaceAfterBos(@TempDir Path dir) throws IOException {
        Llama2cTokenizer t = Llama2cTokenizer.load(write(dir.resolve("tokenizer.bin"), PIECES, SCORES));
        int[] ids = t.encode("ab abcü");
        int[] withBos = new int[ids.length + 1];
        withBos[0] = Llama2cTokenizer.BOS;
        System.arraycopy(ids, 0, withBos, 1, ids.length);
        assertThat(t.decode(withBos)).isEqualTo("ab abcü");
        assertThat(t.decode(ids)).isEqualTo(" ab abcü");
        assertThat(t.tokenBytes(0xC3 + 3)).containsExactly((byte) 0xC3);
    }

    @Test
    void corruptFilesNameTheTokenAndOffset(@TempDir Path dir) throws IOException {
        Path f = write(dir.resolve("tokenizer.bin"), PIECES, SCORES);
        byte[] b = Files.readAllBytes(f);
        Files.write(f, java.util.Arrays.copyOf(b, b.length - 1));
        assertThatThrownBy(() -> Llama2cTokenizer.load(f)).hasMessageContaining("tokenizer.bin").hasMessageContaining("offset");
    }
}
