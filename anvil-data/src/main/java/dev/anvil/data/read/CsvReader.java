package dev.anvil.data.read;

import dev.anvil.data.Document;
import dev.anvil.data.stats.BadInput;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * CSV and TSV with commons-csv (RFC 4180: quoted fields may hold separators, quotes and line
 * breaks). The text is the non-empty values of {@code textColumns} joined by a blank line; the id
 * comes from {@code idColumn} when present (otherwise {@code source#line} of the row's first line);
 * metadata from {@code metadataColumns}, or from every other column when null.
 *
 * <p>Columns are named by the header row; without one they are addressed by 0-based index
 * ({@code "0"}, {@code "2"}). With {@code header == null} the first row is taken as a header when it
 * contains the name of every text column. A row that is too short, has no text, or touches bytes
 * that are not UTF-8 is reported with its first line and skipped; a quoting error ends the file
 * (the parser cannot find the next row boundary reliably) and is reported the same way.
 */
public record CsvReader(List<String> textColumns, String idColumn, List<String> metadataColumns, Boolean header,
                        Character delimiter) implements DocumentReader {
    public CsvReader {
        if (textColumns == null || textColumns.isEmpty()) throw new IllegalArgumentException("csv needs at least one text column");
        textColumns = List.copyOf(textColumns);
        if (metadataColumns != null) metadataColumns = List.copyOf(metadataColumns);
    }

    @Override
    public void read(InputStream in, String source, Consumer<Document> sink, Consumer<BadInput> badInput) throws IOException {
        char sep = delimiter != null ? delimiter
                : CompressedInput.stripCompressionSuffix(source).toLowerCase(Locale.ROOT).endsWith(".tsv") ? '\t' : ',';
        LenientUtf8Reader chars = new LenientUtf8Reader(in);
        CSVFormat format = CSVFormat.RFC4180.builder().setDelimiter(sep).setIgnoreEmptyLines(true).get();
        CSVParser parser = CSVParser.builder().setReader(chars).setFormat(format).get();
        Iterator<CSVRecord> records = parser.iterator();
        Map<String, Integer> columns = null;
        long lastLine = 0; // line breaks consumed when the previous record ended
        try {
            while (true) {
                CSVRecord record;
                try {
                    if (!records.hasNext()) break;
                    record = records.next();
                } catch (UncheckedIOException | IllegalStateException e) {
                    Throwable cause = e.getCause();
                    if (cause instanceof DamagedInputException d) throw d;
                    badInput.accept(new BadInput(source, lastLine + 1, "malformed CSV, rest of file skipped: " + e.getMessage()));
                    return;
                }
                // The row's own lines: the blank lines the parser skipped before it do not count.
                long end = Math.max(parser.getCurrentLineNumber(), lastLine + 1);
                long first = Math.max(lastLine + 1, end - countBreaks(record));
                boolean undecodable = !chars.badLines().subSet(lastLine + 1, true, end, true).isEmpty();
                lastLine = parser.getCurrentLineNumber();
                if (columns == null) {
                    columns = columnsOf(record, undecodable, source, badInput);
                    if (columns == null) return;
                    if (!columns.isEmpty()) continue; // that was the header row
                    columns = indexColumns();
                }
                if (undecodable) {
                    badInput.accept(new BadInput(source, first, "undecodable bytes (not UTF-8)"));
                    continue;
                }
                Document doc = document(record, columns, source, first, badInput);
                if (doc != null) sink.accept(doc);
            }
        } catch (UncheckedIOException e) {
            if (e.getCause() instanceof DamagedInputException d) throw d;
            throw e.getCause();
        }
    }

    /** The header's column positions, an empty map when the first row is data, or null (reported) when the text columns cannot be found. */
    private Map<String, Integer> columnsOf(CSVRecord first, boolean undecodable, String source, Consumer<BadInput> badInput) {
        boolean named = true;
        for (String c : textColumns) named &= indexOf(first, c) >= 0;
        boolean isHeader = header != null ? header : named;
        if (!isHeader) {
            for (String c : textColumns) {
                if (!isIndex(c)) {
                    badInput.accept(new BadInput(source, 1, "no header row naming text column '" + c + "', file skipped"));
                    return null;
                }
            }
            return Map.of();
        }
        if (undecodable) {
            badInput.accept(new BadInput(source, 1, "undecodable bytes (not UTF-8) in the header row, file skipped"));
            return null;
        }
        Map<String, Integer> cols = new HashMap<>();
        for (int i = 0; i < first.size(); i++) cols.putIfAbsent(first.get(i).strip(), i);
        for (String c : textColumns) {
            if (!cols.containsKey(c)) {
                badInput.accept(new BadInput(source, 1, "header has no text column '" + c + "' (columns: " + cols.keySet() + "), file skipped"));
                return null;
            }
        }
        return cols;
    }

    /** Without a header every column is named by its index; the map is filled lazily as rows are seen. */
    private static Map<String, Integer> indexColumns() {
        return new IndexColumns();
    }

    private Document document(CSVRecord record, Map<String, Integer> columns, String source, long line, Consumer<BadInput> badInput) {
        StringBuilder text = new StringBuilder();
        for (String c : textColumns) {
            Integer i = columns.get(c);
            if (i == null || i >= record.size()) {
                badInput.accept(new BadInput(source, line, "row has " + record.size() + " fields, text column '" + c + "' missing"));
                return null;
            }
            String v = record.get(i);
            if (!v.isBlank()) {
                if (!text.isEmpty()) text.append("\n\n");
                text.append(v);
            }
        }
        if (text.isEmpty()) {
            badInput.accept(new BadInput(source, line, "row has no text in " + textColumns));
            return null;
        }
        Integer idAt = idColumn == null ? null : columns.get(idColumn);
        String id = idAt != null && idAt < record.size() && !record.get(idAt).isBlank() ? record.get(idAt) : source + "#" + line;
        Map<String, Object> meta = new TreeMap<>();
        meta.put("source", source);
        List<String> metaNames = new ArrayList<>();
        if (metadataColumns != null) metaNames.addAll(metadataColumns);
        else if (columns instanceof IndexColumns) for (int i = 0; i < record.size(); i++) metaNames.add(Integer.toString(i));
        else metaNames.addAll(columns.keySet());
        for (String name : metaNames) {
            Integer i = columns.get(name);
            if (i == null || i >= record.size() || textColumns.contains(name) || name.equals(idColumn) || name.equals("source")) continue;
            meta.put(name, record.get(i));
        }
        return new Document(id, text.toString(), meta);
    }

    private static int indexOf(CSVRecord r, String name) {
        for (int i = 0; i < r.size(); i++) if (r.get(i).strip().equals(name)) return i;
        return -1;
    }

    private static boolean isIndex(String s) {
        return !s.isEmpty() && s.chars().allMatch(Character::isDigit);
    }

    /** Line breaks inside the record's values: a row holding n of them spans n + 1 lines. */
    private static long countBreaks(CSVRecord r) {
        long n = 0;
        for (String v : r) for (int i = 0; i < v.length(); i++) if (v.charAt(i) == '\n') n++;
        return n;
    }

    /** Column name to position when there is no header: the name is the 0-based index itself. */
    private static final class IndexColumns extends HashMap<String, Integer> {
        @Override
        public Integer get(Object key) {
            return key instanceof String s && isIndex(s) && s.length() < 10 ? Integer.valueOf(s) : null;
        }
    }
}
