package dev.anvil.tokenizer.bpe;

import java.util.Arrays;

/** A growable int array that encoders append token ids to. */
public final class TokenBuffer {
    private int[] ids;
    private int size;

    public TokenBuffer() {
        this(64);
    }

    public TokenBuffer(int capacity) {
        ids = new int[Math.max(8, capacity)];
    }

    public void add(int id) {
        if (size == ids.length) ids = Arrays.copyOf(ids, ids.length * 2);
        ids[size++] = id;
    }

    public void addAll(int[] src, int from, int to) {
        int n = to - from;
        if (size + n > ids.length) ids = Arrays.copyOf(ids, Math.max(ids.length * 2, size + n));
        System.arraycopy(src, from, ids, size, n);
        size += n;
    }

    public int size() {
        return size;
    }

    public int get(int i) {
        return ids[i];
    }

    public void clear() {
        size = 0;
    }

    public int[] toArray() {
        return Arrays.copyOf(ids, size);
    }
}
