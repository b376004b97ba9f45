package dev.anvil.data.read;

import java.util.List;

/**
 * How files are read.
 *
 * @param format    forces every file's format; null means detect per file
 * @param textField JSONL field holding the text (also the CSV/Parquet text column unless {@code table} names others)
 * @param idField   JSONL field (CSV/Parquet column) holding the id (null: {@code file#line} or {@code file#row})
 * @param table     column choices for CSV and Parquet
 */
public record ReaderOptions(InputFormat format, String textField, String idField, TableColumns table) {
    public static final ReaderOptions DEFAULT = new ReaderOptions(null, "text", "id");

    /**
     * Columns of tabular input (CSV, Parquet).
     *
     * @param textColumns     columns whose non-empty values, joined by a blank line, form the text (null: the text field)
     * @param idColumn        column holding the id (null: the id field)
     * @param metadataColumns columns kept as metadata (null: every other column)
     * @param header          CSV only: whether the first row names the columns (null: yes when it contains every text column's name)
     * @param delimiter       CSV only: the field separator (null: tab for {@code .tsv}, otherwise comma)
     */
    public record TableColumns(List<String> textColumns, String idColumn, List<String> metadataColumns, Boolean header, Character delimiter) {
        public static final TableColumns DEFAULT = new TableColumns(null, null, null, null, null);

        public TableColumns {
            if (textColumns != null) {
                if (textColumns.isEmpty()) throw new IllegalArgumentException("text columns must not be empty");
                textColumns = List.copyOf(textColumns);
            }
            if (metadataColumns != null) metadataColumns = List.copyOf(metadataColumns);
        }
    }

    public ReaderOptions(InputFormat format, String textField, String idField) {
        this(format, textField, idField, TableColumns.DEFAULT);
    }

    public ReaderOptions {
        if (textField == null || textField.isBlank()) textField = "text";
        if (table == null) table = TableColumns.DEFAULT;
    }

    /** The text columns of tabular input. */
    public List<String> textColumns() {
        return table.textColumns() != null ? table.textColumns() : List.of(textField);
    }

    /** The id column of tabular input. */
    public String idColumn() {
        return table.idColumn() != null ? table.idColumn() : idField;
    }

    public DocumentReader readerFor(InputFormat detected) {
        InputFormat f = format != null ? format : detected;
        return switch (f) {
            case TEXT, PARAGRAPHS, LINES -> new PlainTextReader(f);
            case JSONL -> new JsonlReader(textField, idField);
            case EMAIL -> new EmailReader();
            case HTML -> new HtmlReader();
            case CSV -> new CsvReader(textColumns(), idColumn(), table.metadataColumns(), table.header(), table.delimiter());
            case PARQUET -> new ParquetReader(textColumns(), idColumn(), table.metadataColumns());
        };
    }
}
