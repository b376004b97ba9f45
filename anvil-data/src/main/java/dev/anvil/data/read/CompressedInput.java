package dev.anvil.data.read;

import com.github.luben.zstd.ZstdInputStream;
import org.apache.commons.compress.compressors.bzip2.BZip2CompressorInputStream;
import org.apache.commons.compress.compressors.xz.XZCompressorInputStream;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.zip.GZIPInputStream;

/**
 * Opens a file for reading, transparently decompressing gzip, zstd, bzip2 and xz. The compression
 * is recognised by its magic bytes (gzip 1f 8b, zstd 28 b5 2f fd, bzip2 "BZh", xz fd "7zXZ" 00), so a misnamed file still reads;
 * the extension only tells {@link #stripCompressionSuffix} what the inner name is.
 */
public final class CompressedInput {
    private CompressedInput() {}

    public static InputStream open(Path path) throws IOException {
        return open(Files.newInputStream(path));
    }

    /** Wraps an already open raw stream (which the returned stream closes). */
    public static InputStream open(InputStream rawStream) throws IOException {
        InputStream raw = new BufferedInputStream(rawStream, 1 << 16);
        raw.mark(6);
        byte[] magic = raw.readNBytes(4);
        raw.reset();
        if (magic.length >= 2 && (magic[0] & 0xff) == 0x1f && (magic[1] & 0xff) == 0x8b) {
            return new BufferedInputStream(new GZIPInputStream(raw, 1 << 16), 1 << 16);
        }
        if (magic.length == 4 && (magic[0] & 0xff) == 0x28 && (magic[1] & 0xff) == 0xb5
                && (magic[2] & 0xff) == 0x2f && (magic[3] & 0xff) == 0xfd) {
            return new BufferedInputStream(new ZstdInputStream(raw), 1 << 16);
        }
        if (magic.length >= 3 && magic[0] == 'B' && magic[1] == 'Z' && magic[2] == 'h') {
            return new BufferedInputStream(new BZip2CompressorInputStream(raw, true), 1 << 16);
        }
        raw.mark(6);
        byte[] xzMagic = raw.readNBytes(6);
        raw.reset();
        if (xzMagic.length == 6 && (xzMagic[0] & 0xff) == 0xfd && xzMagic[1] == '7' && xzMagic[2] == 'z' && xzMagic[3] == 'X'
                && xzMagic[4] == 'Z' && xzMagic[5] == 0) {
            return new BufferedInputStream(new XZCompressorInputStream(raw, true), 1 << 16);
        }
        return raw;
    }

    /** True when the file opens with the magic bytes of one of the compressions {@link #open} undoes. */
    public static boolean isCompressed(Path path) throws IOException {
        try (InputStream raw = Files.newInputStream(path)) {
            byte[] m = raw.readNBytes(6);
            int b0 = m.length > 0 ? m[0] & 0xff : -1;
            int b1 = m.length > 1 ? m[1] & 0xff : -1;
            return (b0 == 0x1f && b1 == 0x8b)
                    || (m.length >= 4 && b0 == 0x28 && b1 == 0xb5 && (m[2] & 0xff) == 0x2f && (m[3] & 0xff) == 0xfd)
                    || (m.length >= 3 && m[0] == 'B' && m[1] == 'Z' && m[2] == 'h')
                    || (m.length == 6 && b0 == 0xfd && m[1] == '7' && m[2] == 'z' && m[3] == 'X' && m[4] == 'Z' && m[5] == 0);
        }
    }

    /** {@code a.jsonl.gz} → {@code a.jsonl}; names without a compression suffix are returned as they are. */
    public static String stripCompressionSuffix(String fileName) {
        String lower = fileName.toLowerCase(Locale.ROOT);
        for (String suffix : new String[] {".gz", ".gzip", ".zst", ".zstd", ".bz2", ".xz"}) {
            if (lower.endsWith(suffix)) return fileName.substring(0, fileName.length() - suffix.length());
        }
        return fileName;
    }
}
