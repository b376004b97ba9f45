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
    private byte[] buf = new byte[256];
    private long lineNumber;
    private boolean eof;

    public Utf8LineReader(InputStream in) {
        this.in = in;
    }

    private int readByte() throws IOException {
        try {
            return in.read();
        } catch (IOException e) {
            throw new DamagedInputException(lineNumber + 1, e);
        }
    }

    /** The next line, or null at the end of the stream. I/O errors (e.g. a truncated gzip) propagate as {@link DamagedInputException} with the line reached. */
    public Line next() throws IOException {
        if (eof) return null;
        int n = 0;
        int b;
        boolean any = false;
        while ((b = readByte()) != -1) {
            any = true;
            if (b == '\n') break;
            if (n == buf.length) buf = Arrays.copyOf(buf, n * 2);
            buf[n++] = (byte) b;
        }
        if (b == -1) {
            eof = true;
            if (!any) return null;
        }
        if (n > 0 && buf[n - 1] == '\r') n--;
        lineNumber++;
        try {
            CharBuffer chars = decoder.reset().decode(ByteBuffer.wrap(buf, 0, n));
            return new Line(lineNumber, chars.toString());
        } catch (CharacterCodingException e) {
            return new Line(lineNumber, null);
        }
    }
}
