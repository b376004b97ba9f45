package dev.anvil.data.read;

import dev.anvil.data.Document;
import dev.anvil.data.stats.BadInput;

import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Plain UTF-8 text as one document per file ({@link InputFormat#TEXT}, id {@code file#0}), per
 * blank-line separated paragraph ({@link InputFormat#PARAGRAPHS}) or per non-blank line
 * ({@link InputFormat#LINES}); paragraphs and lines are identified by their first line's number
 * ({@code file#12}), which stays the same when a large file is read in parts. Lines that are not
 * valid UTF-8 are reported and left out.
 */
public record PlainTextReader(InputFormat mode) implements SplittableReader {
    public PlainTextReader {
        if (mode != InputFormat.TEXT && mode != InputFormat.PARAGRAPHS && mode != InputFormat.LINES) {
            throw new IllegalArgumentException("PlainTextReader handles text, paragraphs or lines, not " + mode.id());
        }
    }

    @Override
    public Boundary boundary() {
        return switch (mode) {
            case LINES -> Boundary.LINE;
            case PARAGRAPHS -> Boundary.BLANK_LINE;
            default -> null;
        };
    }

    @Override
    public void read(InputStream in, String source, long firstLine, Consumer<Document> sink, Consumer<BadInput> badInput) throws IOException {
        Utf8LineReader lines = new Utf8LineReader(in, firstLine);
        StringBuilder current = new StringBuilder();
        long paragraphStart = 0;
        Utf8LineReader.Line line;
        try {
            while ((line = lines.next()) != null) {
                if (line.text() == null) {
                    badInput.accept(new BadInput(source, line.number(), "undecodable bytes (not UTF-8)"));
                    continue;
                }
                switch (mode) {
                    case LINES -> {
                        if (!line.text().isBlank()) sink.accept(document(source, line.number(), line.text()));
                    }
                    case PARAGRAPHS -> {
                        if (line.text().isBlank()) {
                            if (!current.isEmpty()) sink.accept(document(source, paragraphStart, current.toString()));
                            current.setLength(0);
                        } else {
                            if (current.isEmpty()) paragraphStart = line.number();
                            else current.append('\n');
                            current.append(line.text());
                        }
                    }
                    default -> {
                        if (line.number() > firstLine) current.append('\n');
                        current.append(line.text());
                    }
                }
            }
        } finally {
            // Whatever was read before an I/O error is still delivered; the error itself is counted by the caller.
            if (mode != InputFormat.LINES && !current.toString().isBlank()) {
                sink.accept(document(source, mode == InputFormat.TEXT ? 0 : paragraphStart, current.toString()));
            }
        }
    }

    private static Document document(String source, long index, String text) {
        return new Document(source + "#" + index, text, Map.of("source", source));
    }
}
