package dev.anvil.tokenizer.bpe;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * The mergeable tokens of a byte-level BPE vocabulary: byte sequence ↔ id (tiktoken calls the id the
 * token's rank: a lower id was merged earlier and wins when two merges compete). Every single byte must be
 * a token, so any input can be encoded. Ids need not be contiguous: gaps may be reserved for special tokens.
 */
public final class TokenTable {
    private final ByteSequenceIndex index;
    private final int[] idOfEntry;
    private final byte[][] bytesOfId;
    private final int[] byteId = new int[256];
    private final int size;

    private TokenTable(ByteSequenceIndex index, int[] idOfEntry, byte[][] bytesOfId) {
        this.index = index;
        this.idOfEntry = idOfEntry;
        this.bytesOfId = bytesOfId;
        this.size = index.size();
        byte[] one = new byte[1];
        for (int b = 0; b < 256; b++) {
            one[0] = (byte) b;
            int e = index.find(one, 0, 1);
            if (e < 0) throw new IllegalArgumentException("a byte-level vocabulary needs every single byte as a token; byte 0x"
                    + HexFormat.of().toHexDigits((byte) b) + " is missing");
            byteId[b] = idOfEntry[e];
        }
    }

    /** Builds a table from tokens[i] with id ids[i]; duplicates of a byte sequence or of an id are errors. */
    public static TokenTable of(byte[][] tokens, int[] ids) {
        if (tokens.length != ids.length) throw new IllegalArgumentException("tokens and ids differ in length");
        ByteSequenceIndex index = new ByteSequenceIndex();
        int maxId = -1;
        for (int id : ids) {
            if (id < 0) throw new IllegalArgumentException("negative token id " + id);
            maxId = Math.max(maxId, id);
        }
        int[] idOfEntry = new int[tokens.length];
        byte[][] bytesOfId = new byte[maxId + 1][];
        for (int i = 0; i < tokens.length; i++) {
            if (tokens[i].length == 0) throw new IllegalArgumentException("empty token at id " + ids[i]);
            int before = index.size();
            int e = index.add(tokens[i]);
            if (index.size() == before)
                throw new IllegalArgumentException("token " + describe(tokens[i]) + " appears twice (ids " + idOfEntry[e] + " and " + ids[i] + ")");
            if (bytesOfId[ids[i]] != null) throw new IllegalArgumentException("token id " + ids[i] + " is used twice");
            idOfEntry[e] = ids[i];
            bytesOfId[ids[i]] = tokens[i];
        }
        return new TokenTable(index, idOfEntry, bytesOfId);
    }

    /** The id of {@code s[off, off+len)}, or -1 when it is not a token. */
    public int id(byte[] s, int off, int len) {
        if (len == 1) return byteId[s[off] & 0xFF];
        int e = index.find(s, off, len);
        return e < 0 ? -1 : idOfEntry[e];
    }

    public int id(byte[] token) {
        return id(token, 0, token.length);
    }

    public int byteId(int b) {
        return byteId[b];
    }

    /** The bytes of token {@code id} (not a copy: do not modify), or null when no token has this id. */
    public byte[] bytes(int id) {
        return id >= 0 && id < bytesOfId.length ? bytesOfId[id] : null;
    }

    /** The number of tokens. */
    public int size() {
        return size;
    }

    /** One more than the largest id. */
    public int idLimit() {
        return bytesOfId.length;
    }

    /** All tokens as (bytes, id) in id order, for writers. */
    public int[] idsInOrder() {
        return java.util.stream.IntStream.range(0, bytesOfId.length).filter(i -> bytesOfId[i] != null).toArray();
    }

    static String describe(byte[] token) {
        return "'" + new String(token, java.nio.charset.StandardCharsets.UTF_8).replace("\n", "\\n") + "' (" + HexFormat.of().formatHex(token) + ")";
    }

    @Override
    public String toString() {
        return "TokenTable[" + size + " tokens, ids < " + bytesOfId.length + "]";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TokenTable t && Arrays.deepEquals(bytesOfId, t.bytesOfId);
    }

    @Override
    public int hashCode() {
        return Arrays.deepHashCode(bytesOfId);
    }
}
