package dev.anvil.data.read;

import dev.anvil.data.Document;
import dev.anvil.data.stats.BadInput;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.LocalOutputFile;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPOutputStream;

import static org.assertj.core.api.Assertions.assertThat;

/** CSV (commons-csv) and Parquet (Hardwood) readers on real files written to disk. */
class TabularReadersTest {
    @TempDir
    Path dir;

    private record Read(List<Document> docs, List<String> bad) {}

    private static Read read(DocumentReader reader, Path file, String source) throws IOException {
        List<Document> docs = new ArrayList<>();
        List<BadInput> bad = new ArrayList<>();
        if (reader instanceof ParquetReader p) {
            p.read(file, source, docs::add, bad::add);
        } else {
            try (InputStream in = CompressedInput.open(file)) {
                reader.read(in, source, docs::add, bad::add);
            }
        }
        return new Read(docs, bad.stream().map(BadInput::toString).toList());
    }

    private static final String CSV = """
            id,title,text,year
            a1,Plain,"The first row, with a comma inside quotes.",1999
            a2,Multi,"A field that spans
            two lines and has ""quotes"" in it.",2001
            a3,Empty,,2002

            a4,Short
            a5,Last,Final row without a trailing newline.,2003""";

    @Test
    void csvWithHeaderQuotedMultilineFieldsAndBadRows() throws IOException {
        Path f = dir.resolve("rows.csv");
        Files.writeString(f, CSV);
        assertThat(FormatDetector.detect(f)).isEqualTo(InputFormat.CSV);
        Read r = read(ReaderOptions.DEFAULT.readerFor(InputFormat.CSV), f, "rows.csv");
        assertThat(r.docs()).extracting(Document::id).containsExactly("a1", "a2", "a5");
        assertThat(r.docs()).extracting(Document::text).containsExactly("The first row, with a comma inside quotes.",
                "A field that spans\ntwo lines and has \"quotes\" in it.", "Final row without a trailing newline.");
        assertThat(r.docs().get(1).metadata()).containsEntry("title", "Multi").containsEntry("year", "2001").containsEntry("source", "rows.csv")
                .doesNotContainKeys("id", "text");
        assertThat(r.bad()).containsExactly("rows.csv:5: row has no text in [text]", "rows.csv:7: row has 2 fields, text column 'text' missing");
    }

    @Test
    void csvColumnChoicesTsvNoHeaderAndCompression() throws IOException {
        // Two text columns joined, chosen metadata, a gzip-compressed TSV without a header addressed by index.
        Path f = dir.resolve("rows.csv");
        Files.writeString(f, CSV);
        ReaderOptions opts = new ReaderOptions(null, "text", "id", new ReaderOptions.TableColumns(List.of("title", "text"), null, List.of("year"), null, null));
        Read r = read(opts.readerFor(InputFormat.CSV), f, "rows.csv");
        assertThat(r.docs()).extracting(Document::text).startsWith("Plain\n\nThe first row, with a comma inside quotes.");
        assertThat(r.docs()).extracting(Document::id).containsExactly("a1", "a2", "a3", "a5");
        assertThat(r.docs().get(0).metadata()).containsOnlyKeys("source", "year");

        Path tsv = dir.resolve("plain.tsv.gz");
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(tsv))) {
            out.write("7\tFirst text, commas are fine here.\ten\n8\tSecond text.\tfr\n".getBytes(StandardCharsets.UTF_8));
        }
        assertThat(FormatDetector.detect(tsv)).isEqualTo(InputFormat.CSV);
        ReaderOptions byIndex = new ReaderOptions(null, "text", null, new ReaderOptions.TableColumns(List.of("1"), "0", List.of("2"), false, null));
        Read t = read(byIndex.readerFor(InputFormat.CSV), tsv, "plain.tsv.gz");
        assertThat(t.bad()).isEmpty();
        assertThat(t.docs()).extracting(Document::id).containsExactly("7", "8");
        assertThat(t.docs()).extracting(Document::text).containsExactly("First text, commas are fine here.", "Second text.");
        assertThat(t.docs().get(1).metadata()).containsEntry("2", "fr");
        // A header that does not name the text column: the file is reported, not guessed at.
        Read missing = read(new ReaderOptions(null, "body", null).readerFor(InputFormat.CSV), f, "rows.csv");
        assertThat(missing.docs()).isEmpty();
        assertThat(missing.bad()).singleElement().asString().startsWith("rows.csv:1: no header row naming text column 'body'");
    }

    @Test
    void csvUndecodableRowAndBrokenQuoteAreCountedWithTheirLines() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write("text,n\nGood row one.,1\n\"Bad ".getBytes(StandardCharsets.UTF_8));
        b.write(new byte[] {(byte) 0xC3, (byte) 0x28});
        b.write("\nbytes across two lines\",2\nGood row three.,3\n\"Unterminated quote,4\n".getBytes(StandardCharsets.UTF_8));
        Path f = dir.resolve("bad.csv");
        Files.write(f, b.toByteArray());
        Read r = read(ReaderOptions.DEFAULT.readerFor(InputFormat.CSV), f, "bad.csv");
        assertThat(r.docs()).extracting(Document::text).containsExactly("Good row one.", "Good row three.");
        assertThat(r.docs()).extracting(Document::id).containsExactly("bad.csv#2", "bad.csv#5");
        assertThat(r.bad()).hasSize(2);
        assertThat(r.bad().get(0)).isEqualTo("bad.csv:3: undecodable bytes (not UTF-8)");
        assertThat(r.bad().get(1)).startsWith("bad.csv:6: malformed CSV, rest of file skipped");
    }

    private static final MessageType SCHEMA = MessageTypeParser.parseMessageType("""
            message doc {
              required binary id (STRING);
              optional binary text (STRING);
              optional binary url (STRING);
              optional int64 year;
              optional double score;
            }""");

    /** Writes rows with parquet-java, the reference implementation, in the given codec. */
    private Path writeParquet(String name, CompressionCodecName codec, int rows) throws IOException {
        Path f = dir.resolve(name);
        SimpleGroupFactory groups = new SimpleGroupFactory(SCHEMA);
        try (ParquetWriter<Group> w = ExampleParquetWriter.builder(new LocalOutputFile(f)).withType(SCHEMA).withCompressionCodec(codec)
                .withRowGroupSize(64L << 10).build()) {
            for (int i = 0; i < rows; i++) {
                Group g = groups.newGroup().append("id", "doc-" + i);
                if (i % 10 != 3) g.append("text", "Row " + i + " of the table: some text with ünïcödé and a number " + (i * 7) + ".");
                if (i % 2 == 0) g.append("url", "https://example.org/" + i);
                g.append("year", 2000L + i % 25).append("score", i / 4.0);
                w.write(g);
            }
        }
        return f;
    }

    @Test
    void parquetRowsInEveryCommonCodec() throws IOException {
        for (CompressionCodecName codec : List.of(CompressionCodecName.UNCOMPRESSED, CompressionCodecName.SNAPPY,
                CompressionCodecName.GZIP, CompressionCodecName.ZSTD)) {
            Path f = writeParquet("t-" + codec.name().toLowerCase() + ".bin", codec, 5000);
            assertThat(FormatDetector.detect(f)).as("PAR1 magic").isEqualTo(InputFormat.PARQUET);
            Read r = read(ReaderOptions.DEFAULT.readerFor(FormatDetector.detect(f)), f, "t.parquet");
            assertThat(r.docs()).as(codec.name()).hasSize(4500);
            assertThat(r.bad()).hasSize(500).first().isEqualTo("t.parquet:4: row has no text in [text]");
            Document d = r.docs().get(2); // row index 2
            assertThat(d.id()).isEqualTo("doc-2");
            assertThat(d.text()).isEqualTo("Row 2 of the table: some text with ünïcödé and a number 14.");
            assertThat(d.metadata()).containsEntry("url", "https://example.org/2").containsEntry("year", 2002L).containsEntry("score", 0.5)
                    .containsEntry("source", "t.parquet");
            assertThat(r.docs().get(4).metadata()).doesNotContainKey("url"); // row index 5 (row 4 had no text)
        }
        // Through the stream path as well (a Parquet file inside a compressed wrapper is read into memory).
        Path f = writeParquet("s.parquet", CompressionCodecName.SNAPPY, 20);
        List<Document> docs = new ArrayList<>();
        try (InputStream in = Files.newInputStream(f)) {
            new ParquetReader(List.of("text"), null, List.of("year")).read(in, "s.parquet", docs::add, b -> {});
        }
        assertThat(docs).hasSize(18).first().extracting(Document::id).isEqualTo("s.parquet#1");
        assertThat(docs.get(0).metadata()).containsOnlyKeys("source", "year");
    }

    @Test
    void damagedParquetIsReportedNotThrown() throws IOException {
        Path f = writeParquet("cut.parquet", CompressionCodecName.SNAPPY, 100);
        byte[] all = Files.readAllBytes(f);
        Files.write(f, java.util.Arrays.copyOf(all, all.length / 2));
        Read r = read(new ParquetReader(List.of("text"), "id", null), f, "cut.parquet");
        assertThat(r.docs()).isEmpty();
        assertThat(r.bad()).singleElement().asString().startsWith("cut.parquet: not a readable Parquet file");
        Read noColumn = read(new ParquetReader(List.of("body"), "id", null), writeParquet("ok.parquet", CompressionCodecName.SNAPPY, 3), "ok.parquet");
        assertThat(noColumn.bad()).singleElement().asString().startsWith("ok.parquet: no text column 'body'");
    }
}
