package dev.anvil.train.data;

/**
 * llm.c's token shard layout ({@code dev/data/data_common.py}): a header of 256 little-endian
 * int32 — [0] magic, [1] version, [2] token count, the rest zero — followed by the tokens.
 * <ul>
 *   <li>magic 20240520, version 1: uint16 tokens (llm.c's GPT-2 shards; vocabularies up to 65536);</li>
 *   <li>magic 20240801, version 7: uint32 tokens (llm.c's Llama 3 shards; larger vocabularies).</li>
 * </ul>
 * Both are read; the writer picks the uint16 form whenever the vocabulary fits, so shards of a
 * GPT-2-sized vocabulary are byte-for-byte what llm.c's scripts write.
 */
public final class TokenShardFormat {

    public static final int HEADER_INTS = 256;
    public static final int HEADER_BYTES = HEADER_INTS * 4;
    public static final int MAGIC_UINT16 = 20240520;
    public static final int VERSION_UINT16 = 1;
    public static final int MAGIC_UINT32 = 20240801;
    public static final int VERSION_UINT32 = 7;

    private TokenShardFormat() {}

    /** Bytes per token for a vocabulary of {@code vocabSize} ids. */
    public static int tokenWidth(int vocabSize) {
        return vocabSize <= 65536 ? 2 : 4;
    }
}
