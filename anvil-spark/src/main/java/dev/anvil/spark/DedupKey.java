package dev.anvil.spark;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What deduplication needs of one surviving document, read from the local executor's
 * {@code task-N.keys}: its place in the corpus, its 128-bit content key, its UTF-8 size and its
 * MinHash signature (empty without MinHash). Texts never enter the dedup stages.
 *
 * @param order the document's global position: {@code task << 32 | position in task}, so sorting by
 *              it is the local executor's corpus order (tasks in order, documents in file order)
 */
public record DedupKey(long order, long keyHigh, long keyLow, long bytes, int[] signature) implements Serializable {
    public static long order(int task, int position) {
        return (long) task << 32 | (position & 0xffffffffL);
    }

    public static int task(long order) {
        return (int) (order >>> 32);
    }

    public static int position(long order) {
        return (int) order;
    }

    /** Bytes per record in a keys file: content key (16), size (8), then {@code signatureLength} ints. */
    public static long recordBytes(int signatureLength) {
        return 24 + 4L * signatureLength;
    }

    /** Reads every record of task {@code task}'s keys file, in document order. */
    public static List<DedupKey> readAll(Path keysFile, int task, int signatureLength) throws IOException {
        long records = Files.size(keysFile) / recordBytes(signatureLength);
        List<DedupKey> keys = new ArrayList<>((int) records);
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(keysFile), 1 << 16))) {
            for (int p = 0; p < records; p++) {
                long high = in.readLong();
                long low = in.readLong();
                long bytes = in.readLong();
                int[] sig = new int[signatureLength];
                for (int i = 0; i < signatureLength; i++) sig[i] = in.readInt();
                keys.add(new DedupKey(order(task, p), high, low, bytes, sig));
            }
        }
        return keys;
    }
}
