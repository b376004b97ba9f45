package dev.anvil.data.dedup;

import java.util.HashSet;
import java.util.Set;

/**
 * Exact deduplication on a 128-bit SHA-256 key of the canonical text (case, Unicode compatibility
 * forms and whitespace ignored). The first document with a key is kept; later ones are duplicates.
 */
public final class ExactDeduplicator {
    private final Set<TextHashes.ContentKey> seen = new HashSet<>();

    /** True when this text (canonically) was seen before; otherwise remembers it and returns false. */
    public boolean isDuplicate(String text) {
        return !seen.add(TextHashes.contentKey(text));
    }

    public boolean isDuplicate(TextHashes.ContentKey key) {
        return !seen.add(key);
    }
}
