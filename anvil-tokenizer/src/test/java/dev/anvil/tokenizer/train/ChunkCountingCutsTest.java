package dev.anvil.tokenizer.train;

import static org.assertj.core.api.Assertions.assertThat;

import dev.anvil.tokenizer.PreTokenizerStressText;
import dev.anvil.tokenizer.pretokenize.PreTokenizer;
import dev.anvil.tokenizer.pretokenize.SplitPattern;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/**
 * The corpus counter's blocks are cut where pre-tokenizing the parts gives the pieces of the whole: counting plain
 * text in tiny blocks on two threads gives the counts of pre-tokenizing it as one document on one thread.
 */
class ChunkCountingCutsTest {
    static final SplitPattern[] PATTERNS = {SplitPattern.GPT2, SplitPattern.CL100K, SplitPattern.O200K};

    @Provide
    Arbitrary<String> text() {
        return PreTokenizerStressText.arbitrary();
    }

    @Property(tries = 200)
    void blocksCountLikeTheWholeText(@ForAll("text") String text, @ForAll @IntRange(min = 16, max = 64) int blockBytes) throws IOException {
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        for (SplitPattern p : PATTERNS)
            assertThat(countInBlocks(p.preTokenizer(), utf8, blockBytes)).as("%s, blocks of %d", p, blockBytes).isEqualTo(countWhole(p.preTokenizer(), utf8));
    }

    /** The old cut (after a newline, before an ASCII letter) ended a block on "\n\n", which GPT-2 then counted as one piece. */
    @Example
    void blankLineBeforeAWordAtABlockEnd() throws IOException {
        byte[] utf8 = "Some words here.\n\nThe next paragraph starts here and goes on for a while".getBytes(StandardCharsets.UTF_8);
        for (SplitPattern p : PATTERNS) {
            Map<String, Long> whole = countWhole(p.preTokenizer(), utf8);
            for (int blockBytes = 16; blockBytes <= utf8.length; blockBytes++)
                assertThat(countInBlocks(p.preTokenizer(), utf8, blockBytes)).as("%s, blocks of %d", p, blockBytes).isEqualTo(whole);
        }
        assertThat(countWhole(SplitPattern.GPT2.preTokenizer(), utf8)).containsEntry("\n", 2L).doesNotContainKey("\n\n");
    }

    static Map<String, Long> countInBlocks(PreTokenizer pre, byte[] utf8, int blockBytes) throws IOException {
        try (CorpusChunkCounter counter = new CorpusChunkCounter(pre, 2, 0, blockBytes)) {
            counter.addPlainText(new ByteArrayInputStream(utf8));
            return asMap(counter.finish());
        }
    }

    static Map<String, Long> countWhole(PreTokenizer pre, byte[] utf8) {
        try (CorpusChunkCounter counter = new CorpusChunkCounter(pre, 1, 0)) {
            counter.addDocument(utf8);
            return asMap(counter.finish());
        }
    }

    static Map<String, Long> asMap(ChunkCounts counts) {
        Map<String, Long> m = new HashMap<>();
        for (int i = 0; i < counts.size(); i++) m.put(new String(counts.chunk(i), StandardCharsets.UTF_8), counts.count(i));
        return m;
    }
}
