package dev.anvil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.anvil.data.Document;
import dev.anvil.data.write.ShardWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataCommandTest {
    private static final String PROSE = "The committee met on Tuesday to discuss the budget for the coming year. "
            + "Members agreed that the new library should be funded, and that the old bridge needs repairs before winter. "
            + "A report on the state of the roads will be presented at the next meeting, together with a plan for the park. "
            + "The chair thanked everyone for their work and closed the meeting at nine in the evening. "
            + "Questions from the public were answered in writing and will be published on the town website next week.";

    @Test
    void runsAPipelineFileAndRejectsABadOne(@TempDir Path dir) throws IOException {
        Path raw = Files.createDirectories(dir.resolve("raw"));
        Files.writeString(raw.resolve("a.jsonl"), "{\"id\": \"a\", \"body\": \"" + PROSE + "\"}\n{\"id\": \"b\", \"body\": \"" + PROSE + "\"}\n"
                + "{\"id\": \"c\", \"body\": \"Contact me at jane@example.org. " + PROSE.replace("Tuesday", "Friday") + "\"}\n");
        Path yaml = dir.resolve("pipeline.yaml");
        Files.writeString(yaml, """
                inputs: [raw]
                output: clean
                jsonl: {text_field: body}
                threads: 1
                steps:
                  - normalize
                  - gopher_quality: {min_doc_words: 20}
                  - pii
                  - exact_dedup
                """);
        TokenizerCommandTest.Run run = TokenizerCommandTest.run("data", "run", yaml.toString());
        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.out()).contains("exact_dedup").contains("exact_duplicate:1");
        List<Document> docs = ShardWriter.readShard(dir.resolve("clean/shard-00000.jsonl.zst"));
        assertThat(docs).extracting(Document::id).containsExactly("a", "c");
        assertThat(docs.get(1).text()).startsWith("Contact me at <EMAIL>.");
        assertThat(dir.resolve("clean/stats.json")).exists();

        Files.writeString(yaml, "inputs: [raw]\noutput: clean\nsteps:\n  - gopher_quality: {min_words: 3}\n");
        TokenizerCommandTest.Run bad = TokenizerCommandTest.run("data", "run", yaml.toString());
        assertThat(bad.exit()).isEqualTo(1);
        assertThat(bad.err()).contains("steps[0].gopher_quality.min_words").contains("unknown field");
    }

    @Test
    void cleanWithDefaultsAndFormatOverride(@TempDir Path dir) throws IOException {
        Path in = dir.resolve("notes.dat");
        Files.writeString(in, PROSE + "\n\n" + PROSE.replace("committee", "council") + "\n\nshort\n");
        TokenizerCommandTest.Run run = TokenizerCommandTest.run("data", "clean", "--input", in.toString(), "--output",
                dir.resolve("out").toString(), "--format", "paragraphs", "--shard-mb", "1");
        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.out()).contains("language").contains("gopher_quality").contains("minhash_dedup");
        assertThat(run.err()).contains("data documents");
        List<Document> docs = ShardWriter.readShard(dir.resolve("out/shard-00000.jsonl.zst"));
        // "short" fails the quality filters; the council copy is a near duplicate of the first paragraph.
        assertThat(docs).hasSize(1);
        assertThat(docs.get(0).metadata()).containsEntry("language", "en");

        TokenizerCommandTest.Run badFormat = TokenizerCommandTest.run("data", "clean", "--input", in.toString(), "--output",
                dir.resolve("out2").toString(), "--format", "pdf");
        assertThat(badFormat.exit()).isEqualTo(1);
        assertThat(badFormat.err()).contains("unknown input format 'pdf'");
    }
}
