package dev.anvil.data.dedup;

/**
 * A set of 64-bit hashes with open addressing (linear probing) in one {@code long[]}: 8–16 bytes per
 * element where a {@code HashSet<Long>} takes about 60. The value 0 is kept in a flag of its own
 * since 0 marks an empty slot.
 */
public final class LongHashSet {
    private long[] slots = new long[1 << 10];
    private int size;
    private boolean hasZero;

    /** Adds {@code v}; true if it was not there before. */
    public boolean add(long v) {
        if (v == 0) {
            boolean added = !hasZero;
            hasZero = true;
            return added;
        }
        if ((size + 1) * 2L > slots.length) grow();
        int mask = slots.length - 1;
        for (int i = (int) TextHashes.mix(v) & mask; ; i = (i + 1) & mask) {
            if (slots[i] == v) return false;
            if (slots[i] == 0) {
                slots[i] = v;
                size++;
                return true;
            }
        }
    }

    public int size() {
        return size + (hasZero ? 1 : 0);
    }

    private void grow() {
        long[] old = slots;
        slots = new long[old.length * 2];
        int mask = slots.length - 1;
        for (long v : old) {
            if (v == 0) continue;
            int i = (int) TextHashes.mix(v) & mask;
            while (slots[i] != 0) i = (i + 1) & mask;
            slots[i] = v;
        }
    }
}
