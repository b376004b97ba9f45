package dev.anvil.tokenizer.format;

import dev.anvil.tokenizer.bpe.TokenTable;
import java.util.ArrayList;
import java.util.List;

/**
 * Recovers the merge list of a rank-based vocabulary (tiktoken files carry only ranks): token t of two or
 * more bytes is what byte-pair merging its own bytes produces when only tokens ranked below t may be used;
 * the last step joins two parts, and those two parts are t's merge. This is how Hugging Face's converters
 * turn tiktoken vocabularies into {@code merges}.
 */
public final class MergeDerivation {
    private MergeDerivation() {}

    /** For each multi-byte token in id order, {left id, right id, token id}. */
    public static List<int[]> merges(TokenTable table) {
        List<int[]> merges = new ArrayList<>();
        int[] start = new int[256];
        for (int id : table.idsInOrder()) {
            byte[] b = table.bytes(id);
            if (b.length < 2) continue;
            if (start.length < b.length + 1) start = new int[2 * b.length + 1];
            int parts = b.length + 1;
            for (int i = 0; i <= b.length; i++) start[i] = i;
            while (parts > 3) {
                int best = Integer.MAX_VALUE, at = -1;
                for (int i = 0; i + 2 < parts; i++) {
                    int r = table.id(b, start[i], start[i + 2] - start[i]);
                    if (r >= 0 && r < id && r < best) { best = r; at = i; }
                }
                if (at < 0) break;
                System.arraycopy(start, at + 2, start, at + 1, parts - at - 2);
                parts--;
            }
            if (parts != 3) throw new IllegalArgumentException("token " + id + " cannot be built from two lower-ranked tokens; the vocabulary is not a BPE vocabulary");
            int left = table.id(b, 0, start[1]), right = table.id(b, start[1], b.length - start[1]);
            merges.add(new int[] {left, right, id});
        }
        return merges;
    }
}
