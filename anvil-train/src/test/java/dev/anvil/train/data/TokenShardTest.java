package dev.anvil.train.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TokenShardTest {

    @Test
    void uint16ShardsAreLlmCsGpt2Layout(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("train_000000.bin");
        int[] tokens = {0, 1, 50256, 65535, 7, 300};
        try (TokenShardWriter w = new TokenShardWriter(f, 65536)) {
            w.write(tokens, 0, tokens.length);
        }
        byte[] bytes = Files.readAllBytes(f);
        assertThat(bytes).hasSize(1024 + 2 * tokens.length);
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(b.getInt(0)).isEqualTo(20240520);
        assertThat(b.getInt(4)).isEqualTo(1);
        assertThat(b.getInt(8)).isEqualTo(tokens.length);
        for (int i = 3; i < 256; i++) assertThat(b.getInt(4 * i)).isZero();
        assertThat(Short.toUnsignedInt(b.getShort(1024 + 2 * 3))).isEqualTo(65535);
        try (TokenShardReader r = new TokenShardReader(f)) {
            assertThat(r.tokenWidth()).isEqualTo(2);
            int[] back = new int[tokens.length];
            r.read(0, back, 0, tokens.length);
            assertThat(back).containsExactly(tokens);
            assertThat(r.maxToken()).isEqualTo(65535);
        }
        assertThat(Files.exists(dir.resolve("train_000000.bin.tmp"))).isFalse();
    }

    @Test
    void uint32ShardsForLargeVocabularies(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("x.bin");
        int[] tokens = new int[1000];
        for (int i = 0; i < tokens.length; i++) tokens[i] = (i * 7919) % 128256;
        try (TokenShardWriter w = new TokenShardWriter(f, 128256)) {
            w.write(tokens, 0, tokens.length);
        }
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(f)).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(b.getInt(0)).isEqualTo(20240801);
        assertThat(b.getInt(4)).isEqualTo(7);
        try (TokenShardReader r = new TokenShardReader(f)) {
            assertThat(r.tokenWidth()).isEqualTo(4);
            int[] back = new int[500];
            r.read(500, back, 0, 500);
            assertThat(back).containsExactly(Arrays.copyOfRange(tokens, 500, 1000));
        }
    }

    @Test
    void writerRejectsTokensOutsideTheVocabulary(@TempDir Path dir) throws IOException {
        try (TokenShardWriter w = new TokenShardWriter(dir.resolve("x.bin"), 100)) {
            assertThatThrownBy(() -> w.write(100)).hasMessageContaining("outside the vocabulary of 100");
        }
    }

    @Test
    void corruptAndMissingShardsFailWithTheFileName(@TempDir Path dir) throws IOException {
        Path good = dir.resolve("good.bin");
        try (TokenShardWriter w = new TokenShardWriter(good, 1000)) {
            for (int i = 0; i < 100; i++) w.write(i);
        }
        byte[] bytes = Files.readAllBytes(good);

        Path truncated = dir.resolve("truncated.bin");
        Files.write(truncated, Arrays.copyOf(bytes, bytes.length - 3));
        assertThatThrownBy(() -> new TokenShardReader(truncated)).hasMessageContaining("truncated.bin").hasMessageContaining("header says 100 tokens");

        Path shortHeader = dir.resolve("short.bin");
        Files.write(shortHeader, Arrays.copyOf(bytes, 100));
        assertThatThrownBy(() -> new TokenShardReader(shortHeader)).hasMessageContaining("shorter than the 1024-byte header");

        byte[] badMagic = bytes.clone();
        badMagic[0] ^= 0x55;
        Path magic = dir.resolve("magic.bin");
        Files.write(magic, badMagic);
        assertThatThrownBy(() -> new TokenShardReader(magic)).hasMessageContaining("bad header");

        assertThatThrownBy(() -> new TokenShardReader(dir.resolve("absent.bin"))).hasMessageContaining("absent.bin: no such file");
    }
}
