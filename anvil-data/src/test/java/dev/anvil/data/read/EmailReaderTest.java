package dev.anvil.data.read;

import dev.anvil.data.Document;
import dev.anvil.data.SharedData;
import dev.anvil.data.stats.BadInput;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

class EmailReaderTest {
    private static final Pattern BOUNDARY_PARAM = Pattern.compile("(?i)boundary=\"?([^\";\\s]+)");
    private static final Pattern BASE64_PART = Pattern.compile("(?im)^Content-Transfer-Encoding:\\s*base64\\s*$");
    private static final Pattern TAG = Pattern.compile("(?i)<(html|body|p|br|div|td|table|font|a href)[ >]|</(p|div|td|html|font|a)>");

    @Test
    void spamAssassinEmailsComeOutAsReadableText() throws IOException {
        Path dir = SharedData.dir().resolve("spamassassin");
        List<Path> files;
        try (Stream<Path> s = Files.walk(dir)) {
            files = s.filter(p -> p.toString().endsWith(".txt")).sorted().toList();
        }
        assertThat(files).hasSizeGreaterThanOrEqualTo(600);
        int read = 0;
        int withHtmlSource = 0;
        int withBase64Source = 0;
        int noText = 0;
        List<String> failures = new ArrayList<>();
        for (Path f : files) {
            assertThat(FormatDetector.detect(f)).as("format of %s", f).isEqualTo(InputFormat.EMAIL);
            String raw = Files.readString(f, StandardCharsets.ISO_8859_1);
            if (raw.toLowerCase().contains("text/html")) withHtmlSource++;
            if (raw.toLowerCase().contains("content-transfer-encoding: base64")) withBase64Source++;
            List<Document> docs = new ArrayList<>();
            List<BadInput> bad = new ArrayList<>();
            try (InputStream in = CompressedInput.open(f)) {
                new EmailReader().read(in, f.getFileName().toString(), docs::add, bad::add);
            }
            if (docs.isEmpty()) {
                // Image-only spam has no text at all: it must be reported, not silently dropped.
                if (bad.size() == 1 && bad.get(0).reason().equals("email has no text part")) noText++;
                else failures.add(f.getFileName() + ": no document " + bad);
                continue;
            }
            read++;
            String text = docs.get(0).text();
            String name = f.getParent().getFileName() + "/" + f.getFileName();
            // Every top-level header line of the raw message must be gone.
            String headerBlock = raw.split("\r?\n\r?\n", 2)[0];
            for (String h : headerBlock.split("\r?\n")) {
                // From/To/Cc/Subject/Date/Sender legitimately reappear in quoted or forwarded replies; transport headers do not.
                if (h.matches("(?i)(?!(from|to|cc|subject|date|sender|reply-to):)[!-9;-~]+: .{15,}")
                        && Pattern.compile("(?m)^" + Pattern.quote(h.strip())).matcher(text).find()) failures.add(name + ": header left: " + h);
            }
            // No MIME boundary of the message may survive.
            var bm = BOUNDARY_PARAM.matcher(raw);
            while (bm.find()) if (text.contains("--" + bm.group(1))) failures.add(name + ": MIME boundary left: " + bm.group(1));
            // The first encoded line of every base64 part must have been decoded away.
            var b64 = BASE64_PART.matcher(raw);
            while (b64.find()) {
                String after = raw.substring(b64.end());
                int blank = after.indexOf("\n\n");
                if (blank < 0) continue;
                String firstLine = after.substring(blank + 2).split("\r?\n", 2)[0].strip();
                if (firstLine.length() >= 40 && text.contains(firstLine)) failures.add(name + ": base64 left: " + firstLine);
            }
            var tag = TAG.matcher(text);
            if (tag.find()) failures.add(name + ": HTML markup left: " + tag.group());
            if (text.isBlank()) failures.add(name + ": empty text");
        }
        System.out.printf("spamassassin: %d files, %d read as text, %d without any text (reported), %d had HTML parts, %d had base64 parts, %d problems%n",
                files.size(), read, noText, withHtmlSource, withBase64Source, failures.size());
        assertThat(failures).isEmpty();
        assertThat(noText).isLessThan(10);
        assertThat(withHtmlSource).isGreaterThan(50);
        assertThat(withBase64Source).isGreaterThan(5);
    }

    @Test
    void prefersPlainTextAndDecodesQuotedPrintableAndCharsets() throws IOException {
        String mail = """
                From: a@example.com
                To: b@example.com
                Subject: =?UTF-8?B?SGFsbG8gV2VsdA==?=
                MIME-Version: 1.0
                Content-Type: multipart/alternative; boundary="XYZ"

                --XYZ
                Content-Type: text/plain; charset=ISO-8859-1
                Content-Transfer-Encoding: quoted-printable

                Gr=FC=DFe aus K=F6ln, caf=E9 =3D gut.
                --XYZ
                Content-Type: text/html; charset=UTF-8

                <html><body><p>HTML version</p></body></html>
                --XYZ--
                """.replace("\n", "\r\n");
        List<Document> docs = new ArrayList<>();
        new EmailReader().read(new ByteArrayInputStream(mail.getBytes(StandardCharsets.ISO_8859_1)), "m.eml", docs::add, b -> {});
        assertThat(docs).hasSize(1);
        assertThat(docs.get(0).text()).isEqualTo("Grüße aus Köln, café = gut.");
        assertThat(docs.get(0).metadata()).containsEntry("subject", "Hallo Welt");
    }

    @Test
    void htmlOnlyMailBecomesText() throws IOException {
        String body = "<html><head><style>p{color:red}</style></head><body><p>First paragraph.</p><p>Second &amp; last.</p><script>x()</script></body></html>";
        String b64 = java.util.Base64.getMimeEncoder().encodeToString(body.getBytes(StandardCharsets.UTF_8));
        String mail = "From: a@example.com\r\nSubject: hi\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n" + b64 + "\r\n";
        List<Document> docs = new ArrayList<>();
        new EmailReader().read(new ByteArrayInputStream(mail.getBytes(StandardCharsets.US_ASCII)), "m.eml", docs::add, b -> {});
        assertThat(docs.get(0).text()).isEqualTo("First paragraph.\nSecond & last.");
    }

}
