package dev.anvil.train.data;

import dev.anvil.eval.TokenSequence;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A memory-mapped token shard (llm.c format, {@link TokenShardFormat}). Opening validates the
 * header and that the file length matches the token count, so a truncated or foreign file fails
 * here with its name, not as a garbage batch later.
 */
public final class TokenShardReader implements TokenSequence, AutoCloseable {

    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Path file;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment data;
    private final int width;
    private final long count;

    public TokenShardReader(Path file) throws IOException {
        this.file = file;
        if (!Files.isRegularFile(file)) throw new IOException("token shard " + file + ": no such file");
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < TokenShardFormat.HEADER_BYTES) {
                throw new IOException("token shard " + file + ": " + size + " bytes is shorter than the " + TokenShardFormat.HEADER_BYTES + "-byte header (truncated or not a shard)");
            }
            MemorySegment all = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            int magic = all.get(I32, 0), version = all.get(I32, 4), n = all.get(I32, 8);
            if (magic == TokenShardFormat.MAGIC_UINT16 && version == TokenShardFormat.VERSION_UINT16) width = 2;
            else if (magic == TokenShardFormat.MAGIC_UINT32 && version == TokenShardFormat.VERSION_UINT32) width = 4;
            else {
                arena.close();
                throw new IOException("token shard " + file + ": bad header (magic " + magic + ", version " + version + "); expected magic "
                        + TokenShardFormat.MAGIC_UINT16 + " version 1 (uint16) or " + TokenShardFormat.MAGIC_UINT32 + " version 7 (uint32)");
            }
            long expected = TokenShardFormat.HEADER_BYTES + (long) n * width;
            if (n < 0 || size != expected) {
                arena.close();
                throw new IOException("token shard " + file + ": header says " + n + " tokens (" + expected + " bytes) but the file has " + size + " bytes (truncated or corrupt)");
            }
            this.count = n;
            this.data = all.asSlice(TokenShardFormat.HEADER_BYTES);
        }
    }

    public Path file() {
        return file;
    }

    public long tokenCount() {
        return count;
    }

    @Override
    public String name() {
        return file.getFileName().toString();
    }

    @Override
    public long length() {
        return count;
    }

    /** Bytes per token: 2 (uint16) or 4 (uint32). */
    public int tokenWidth() {
        return width;
    }

    public int get(long i) {
        return width == 2 ? Short.toUnsignedInt(data.get(U16, i * 2)) : data.get(I32, i * 4);
    }

    /** Copies tokens [start, start + n) into {@code dst[off, off + n)}. */
    @Override
    public void read(long start, int[] dst, int off, int n) {
        if (start < 0 || start + n > count) throw new IndexOutOfBoundsException("token shard " + file + ": tokens [" + start + ", " + (start + n) + ") of " + count);
        if (width == 2) {
            for (int i = 0; i < n; i++) dst[off + i] = Short.toUnsignedInt(data.get(U16, (start + i) * 2));
        } else {
            for (int i = 0; i < n; i++) dst[off + i] = data.get(I32, (start + i) * 4);
        }
    }

    /** The largest token id in the shard (a full scan; used to check a shard against a vocabulary). */
    public int maxToken() {
        int max = -1;
        for (long i = 0; i < count; i++) max = Math.max(max, get(i));
        return max;
    }

    @Override
    public void close() {
        arena.close();
    }
}
