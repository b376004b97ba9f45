package dev.anvil.train.data;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Writes one token shard in llm.c's format (see {@link TokenShardFormat}). Tokens stream into
 * {@code <file>.tmp}; {@link #close()} writes the header with the final count, syncs, and renames
 * the file into place, so a reader never sees a half-written shard under the final name.
 */
public final class TokenShardWriter implements AutoCloseable {

    private final Path target;
    private final Path temp;
    private final FileChannel channel;
    private final int vocabSize;
    private final int width;
    private final ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
    private long count;
    private boolean closed;

    public TokenShardWriter(Path file, int vocabSize) throws IOException {
        if (vocabSize <= 0) throw new IllegalArgumentException("token shard: vocabulary size must be positive, got " + vocabSize);
        this.target = file;
        this.temp = file.resolveSibling(file.getFileName() + ".tmp");
        this.vocabSize = vocabSize;
        this.width = TokenShardFormat.tokenWidth(vocabSize);
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) Files.createDirectories(parent);
        this.channel = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);
        channel.position(TokenShardFormat.HEADER_BYTES);
    }

    public void write(int token) throws IOException {
        if (token < 0 || token >= vocabSize) throw new IllegalArgumentException("token shard " + target + ": token " + token + " is outside the vocabulary of " + vocabSize);
        if (buf.remaining() < 4) flush();
        if (width == 2) buf.putShort((short) token);
        else buf.putInt(token);
        count++;
    }

    public void write(int[] tokens, int off, int n) throws IOException {
        for (int i = off; i < off + n; i++) write(tokens[i]);
    }

    public long tokenCount() {
        return count;
    }

    private void flush() throws IOException {
        buf.flip();
        while (buf.hasRemaining()) channel.write(buf);
        buf.clear();
    }

    @Override
    public void close() throws IOException {
        if (closed) return;
        closed = true;
        try (channel) {
            flush();
            if (count > Integer.MAX_VALUE) throw new IOException("token shard " + target + ": " + count + " tokens do not fit the int32 count of the header");
            ByteBuffer header = ByteBuffer.allocate(TokenShardFormat.HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            header.putInt(width == 2 ? TokenShardFormat.MAGIC_UINT16 : TokenShardFormat.MAGIC_UINT32);
            header.putInt(width == 2 ? TokenShardFormat.VERSION_UINT16 : TokenShardFormat.VERSION_UINT32);
            header.putInt((int) count);
            header.position(0);
            channel.write(header, 0);
            channel.force(true);
        }
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}
