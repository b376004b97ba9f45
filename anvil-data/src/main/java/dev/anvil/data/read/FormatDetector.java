package dev.anvil.data.read;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Decides a file's {@link InputFormat} from its name (compression suffix removed) and, where the
 * name is ambiguous, from its first few kilobytes: a text file that opens with RFC 822 headers is
 * an email, a {@code .json} file whose first line is an object is JSONL, a page opening with
 * {@code <!doctype html>} or {@code <html>} is HTML, a file opening with Parquet's magic
 * {@code PAR1} is Parquet. {@code .csv} and {@code .tsv} are CSV (the reader picks the separator).
 */
public final class FormatDetector {
    private static final int PEEK_BYTES = 8192;
    /** RFC 5322 field name: printable ASCII except the colon. */
    private static final Pattern HEADER_LINE = Pattern.compile("^[!-9;-~]+:.*");
    private static final Set<String> MAIL_HEADERS = Set.of("from", "to", "subject", "date", "received", "message-id",
            "return-path", "delivered-to", "mime-version", "content-type", "reply-to", "x-mailer", "cc");

    private FormatDetector() {}

    public static InputFormat detect(Path file) throws IOException {
        String name = CompressedInput.stripCompressionSuffix(file.getFileName().toString()).toLowerCase(Locale.ROOT);
        String head;
        try (InputStream in = CompressedInput.open(file)) {
            head = new String(in.readNBytes(PEEK_BYTES), StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            head = ""; // a truncated archive is detected by name; the reader then reports the damage
        }
        return detect(name, head);
    }

    /** @param name lower-case file name without compression suffix; @param head the first bytes as Latin-1 */
    static InputFormat detect(String name, String head) {
        if (name.endsWith(".jsonl") || name.endsWith(".ndjson")) return InputFormat.JSONL;
        if (name.endsWith(".html") || name.endsWith(".htm") || name.endsWith(".xhtml")) return InputFormat.HTML;
        if (name.endsWith(".eml") || name.endsWith(".msg")) return InputFormat.EMAIL;
        if (name.endsWith(".parquet") || name.endsWith(".pq") || head.startsWith("PAR1")) return InputFormat.PARQUET;
        if (name.endsWith(".csv") || name.endsWith(".tsv")) return InputFormat.CSV;
        String trimmed = head.stripLeading();
        if (name.endsWith(".json")) return InputFormat.JSONL; // one object per line is the only JSON we read
        if (looksLikeEmail(head)) return InputFormat.EMAIL;
        String lower = trimmed.length() > 64 ? trimmed.substring(0, 64).toLowerCase(Locale.ROOT) : trimmed.toLowerCase(Locale.ROOT);
        if (lower.startsWith("<!doctype html") || lower.startsWith("<html")) return InputFormat.HTML;
        if (trimmed.startsWith("{") && !name.endsWith(".txt")) {
            int eol = trimmed.indexOf('\n');
            String first = (eol < 0 ? trimmed : trimmed.substring(0, eol)).strip();
            if (first.endsWith("}")) return InputFormat.JSONL;
        }
        return InputFormat.TEXT;
    }

    /** RFC 822: the file opens with header lines (an mbox "From " line may precede), including at least two well-known mail headers. */
    static boolean looksLikeEmail(String head) {
        String[] lines = head.split("\r?\n", -1);
        // The peek may cut the last line (or a long header block) short: judge on the complete lines seen.
        int end = lines.length - 1;
        int i = 0;
        if (lines.length > 0 && lines[0].startsWith("From ")) i = 1;
        int known = 0;
        int headers = 0;
        for (; i < end; i++) {
            String line = lines[i];
            if (line.isEmpty()) break;
            if (line.startsWith(" ") || line.startsWith("\t")) {
                if (headers == 0) return false;
                continue; // folded continuation of the previous header
            }
            if (!HEADER_LINE.matcher(line).matches()) return false;
            headers++;
            if (MAIL_HEADERS.contains(line.substring(0, line.indexOf(':')).toLowerCase(Locale.ROOT))) known++;
        }
        return headers >= 2 && known >= 2;
    }
}
