package dev.anvil.data.exec;

import com.github.luben.zstd.ZstdOutputStream;
import dev.anvil.data.Document;
import dev.anvil.data.DocumentStep;
import dev.anvil.data.SharedData;
import dev.anvil.data.clean.PiiRedactor;
import dev.anvil.data.clean.UnicodeNormalizer;
import dev.anvil.data.dedup.MinHashDeduplicator;
import dev.anvil.data.filter.GopherQualityFilter;
import dev.anvil.data.pipeline.Pipeline;
import dev.anvil.data.read.ReaderOptions;
import dev.anvil.data.stats.BadInput;
import dev.anvil.data.stats.PipelineStats;
import dev.anvil.data.stats.StepStats;
import dev.anvil.data.write.ShardWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LocalExecutorTest {
    @TempDir
    Path tmp;

    /** A small corpus: SpamAssassin mails (with duplicates planted), a gzip JSONL file and a zstd text file. */
    private Path corpus() throws IOException {
        Path in = Files.createDirectories(tmp.resolve("in"));
        Path mails = Files.createDirectories(in.resolve("mail"));
        List<Path> ham;
        try (Stream<Path> s = Files.list(SharedData.dir().resolve("spamassassin/ham"))) {
            ham = s.sorted().limit(40).toList();
        }
        for (Path p : ham) Files.copy(p, mails.resolve(p.getFileName()));
        // Exact and near duplicates of the first mail under other names.
        Files.copy(ham.get(0), mails.resolve("zz-copy.txt"));
        String shakespeare = Files.readString(SharedData.dir().resolve("tinyshakespeare.txt"));
        StringBuilder jsonl = new StringBuilder();
        for (int i = 0; i < 30; i++) {
            String text = shakespeare.substring(i * 3000, i * 3000 + 2500);
            jsonl.append(new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(java.util.Map.of("id", "play-" + i, "text", text))).append('\n');
            if (i == 5) {
                jsonl.append(new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(java.util.Map.of("id", "dup-5", "text", text))).append('\n');
            }
            if (i == 4) {
                // near duplicate: a few words changed
                String near = text.replaceFirst("the", "thee").replaceFirst("and", "und");
                jsonl.append(new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(java.util.Map.of("id", "near-4", "text", near))).append('\n');
            }
        }
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(in.resolve("plays.jsonl.gz")))) {
            out.write(jsonl.toString().getBytes(StandardCharsets.UTF_8));
        }
        try (OutputStream out = new ZstdOutputStream(Files.newOutputStream(in.resolve("sonnets.txt.zst")))) {
            out.write(shakespeare.substring(200_000, 260_000).replace("\n\n", "\n\n\n").getBytes(StandardCharsets.UTF_8));
        }
        return in;
    }

    private Pipeline pipeline(Path in, Path out) {
        return pipeline(in, out, 2);
    }

    private Pipeline pipeline(Path in, Path out, int threads) {
        List<DocumentStep> steps = List.of(new UnicodeNormalizer(Normalizer.Form.NFC),
                new GopherQualityFilter(20, 100_000, 3.0, 10.0, 0.1, 0.9, 0.3, 0.8, 2, GopherQualityFilter.ENGLISH_STOP_WORDS),
                PiiRedactor.defaults());
        return new Pipeline(List.of(in), out, ReaderOptions.DEFAULT, steps, true, MinHashDeduplicator.Config.DEFAULT, 40_000, threads);
    }

    private static TreeMap<String, byte[]> outputFiles(Path out) throws IOException {
        TreeMap<String, byte[]> files = new TreeMap<>();
        try (Stream<Path> s = Files.list(out)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) files.put(p.getFileName().toString(), Files.readAllBytes(p));
        }
        return files;
    }

    @Test
    void cleansDeduplicatesAndShardsRealCorpus() throws IOException {
        Path in = corpus();
        Path out = tmp.resolve("out");
        LocalExecutor.Result r = new LocalExecutor(pipeline(in, out), null).run();
        PipelineStats stats = PipelineStats.read(out.resolve("stats.json"));
        System.out.print(stats.summaryTable());
        assertThat(r.tasks()).isEqualTo(43);
        assertThat(stats.step("exact_dedup").removed).containsEntry("exact_duplicate", 1L);
        List<Document> docs = new ArrayList<>();
        for (Path shard : r.shards()) docs.addAll(ShardWriter.readShard(shard));
        StepStats fuzzy = stats.step("minhash_dedup");
        assertThat(fuzzy.removed.get("near_duplicate")).isGreaterThanOrEqualTo(1L);
        // Each cluster keeps one document, so there are at least one and at most as many clusters as removals.
        assertThat(fuzzy.clusters).isBetween(1L, fuzzy.removed.get("near_duplicate"));
        assertThat(r.shards().size()).isGreaterThan(1);
        for (Path shard : r.shards()) assertThat(Files.size(shard)).isLessThan(40_000); // compressed ≤ uncompressed bound
        assertThat(docs).hasSize((int) stats.step("write").docsOut);
        assertThat(docs.stream().map(Document::id)).doesNotHaveDuplicates().doesNotContain("dup-5", "near-4").contains("play-4", "play-5");
        assertThat(docs.stream().map(Document::text).filter(t -> t.contains("Received: from"))).isEmpty();
        assertThat(docs.stream().map(Document::text).filter(t -> t.contains("<EMAIL>"))).isNotEmpty();
        List<String> sample = Files.readAllLines(out.resolve("removed-sample.jsonl"));
        assertThat(sample).isNotEmpty().allMatch(l -> l.startsWith("{\"step\":\"gopher_quality\",\"reason\":\"gopher_"));
        assertThat(sample.stream().filter(l -> l.contains("gopher_below_alpha_threshold"))).hasSize(LocalExecutor.REMOVED_SAMPLES_PER_REASON);
        // Every step's counts add up: out = in − removed.
        stats.steps.forEach((name, s) -> assertThat(s.docsOut + s.removed.values().stream().mapToLong(Long::longValue).sum())
                .as(name).isEqualTo(s.docsIn));
    }

    /** {@code anvil data --threads 1} and {@code --threads 2} write the same bytes: shards, stats and samples. */
    @Test
    void outputIsByteIdenticalOnOneAndTwoThreads() throws IOException {
        Path in = corpus();
        TreeMap<String, byte[]> one = null;
        for (int threads : new int[] {1, 2}) {
            Path out = tmp.resolve("threads-" + threads);
            new LocalExecutor(pipeline(in, out, threads), null).run();
            TreeMap<String, byte[]> files = outputFiles(out);
            if (one == null) {
                one = files;
                assertThat(one.keySet()).contains("stats.json", "removed-sample.jsonl").hasSizeGreaterThan(3);
                continue;
            }
            assertThat(files.keySet()).isEqualTo(one.keySet());
            for (String name : one.keySet()) assertThat(java.util.Arrays.equals(files.get(name), one.get(name))).as("%s identical on 1 and 2 threads", name).isTrue();
        }
    }

    @Test
    void killedAndRestartedRunGivesIdenticalOutput() throws IOException {
        Path in = corpus();
        Path clean = tmp.resolve("uninterrupted");
        new LocalExecutor(pipeline(in, clean), null).run();
        TreeMap<String, byte[]> expected = outputFiles(clean);

        // "Kill" the run at several points: the progress callback throws, as a dying process stops mid-work.
        for (int killAfter : new int[] {3, 40, 200}) {
            Path out = tmp.resolve("killed-" + killAfter);
            AtomicInteger calls = new AtomicInteger();
            LocalExecutor.Progress dying = (phase, done, total) -> {
                if (calls.incrementAndGet() == killAfter) throw new IllegalStateException("killed");
            };
            try {
                new LocalExecutor(pipeline(in, out), dying).run();
            } catch (IllegalStateException e) {
                assertThat(e).hasMessage("killed");
            }
            LocalExecutor.Result resumed = new LocalExecutor(pipeline(in, out), null).run();
            TreeMap<String, byte[]> actual = outputFiles(out);
            assertThat(actual.keySet()).isEqualTo(expected.keySet());
            for (String name : expected.keySet()) {
                assertThat(java.util.Arrays.equals(actual.get(name), expected.get(name))).as("%s identical after kill at %d", name, killAfter).isTrue();
            }
            System.out.printf("killed after %d progress reports: %d of %d tasks resumed from markers, output identical%n",
                    killAfter, resumed.tasksResumed(), resumed.tasks());
        }
        // Running again over a finished run changes nothing either.
        new LocalExecutor(pipeline(in, clean), null).run();
        assertThat(outputFiles(clean).keySet()).isEqualTo(expected.keySet());
        TreeMap<String, byte[]> again = outputFiles(clean);
        for (String name : expected.keySet()) assertThat(java.util.Arrays.equals(again.get(name), expected.get(name))).as(name).isTrue();
    }

    @Test
    void badInputIsCountedWithFileAndLineAndSkipped() throws IOException {
        Path in = Files.createDirectories(tmp.resolve("bad"));
        String good = "{\"text\": \"The committee has reviewed the proposal and found that it meets all of the requirements of the programme.\"}";
        Files.writeString(in.resolve("a.jsonl"), good + "\n{not json\n" + good.replace("proposal", "budget") + "\n[1, 2]\n{\"body\": \"no text field\"}\n");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        bytes.write("A line of perfectly fine text that is long enough to be a document on its own.\n".getBytes(StandardCharsets.UTF_8));
        bytes.write(new byte[] {'b', 'a', 'd', ' ', (byte) 0xC3, (byte) 0x28, ' ', 'x', '\n'});
        bytes.write("Another fine line of text that follows the broken one and should be kept.\n".getBytes(StandardCharsets.UTF_8));
        Files.write(in.resolve("b.txt"), bytes.toByteArray());
        // A gzip file cut in half.
        ByteArrayOutputStream gz = new ByteArrayOutputStream();
        try (OutputStream out = new GZIPOutputStream(gz)) {
            for (int i = 0; i < 2000; i++) out.write(("{\"text\": \"Line number " + i + " of a long file that will be truncated midway.\"}\n").getBytes(StandardCharsets.UTF_8));
        }
        byte[] whole = gz.toByteArray();
        Files.write(in.resolve("c.jsonl.gz"), java.util.Arrays.copyOf(whole, whole.length / 2));
        // A file that cannot be opened (a dangling link).
        Files.createSymbolicLink(in.resolve("d.txt"), tmp.resolve("does-not-exist"));

        Pipeline p = new Pipeline(List.of(in), tmp.resolve("out"), new ReaderOptions(null, "text", "id"),
                List.of(new UnicodeNormalizer(Normalizer.Form.NFC)), true, null, 1 << 20, 2);
        LocalExecutor.Result r = new LocalExecutor(p, null).run();
        List<String> bad = r.stats().badInput.stream().map(BadInput::toString).toList();
        System.out.println("bad input report:\n  " + String.join("\n  ", bad));
        assertThat(bad).anyMatch(s -> s.startsWith("bad/a.jsonl:2: malformed JSON"));
        assertThat(bad).anyMatch(s -> s.startsWith("bad/a.jsonl:4: not a JSON object"));
        assertThat(bad).anyMatch(s -> s.startsWith("bad/a.jsonl:5: no string field 'text'"));
        assertThat(bad).anyMatch(s -> s.startsWith("bad/b.txt:2: undecodable bytes"));
        assertThat(bad).anyMatch(s -> s.matches("bad/c\\.jsonl\\.gz:\\d+: damaged input, rest of file skipped.*"));
        assertThat(bad).anyMatch(s -> s.startsWith("bad/d.txt: unreadable file"));
        assertThat(bad).hasSize(6);
        // The good parts were kept: 2 JSONL docs, the 2 good lines of b.txt as one document, the intact start of c.
        assertThat(r.stats().step("read").docsOut).isGreaterThan(2 + 1 + 100);
        String stats = Files.readString(tmp.resolve("out/stats.json"));
        assertThat(stats).contains("\"bad_input_count\" : 6").contains("\"bad/a.jsonl\" : 3");
    }

    @Test
    void exactDuplicatesIgnoreCaseAndWhitespace() throws IOException {
        Path in = Files.createDirectories(tmp.resolve("dups"));
        Files.writeString(in.resolve("x.txt"), "Hello   World. This is a test.\n\nhello world. this is a TEST.\n\nSomething else entirely.\n");
        Pipeline p = new Pipeline(List.of(in), tmp.resolve("out"), new ReaderOptions(dev.anvil.data.read.InputFormat.PARAGRAPHS, "text", null),
                List.of(), true, null, 1 << 20, 1);
        LocalExecutor.Result r = new LocalExecutor(p, null).run();
        assertThat(ShardWriter.readShard(r.shards().get(0)).stream().map(Document::text))
                .containsExactly("Hello   World. This is a test.", "Something else entirely.");
    }

    @Test
    void outputFailureIsAnErrorNotBadInput() {
        assertThatThrownBy(() -> new Pipeline(List.of(), tmp, ReaderOptions.DEFAULT, List.of(), false, null, 1, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("input");
    }
}
