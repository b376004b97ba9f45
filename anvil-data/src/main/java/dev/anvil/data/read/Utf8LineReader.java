package dev.anvil.data.read;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Reads an input stream line by line ({@code \n}, with a trailing {@code \r} dropped) and decodes
 * each line as strict UTF-8, so that a line with undecodable bytes can be reported by number and
 * skipped instead of silently becoming replacement characters.
 */
public final class Utf8LineReader {
    /** A line: its 1-based number and its text, or {@code text == null} when its bytes are not UTF-8. */
    public record Line(long number, String text) {}

    private final InputStream in;
    private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    private final byte[] chunk = new byte[1 << 16];
    private int pos;
    private int limit;
    private byte[] line = new byte[256];
    private long lineNumber;
    private boolean eof;

    public Utf8LineReader(InputStream in) {
        this(in, 1);
    }

    /** @param firstLine the number of the stream's first line (a part of a larger file starts past 1) */
    public Utf8LineReader(InputStream in, long firstLine) {
        this.in = in;
        this.lineNumber = firstLine - 1;
    }

    private boolean fill() throws IOException {
        try {
            int n = in.read(chunk, 0, chunk.length);
            if (n <= 0) {
                if (n < 0) return false;
                int b = in.read();
                if (b < 0) return false;
                chunk[0] = (byte) b;
                n = 1;
            }
            pos = 0;
            limit = n;
            return true;
        } catch (IOException e) {
            throw new DamagedInputException(lineNumber + 1, e);
        }
    }

    /** The next line, or null at the end of the stream. I/O errors (e.g. a truncated gzip) propagate as {@link DamagedInputException} with the line reached. */
    public Line next() throws IOException {
        if (eof) return null;
        int n = 0;
        boolean any = false;
        boolean newline = false;
        while (!newline) {
            if (pos == limit && !fill()) {
                eof = true;
                break;
            }
            any = true;
            int start = pos;
            while (pos < limit && chunk[pos] != '\n') pos++;
            int len = pos - start;
            if (n + len > line.length) line = Arrays.copyOf(line, Math.max(line.length * 2, n + len));
            System.arraycopy(chunk, start, line, n, len);
            n += len;
            if (pos < limit) {
                pos++; // the '\n'
                newline = true;
            }
        }
        if (!any) return null;
        if (n > 0 && line[n - 1] == '\r') n--;
        lineNumber++;
        if (isAscii(line, n)) return new Line(lineNumber, new String(line, 0, n, StandardCharsets.ISO_8859_1));
        try {
            CharBuffer chars = decoder.reset().decode(ByteBuffer.wrap(line, 0, n));
            return new Line(lineNumber, chars.toString());
        } catch (CharacterCodingException e) {
            return new Line(lineNumber, null);
        }
    }

    private static boolean isAscii(byte[] b, int n) {
        for (int i = 0; i < n; i++) if (b[i] < 0) return false;
        return true;
    }
}
