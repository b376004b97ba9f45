package dev.anvil.data.read;

import com.github.luben.zstd.ZstdOutputStream;
import dev.anvil.data.Document;
import dev.anvil.data.stats.BadInput;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
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

class ReadersTest {
    @TempDir
    Path dir;

    private static List<Document> read(DocumentReader r, String content) throws IOException {
        List<Document> docs = new ArrayList<>();
        List<BadInput> bad = new ArrayList<>();
        r.read(new ByteArrayInputStream(content.getBytes(StandardCharsets.UTF_8)), "f", docs::add, bad::add);
        assertThat(bad).isEmpty();
        return docs;
    }

    @Test
    void formatDetectionByNameAndContent() throws IOException {
        assertThat(FormatDetector.detect("a.jsonl", "")).isEqualTo(InputFormat.JSONL);
        assertThat(FormatDetector.detect("a.json", "{\"text\": \"x\"}\n{\"text\": \"y\"}\n")).isEqualTo(InputFormat.JSONL);
        assertThat(FormatDetector.detect("a.html", "")).isEqualTo(InputFormat.HTML);
        assertThat(FormatDetector.detect("page", "<!DOCTYPE html>\n<html><body>x</body></html>")).isEqualTo(InputFormat.HTML);
        assertThat(FormatDetector.detect("a.txt", "From: a@b.org\nTo: c@d.org\nSubject: hi\n\nbody\n")).isEqualTo(InputFormat.EMAIL);
        assertThat(FormatDetector.detect("a.txt", "Note: this is prose.\nIt has a colon in the first line.\n\nMore.\n")).isEqualTo(InputFormat.TEXT);
        assertThat(FormatDetector.detect("data", "{\"text\": \"x\"}\n")).isEqualTo(InputFormat.JSONL);
        // Compressed files are detected by their inner name and content.
        Path gz = dir.resolve("mail.txt.gz");
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(gz))) {
            out.write("Received: from x\nFrom: a@b.org\nSubject: s\n\nhello\n".getBytes(StandardCharsets.UTF_8));
        }
        assertThat(FormatDetector.detect(gz)).isEqualTo(InputFormat.EMAIL);
        Path zst = dir.resolve("rows.json.zst");
        try (OutputStream out = new ZstdOutputStream(Files.newOutputStream(zst))) {
            out.write("{\"text\": \"x\"}\n".getBytes(StandardCharsets.UTF_8));
        }
        assertThat(FormatDetector.detect(zst)).isEqualTo(InputFormat.JSONL);
        byte[] content = "{\"text\": \"x\"}\n".getBytes(StandardCharsets.UTF_8);
        Path bz2 = dir.resolve("rows.jsonl.bz2");
        try (OutputStream out = new org.apache.commons.compress.compressors.bzip2.BZip2CompressorOutputStream(Files.newOutputStream(bz2))) {
            out.write(content);
        }
        Path xz = dir.resolve("rows.jsonl.xz");
        try (OutputStream out = new org.apache.commons.compress.compressors.xz.XZCompressorOutputStream(Files.newOutputStream(xz))) {
            out.write(content);
        }
        for (Path p : List.of(bz2, xz)) {
            try (InputStream in = CompressedInput.open(p)) {
                assertThat(in.readAllBytes()).as(p.toString()).isEqualTo(content);
            }
        }
        try (InputStream in = CompressedInput.open(zst)) {
            assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("{\"text\": \"x\"}\n");
        }
    }

    @Test
    void plainTextModes() throws IOException {
        String text = "First paragraph\nstill first.\n\n\nSecond one.\r\n\r\nThird.\n";
        assertThat(read(new PlainTextReader(InputFormat.TEXT), text)).extracting(Document::text)
                .containsExactly("First paragraph\nstill first.\n\n\nSecond one.\n\nThird.");
        assertThat(read(new PlainTextReader(InputFormat.PARAGRAPHS), text)).extracting(Document::text)
                .containsExactly("First paragraph\nstill first.", "Second one.", "Third.");
        assertThat(read(new PlainTextReader(InputFormat.LINES), text)).extracting(Document::id)
                .containsExactly("f#1", "f#2", "f#5", "f#7");
        assertThat(read(new PlainTextReader(InputFormat.PARAGRAPHS), text)).extracting(Document::id).containsExactly("f#1", "f#5", "f#7");
        assertThat(read(new PlainTextReader(InputFormat.TEXT), text)).extracting(Document::id).containsExactly("f#0");
    }

    @Test
    void jsonlFieldsAndMetadata() throws IOException {
        List<Document> docs = read(new JsonlReader("content", "uid"),
                "{\"uid\": 7, \"content\": \"hello\", \"url\": \"https://x.org\", \"score\": 0.5, \"nested\": {\"a\": 1}}\n\n{\"content\": \"bye\"}\n");
        assertThat(docs).hasSize(2);
        assertThat(docs.get(0).id()).isEqualTo("7");
        assertThat(docs.get(0).metadata()).containsEntry("url", "https://x.org").containsEntry("score", 0.5).doesNotContainKey("nested");
        assertThat(docs.get(1).id()).isEqualTo("f#3");
    }

    @Test
    void htmlMainText() throws IOException {
        String page = """
                <html><head><title>T</title><script>var x = 1;</script></head>
                <body><nav>Home | About | Contact</nav>
                <article><h1>Heading</h1><p>First <b>bold</b> paragraph.</p><p>Second paragraph &amp; more.</p></article>
                <footer>Copyright 2024</footer></body></html>""";
        List<Document> docs = read(new HtmlReader(), page);
        assertThat(docs.get(0).text()).isEqualTo("Heading\nFirst bold paragraph.\nSecond paragraph & more.");
        assertThat(docs.get(0).metadata()).containsEntry("title", "T");
    }
}
