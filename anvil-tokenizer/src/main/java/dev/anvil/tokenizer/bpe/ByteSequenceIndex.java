package dev.anvil.tokenizer.bpe;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A hash index of byte sequences: each distinct sequence gets a dense entry number 0, 1, 2, ... in
 * insertion order; callers keep their values (token ids, counts) in arrays indexed by entry.
 *
 * <p>Keys live in one byte pool, so the index holds millions of sequences without an object per key.
 * Sequences of up to 8 bytes (most tokens and pre-token pieces) are also kept as one little-endian long,
 * so a lookup compares one word instead of a byte range. Open addressing with linear probing, load ≤ 1/2.
 * Not thread-safe for writers; concurrent readers are fine once building is done.
 */
public final class ByteSequenceIndex {
    private static final VarHandle LONG_LE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long GOLDEN = 0x9E3779B97F4A7C15L;

    private byte[] pool = new byte[1 << 12];
    private int poolSize;
    private int[] offset = new int[64];
    private int[] length = new int[64];
    private long[] shortKey = new long[64];
    private int[] hash = new int[64];
    private int size;
    private int[] slots = new int[128]; // entry + 1; 0 = empty
    private int mask = 127;

    /** The number of distinct sequences. */
    public int size() {
        return size;
    }

    /** The entry of {@code s[off, off+len)}, or -1. */
    public int find(byte[] s, int off, int len) {
        long key = len <= 8 ? packShort(s, off, len) : 0;
        int h = len <= 8 ? shortHash(key, len) : longHash(s, off, len);
        int[] slots = this.slots;
        int mask = this.mask;
        for (int p = h & mask; ; p = (p + 1) & mask) {
            int e = slots[p] - 1;
            if (e < 0) return -1;
            if (hash[e] == h && length[e] == len && (len <= 8 ? shortKey[e] == key : equalsPool(e, s, off, len))) return e;
        }
    }

    /** The entry of {@code s[off, off+len)}, adding it when new (compare {@link #size()} before and after). */
    public int add(byte[] s, int off, int len) {
        long key = len <= 8 ? packShort(s, off, len) : 0;
        int h = len <= 8 ? shortHash(key, len) : longHash(s, off, len);
        for (int p = h & mask; ; p = (p + 1) & mask) {
            int e = slots[p] - 1;
            if (e < 0) {
                e = append(s, off, len, key, h);
                slots[p] = e + 1;
                if (2 * size > mask) rehash();
                return e;
            }
            if (hash[e] == h && length[e] == len && (len <= 8 ? shortKey[e] == key : equalsPool(e, s, off, len))) return e;
        }
    }

    public int add(byte[] s) {
        return add(s, 0, s.length);
    }

    public int find(byte[] s) {
        return find(s, 0, s.length);
    }

    /** A copy of the bytes of entry {@code e}. */
    public byte[] key(int e) {
        return Arrays.copyOfRange(pool, offset[e], offset[e] + length[e]);
    }

    public int keyLength(int e) {
        return length[e];
    }

    /** Copies the bytes of entry {@code e} into {@code dst} at {@code at}; returns the length. */
    public int copyKey(int e, byte[] dst, int at) {
        System.arraycopy(pool, offset[e], dst, at, length[e]);
        return length[e];
    }

    /** Bytes held by the index (pool and tables), for memory accounting. */
    public long memoryBytes() {
        return pool.length + 20L * offset.length + 4L * slots.length;
    }

    private int append(byte[] s, int off, int len, long key, int h) {
        if (size == offset.length) {
            int cap = size * 2;
            offset = Arrays.copyOf(offset, cap);
            length = Arrays.copyOf(length, cap);
            shortKey = Arrays.copyOf(shortKey, cap);
            hash = Arrays.copyOf(hash, cap);
        }
        if (poolSize + len > pool.length) {
            long cap = Math.max((long) pool.length * 2, (long) poolSize + len);
            if (cap > Integer.MAX_VALUE - 16) throw new IllegalStateException("byte sequence index exceeds 2 GB of keys");
            pool = Arrays.copyOf(pool, (int) cap);
        }
        System.arraycopy(s, off, pool, poolSize, len);
        int e = size++;
        offset[e] = poolSize;
        length[e] = len;
        shortKey[e] = key;
        hash[e] = h;
        poolSize += len;
        return e;
    }

    private void rehash() {
        int cap = slots.length * 2;
        int[] fresh = new int[cap];
        int m = cap - 1;
        for (int e = 0; e < size; e++) {
            int p = hash[e] & m;
            while (fresh[p] != 0) p = (p + 1) & m;
            fresh[p] = e + 1;
        }
        slots = fresh;
        mask = m;
    }

    private boolean equalsPool(int e, byte[] s, int off, int len) {
        int o = offset[e];
        return Arrays.equals(pool, o, o + len, s, off, off + len);
    }

    /** The up-to-8 bytes as a little-endian long (unused high bytes zero). */
    static long packShort(byte[] s, int off, int len) {
        if (off + 8 <= s.length) {
            long v = (long) LONG_LE.get(s, off);
            return len == 8 ? v : v & ((1L << (len << 3)) - 1);
        }
        long v = 0;
        for (int i = len - 1; i >= 0; i--) v = (v << 8) | (s[off + i] & 0xFF);
        return v;
    }

    private static int shortHash(long key, int len) {
        long z = (key + len) * GOLDEN;
        return (int) (z ^ (z >>> 29) ^ (z >>> 43));
    }

    private static int longHash(byte[] s, int off, int len) {
        long z = len;
        int i = 0;
        for (; i + 8 <= len; i += 8) z = (z ^ (long) LONG_LE.get(s, off + i)) * GOLDEN;
        for (; i < len; i++) z = (z ^ (s[off + i] & 0xFF)) * GOLDEN;
        z *= GOLDEN;
        return (int) (z ^ (z >>> 29) ^ (z >>> 43));
    }
}
