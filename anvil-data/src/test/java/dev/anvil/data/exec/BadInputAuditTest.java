package dev.anvil.data.exec;

import com.github.luben.zstd.ZstdOutputStream;
import dev.anvil.data.clean.UnicodeNormalizer;
import dev.anvil.data.pipeline.Pipeline;
import dev.anvil.data.read.ReaderOptions;
import dev.anvil.data.stats.BadInput;
import dev.anvil.data.stats.PipelineStats;
import org.apache.commons.compress.compressors.bzip2.BZip2CompressorOutputStream;
import org.apache.commons.compress.compressors.xz.XZCompressorOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every kind of bad input the issue lists — undecodable bytes, malformed JSON lines, truncated
 * compressed files (gzip is covered in {@link LocalExecutorTest}; here zstd, xz, bzip2), unreadable
 * files — is counted per file with file:line and skipped, and the run goes on.
 */
class BadInputAuditTest {
    @TempDir
    Path tmp;

    private interface Compressor {
        OutputStream wrap(OutputStream out) throws IOException;
    }

    private static byte[] truncated(Compressor c, int lines) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (OutputStream out = c.wrap(bytes)) {
            for (int i = 0; i < lines; i++) {
                // Varied text so that the compressed stream is long enough to cut in the middle of real data.
                out.write(("{\"text\": \"Line " + i + " says " + Integer.toHexString(i * 2654435761L > 0 ? (int) (i * 2654435761L) : i)
                        + " about the committee's report on regional budgets.\"}\n").getBytes(StandardCharsets.UTF_8));
            }
        }
        byte[] whole = bytes.toByteArray();
        return Arrays.copyOf(whole, whole.length * 2 / 3);
    }

    @Test
    void everyKindOfBadInputIsCountedWithItsPlaceAndTheRunGoesOn() throws IOException {
        Path in = Files.createDirectories(tmp.resolve("in"));
        Files.write(in.resolve("a.jsonl.zst"), truncated(ZstdOutputStream::new, 5000));
        Files.write(in.resolve("b.jsonl.xz"), truncated(XZCompressorOutputStream::new, 5000));
        Files.write(in.resolve("c.jsonl.bz2"), truncated(BZip2CompressorOutputStream::new, 20000));
        ByteArrayOutputStream csv = new ByteArrayOutputStream();
        csv.write("text,id\nA fine row of text.,1\n".getBytes(StandardCharsets.UTF_8));
        csv.write(new byte[] {'b', 'a', 'd', (byte) 0xE9, ',', '2', '\n'}); // Latin-1 é: not UTF-8
        csv.write("Another fine row.,3\n".getBytes(StandardCharsets.UTF_8));
        Files.write(in.resolve("d.csv"), csv.toByteArray());
        Files.writeString(in.resolve("e.jsonl"), "{\"text\": \"good\"}\n{\"text\": \"unterminated\n{\"text\": \"good again\"}\n");
        List<Path> inputs = new java.util.ArrayList<>(List.of(in));
        // A file whose read fails with an I/O error (EIO) although it exists and is "readable": Linux's /proc/self/mem at offset 0.
        Path eio = Path.of("/proc/self/mem");
        boolean haveEio = Files.isRegularFile(eio);
        if (haveEio) inputs.add(eio);

        Pipeline p = new Pipeline(inputs, tmp.resolve("out"), ReaderOptions.DEFAULT, List.of(new UnicodeNormalizer(Normalizer.Form.NFC)),
                false, null, 1 << 20, 2);
        LocalExecutor.Result r = new LocalExecutor(p, null).run();
        List<String> bad = r.stats().badInput.stream().map(BadInput::toString).toList();
        System.out.println("bad input report:\n  " + String.join("\n  ", bad));
        for (String f : List.of("a.jsonl.zst", "b.jsonl.xz", "c.jsonl.bz2")) {
            assertThat(bad).as(f).anyMatch(s -> s.matches("in/" + f.replace(".", "\\.") + ":\\d+: damaged input, rest of file skipped.*"));
        }
        assertThat(bad).contains("in/d.csv:3: undecodable bytes (not UTF-8)");
        assertThat(bad).anyMatch(s -> s.startsWith("in/e.jsonl:2: malformed JSON"));
        if (haveEio) assertThat(bad).anyMatch(s -> s.startsWith("mem: unreadable, rest of file skipped"));
        assertThat(bad).hasSize(haveEio ? 6 : 5);
        // The readable parts were all kept: the first lines of each truncated archive, 2 CSV rows, 2 JSONL lines.
        PipelineStats s = r.stats();
        Function<String, Long> docsFrom = prefix -> (long) s.badInput.stream().filter(b -> b.file().startsWith(prefix)).mapToLong(BadInput::line).sum();
        long archiveLines = docsFrom.apply("in/a.") + docsFrom.apply("in/b.") + docsFrom.apply("in/c.") - 3; // lines before each damaged one
        assertThat(s.step("read").docsOut).isEqualTo(archiveLines + 2 + 2);
        assertThat(archiveLines).isGreaterThan(1000);
        assertThat(Files.readString(tmp.resolve("out/stats.json"))).contains("\"bad_input_count\" : " + bad.size());
    }
}
