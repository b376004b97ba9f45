package dev.anvil.data.read;

import dev.anvil.data.Document;
import dev.anvil.data.stats.BadInput;
import dev.hardwood.HardwoodContext;
import dev.hardwood.InputFile;
import dev.hardwood.reader.ParquetFileReader;
import dev.hardwood.reader.RowReader;
import dev.hardwood.schema.ColumnSchema;
import dev.hardwood.schema.FileSchema;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * Apache Parquet rows through Hardwood, a Parquet reader without Hadoop (uncompressed, gzip,
 * snappy and zstd pages). The text is the non-empty values of {@code textColumns} joined by a blank
 * line; the id comes from {@code idColumn} when present (otherwise {@code source#row}, rows counted
 * from 1); metadata from {@code metadataColumns}, or from every other top-level column whose values
 * are strings, numbers or booleans. Rows without text or with text bytes that are not UTF-8 are
 * reported by row number and skipped; a file whose footer cannot be read is reported as a whole.
 */
public record ParquetReader(List<String> textColumns, String idColumn, List<String> metadataColumns) implements DocumentReader {
    public ParquetReader {
        if (textColumns == null || textColumns.isEmpty()) throw new IllegalArgumentException("parquet needs at least one text column");
        textColumns = List.copyOf(textColumns);
        if (metadataColumns != null) metadataColumns = List.copyOf(metadataColumns);
    }

    /** Parquet needs random access (the footer is at the end): a stream is read into memory first. Prefer {@link #read(Path, String, Consumer, Consumer)}. */
    @Override
    public void read(InputStream in, String source, Consumer<Document> sink, Consumer<BadInput> badInput) throws IOException {
        read(InputFile.of(ByteBuffer.wrap(in.readAllBytes())), source, sink, badInput);
    }

    /** Reads the file in place (memory-mapped by Hardwood). */
    public void read(Path file, String source, Consumer<Document> sink, Consumer<BadInput> badInput) throws IOException {
        read(InputFile.of(file), source, sink, badInput);
    }

    private void read(InputFile file, String source, Consumer<Document> sink, Consumer<BadInput> badInput) throws IOException {
        // One decoding thread: the executor already runs one task per core.
        try (HardwoodContext context = HardwoodContext.create(1);
             ParquetFileReader reader = openOrReport(file, context, source, badInput)) {
            if (reader == null) return;
            FileSchema schema = reader.getFileSchema();
            List<String> names = new ArrayList<>();
            for (var field : schema.getRootNode().children()) names.add(field.name());
            for (String c : textColumns) {
                if (!names.contains(c)) {
                    badInput.accept(new BadInput(source, 0, "no text column '" + c + "' (columns: " + names + "), file skipped"));
                    return;
                }
            }
            List<String> metaNames = new ArrayList<>();
            for (String n : metadataColumns != null ? metadataColumns : names) {
                if (names.contains(n) && !textColumns.contains(n) && !n.equals(idColumn) && !n.equals("source")) metaNames.add(n);
            }
            boolean hasId = idColumn != null && names.contains(idColumn);
            try (RowReader rows = reader.rowReader()) {
                long row = 0;
                while (rows.hasNext()) {
                    rows.next();
                    row++;
                    StringBuilder text = new StringBuilder();
                    boolean undecodable = false;
                    for (String c : textColumns) {
                        String v;
                        try {
                            v = stringValue(rows.isNull(c) ? null : rows.getValue(c));
                        } catch (CharacterCodingException e) {
                            undecodable = true;
                            break;
                        }
                        if (v != null && !v.isBlank()) {
                            if (!text.isEmpty()) text.append("\n\n");
                            text.append(v);
                        }
                    }
                    if (undecodable) {
                        badInput.accept(new BadInput(source, row, "undecodable bytes (not UTF-8) in a text column"));
                        continue;
                    }
                    if (text.isEmpty()) {
                        badInput.accept(new BadInput(source, row, "row has no text in " + textColumns));
                        continue;
                    }
                    String id = null;
                    if (hasId && !rows.isNull(idColumn)) {
                        Object v = rows.getValue(idColumn);
                        if (v instanceof String || v instanceof Number) id = v.toString();
                    }
                    Map<String, Object> meta = new TreeMap<>();
                    meta.put("source", source);
                    for (String n : metaNames) {
                        if (rows.isNull(n)) continue;
                        Object v = rows.getValue(n);
                        if (v instanceof String || v instanceof Boolean) meta.put(n, v);
                        else if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte) meta.put(n, ((Number) v).longValue());
                        else if (v instanceof Number num) meta.put(n, num.doubleValue());
                    }
                    sink.accept(new Document(id != null ? id : source + "#" + row, text.toString(), meta));
                }
            }
        }
    }

    private static ParquetFileReader openOrReport(InputFile file, HardwoodContext context, String source, Consumer<BadInput> badInput) {
        try {
            return ParquetFileReader.open(file, context);
        } catch (IOException | RuntimeException e) {
            badInput.accept(new BadInput(source, 0, "not a readable Parquet file, skipped: " + e.getMessage()));
            return null;
        }
    }

    /** Strings as they are; binary values decoded as strict UTF-8 (a Parquet string column may lack the STRING annotation). */
    private static String stringValue(Object v) throws CharacterCodingException {
        if (v == null) return null;
        if (v instanceof String s) return s;
        if (v instanceof byte[] b) {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b)).toString();
        }
        return v.toString();
    }
}
