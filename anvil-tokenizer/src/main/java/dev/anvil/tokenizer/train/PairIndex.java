package dev.anvil.tokenizer.train;

import java.util.Arrays;

/** Open-addressing map from a token pair (packed as {@code left << 32 | right}) to a dense pair number. */
final class PairIndex {
    private long[] keys = new long[1 << 16];
    private int[] values = new int[1 << 16];
    private int mask = (1 << 16) - 1;
    private int size;
    private static final long EMPTY = -1L;

    PairIndex() {
        Arrays.fill(keys, EMPTY);
    }

    static long key(int left, int right) {
        return ((long) left << 32) | (right & 0xFFFFFFFFL);
    }

    /** The pair number of {@code key}, or {@code fresh} (which is then recorded) when absent. */
    int getOrAdd(long key, int fresh) {
        int p = slot(key);
        while (true) {
            long k = keys[p];
            if (k == key) return values[p];
            if (k == EMPTY) {
                keys[p] = key;
                values[p] = fresh;
                if (++size * 2 > mask) grow();
                return fresh;
            }
            p = (p + 1) & mask;
        }
    }

    int get(long key) {
        for (int p = slot(key); ; p = (p + 1) & mask) {
            long k = keys[p];
            if (k == key) return values[p];
            if (k == EMPTY) return -1;
        }
    }

    int size() {
        return size;
    }

    private int slot(long key) {
        long z = key * 0x9E3779B97F4A7C15L;
        return (int) (z ^ (z >>> 32)) & mask;
    }

    private void grow() {
        long[] oldKeys = keys;
        int[] oldValues = values;
        int cap = keys.length * 2;
        keys = new long[cap];
        values = new int[cap];
        Arrays.fill(keys, EMPTY);
        mask = cap - 1;
        for (int i = 0; i < oldKeys.length; i++) {
            if (oldKeys[i] == EMPTY) continue;
            int p = slot(oldKeys[i]);
            while (keys[p] != EMPTY) p = (p + 1) & mask;
            keys[p] = oldKeys[i];
            values[p] = oldValues[i];
        }
    }
}
