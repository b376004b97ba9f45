package dev.anvil.data.read;

/**
 * How files are read.
 *
 * @param format    forces every file's format; null means detect per file
 * @param textField JSONL field holding the text
 * @param idField   JSONL field holding the id (null: {@code file#line})
 */
public record ReaderOptions(InputFormat format, String textField, String idField) {
    public static final ReaderOptions DEFAULT = new ReaderOptions(null, "text", "id");

    public ReaderOptions {
        if (textField == null || textField.isBlank()) textField = "text";
    }

    public DocumentReader readerFor(InputFormat detected) {
        InputFormat f = format != null ? format : detected;
        return switch (f) {
            case TEXT, PARAGRAPHS, LINES -> new PlainTextReader(f);
            case JSONL -> new JsonlReader(textField, idField);
            case EMAIL -> new EmailReader();
            case HTML -> new HtmlReader();
        };
    }
}
