package dev.anvil.data.read;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.NavigableSet;
import java.util.TreeSet;

/**
 * A UTF-8 {@link Reader} for parsers that want characters (CSV): bytes that are not UTF-8 become
 * U+FFFD so that parsing goes on, and the numbers of the lines they sat on are remembered, so the
 * caller can skip and report exactly the records that touched them. An I/O error of the underlying
 * stream (a truncated archive) is rethrown as {@link DamagedInputException} with the line reached.
 */
public final class LenientUtf8Reader extends Reader {
    private final InputStream in;
    private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    private final ByteBuffer bytes = ByteBuffer.allocate(1 << 16).flip();
    private final TreeSet<Long> badLines = new TreeSet<>();
    /** Line breaks delivered so far. */
    private long newlines;
    private boolean eof;
    private boolean flushed;

    public LenientUtf8Reader(InputStream in) {
        this.in = in;
    }

    /** Lines (1-based) that held undecodable bytes, among those delivered so far. */
    public NavigableSet<Long> badLines() {
        return badLines;
    }

    @Override
    public int read(char[] cbuf, int off, int len) throws IOException {
        if (len == 0) return 0;
        CharBuffer out = CharBuffer.wrap(cbuf, off, len);
        while (out.position() == off && !flushed) {
            if (!eof && bytes.remaining() < 8) fill();
            CoderResult r = decoder.decode(bytes, out, eof);
            if (r.isError()) {
                badLines.add(newlines + countNewlines(cbuf, off, out.position()) + 1);
                bytes.position(bytes.position() + r.length());
                out.put('\uFFFD');
            } else if (r.isUnderflow() && eof) {
                decoder.flush(out);
                flushed = true;
            } else if (r.isOverflow()) {
                break;
            }
        }
        int produced = out.position() - off;
        if (produced == 0) return -1;
        newlines += countNewlines(cbuf, off, out.position());
        return produced;
    }

    private void fill() throws IOException {
        bytes.compact();
        try {
            int n = in.read(bytes.array(), bytes.position(), bytes.remaining());
            if (n < 0) eof = true;
            else bytes.position(bytes.position() + n);
        } catch (IOException e) {
            throw new DamagedInputException(newlines + 1, e);
        } finally {
            bytes.flip();
        }
    }

    private static long countNewlines(char[] c, int from, int to) {
        long n = 0;
        for (int i = from; i < to; i++) if (c[i] == '\n') n++;
        return n;
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
