package dev.anvil.data.exec;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.anvil.data.read.CompressedInput;
import dev.anvil.data.read.DocumentReader;
import dev.anvil.data.read.FormatDetector;
import dev.anvil.data.read.InputFiles.InputFile;
import dev.anvil.data.read.ReaderOptions;
import dev.anvil.data.read.SplittableReader;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The units of work of a local run. A file is one task, except a large uncompressed file in a
 * line-based format (JSONL, lines, paragraphs), which is cut into parts of about
 * {@code taskBytes}: each cut is moved forward to the next line start (for paragraphs, the next
 * line after a blank line), and the part remembers the number of its first line so that ids and
 * bad-input lines are those of the whole file. Finding the cuts reads the file once, counting line
 * breaks; the plan is saved with the run, so a resumed run uses the same parts.
 */
record TaskPlan(List<Task> tasks) {
    /** A file, or the bytes {@code [start, end)} of it starting at line {@code firstLine}; {@code end == -1} means the whole file. */
    record Task(InputFile file, long start, long end, long firstLine) {
        boolean whole() {
            return end < 0;
        }

        long bytes() {
            return whole() ? sizeOrZero(file.path()) : end - start;
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    static TaskPlan make(List<InputFile> files, ReaderOptions reader, long taskBytes) throws IOException {
        List<Task> tasks = new ArrayList<>();
        for (InputFile f : files) {
            Path p = f.path();
            long size = sizeOrZero(p);
            SplittableReader.Boundary boundary = null;
            if (size > taskBytes && Files.isReadable(p) && !CompressedInput.isCompressed(p)) {
                DocumentReader r = reader.readerFor(FormatDetector.detect(p));
                if (r instanceof SplittableReader s) boundary = s.boundary();
            }
            if (boundary == null) {
                tasks.add(new Task(f, 0, -1, 1));
            } else {
                tasks.addAll(split(f, size, taskBytes, boundary));
            }
        }
        return new TaskPlan(tasks);
    }

    /** One pass over the file: a part ends at the first boundary at or after each multiple of {@code taskBytes}. */
    private static List<Task> split(InputFile f, long size, long taskBytes, SplittableReader.Boundary boundary) throws IOException {
        List<Task> parts = new ArrayList<>();
        long partStart = 0;
        long partFirstLine = 1;
        long lines = 0;
        long pos = 0;
        boolean lineBlank = true; // the current line holds only ASCII whitespace so far
        byte[] buf = new byte[1 << 20];
        try (InputStream in = Files.newInputStream(f.path())) {
            int n;
            while ((n = in.read(buf)) > 0) {
                for (int i = 0; i < n; i++) {
                    byte b = buf[i];
                    if (b == '\n') {
                        lines++;
                        long next = pos + i + 1; // the start of the next line
                        boolean cut = boundary == SplittableReader.Boundary.LINE || lineBlank;
                        if (cut && next - partStart >= taskBytes && next < size) {
                            parts.add(new Task(f, partStart, next, partFirstLine));
                            partStart = next;
                            partFirstLine = lines + 1;
                        }
                        lineBlank = true;
                    } else if (b != ' ' && b != '\t' && b != '\r' && b != '\f' && b != 0x0b) {
                        lineBlank = false;
                    }
                }
                pos += n;
            }
        }
        parts.add(new Task(f, partStart, Math.max(pos, partStart), partFirstLine));
        return parts;
    }

    void save(Path file) throws IOException {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Task t : tasks) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("path", t.file().path().toString());
            m.put("source", t.file().source());
            m.put("start", t.start());
            m.put("end", t.end());
            m.put("first_line", t.firstLine());
            out.add(m);
        }
        JSON.writeValue(file.toFile(), out);
    }

    @SuppressWarnings("unchecked")
    static TaskPlan load(Path file) throws IOException {
        List<Task> tasks = new ArrayList<>();
        for (Map<String, Object> m : (List<Map<String, Object>>) JSON.readValue(file.toFile(), List.class)) {
            tasks.add(new Task(new InputFile(Path.of((String) m.get("path")), (String) m.get("source")),
                    ((Number) m.get("start")).longValue(), ((Number) m.get("end")).longValue(), ((Number) m.get("first_line")).longValue()));
        }
        return new TaskPlan(tasks);
    }

    static long sizeOrZero(Path p) {
        try {
            return Files.isRegularFile(p) ? Files.size(p) : 0;
        } catch (IOException e) {
            return 0;
        }
    }
}
