package dev.anvil.data.read;

import java.util.Arrays;
import java.util.Locale;

/** How a file's bytes become documents. */
public enum InputFormat {
    /** The whole file is one document. */
    TEXT,
    /** Each run of text separated by blank lines is one document. */
    PARAGRAPHS,
    /** Each non-blank line is one document. */
    LINES,
    /** One JSON object per line; the text (and optionally id) come from configurable fields. */
    JSONL,
    /** One RFC 822 / MIME message per file. */
    EMAIL,
    /** One HTML page per file, reduced to its main text. */
    HTML,
    /** Comma- or tab-separated rows (RFC 4180 quoting, fields may span lines); text, id and metadata from named columns. */
    CSV,
    /** Apache Parquet rows; text, id and metadata from named columns. */
    PARQUET;

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static InputFormat parse(String name) {
        for (InputFormat f : values()) if (f.id().equalsIgnoreCase(name.trim())) return f;
        throw new IllegalArgumentException("unknown input format '" + name + "', expected one of "
                + Arrays.stream(values()).map(InputFormat::id).toList());
    }
}
