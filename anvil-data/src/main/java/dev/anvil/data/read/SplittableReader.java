package dev.anvil.data.read;

import dev.anvil.data.Document;
import dev.anvil.data.stats.BadInput;

import java.io.IOException;
import java.io.InputStream;
import java.util.function.Consumer;

/**
 * A reader of a line-based format that can start inside a file, so that one large file is read
 * as several tasks: each task gets the bytes of whole lines (or whole paragraphs) and the number of
 * its first line, and produces exactly the documents, ids and bad-input lines the reader would
 * have produced for that part of the unsplit file.
 */
public interface SplittableReader extends DocumentReader {
    /** Where a part may start: after any line break, or only after a blank line. */
    enum Boundary { LINE, BLANK_LINE }

    /** The boundary this reader needs, or null when its files cannot be split (one document per file). */
    Boundary boundary();

    void read(InputStream in, String source, long firstLine, Consumer<Document> sink, Consumer<BadInput> badInput) throws IOException;

    @Override
    default void read(InputStream in, String source, Consumer<Document> sink, Consumer<BadInput> badInput) throws IOException {
        read(in, source, 1, sink, badInput);
    }
}
