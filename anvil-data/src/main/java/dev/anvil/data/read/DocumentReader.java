package dev.anvil.data.read;

import dev.anvil.data.Document;
import dev.anvil.data.stats.BadInput;

import java.io.IOException;
import java.io.InputStream;
import java.util.function.Consumer;

/**
 * Turns one file's (already decompressed) bytes into documents. Readers stream: they hand each
 * document to {@code sink} as soon as it is complete. Anything unreadable is reported to
 * {@code badInput} with its place and skipped; an I/O error that ends the file (a truncated
 * archive, say) is thrown after the documents read so far have been delivered.
 *
 * @param source the file's name relative to its input root; documents' ids derive from it
 */
public interface DocumentReader {
    void read(InputStream in, String source, Consumer<Document> sink, Consumer<BadInput> badInput) throws IOException;
}
