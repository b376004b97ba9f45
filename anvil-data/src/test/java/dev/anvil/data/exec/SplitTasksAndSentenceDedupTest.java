package dev.anvil.data.exec;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.anvil.data.Document;
import dev.anvil.data.SharedData;
import dev.anvil.data.clean.UnicodeNormalizer;
import dev.anvil.data.dedup.MinHashDeduplicator;
import dev.anvil.data.dedup.SentenceDeduplicator;
import dev.anvil.data.pipeline.Pipeline;
import dev.anvil.data.read.InputFormat;
import dev.anvil.data.read.ReaderOptions;
import dev.anvil.data.stats.BadInput;
import dev.anvil.data.stats.PipelineStats;
import dev.anvil.data.write.ShardWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

class SplitTasksAndSentenceDedupTest {
    @TempDir
    Path tmp;

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Tiny Shakespeare's speeches (blank-line separated), real text. */
    private static List<String> speeches() throws IOException {
        String all = Files.readString(SharedData.dir().resolve("tinyshakespeare.txt"));
        return Arrays.stream(all.split("\n\n")).filter(s -> s.length() > 40).toList();
    }

    private static TreeMap<String, byte[]> outputFiles(Path out) throws IOException {
        TreeMap<String, byte[]> files = new TreeMap<>();
        try (Stream<Path> s = Files.list(out)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) files.put(p.getFileName().toString(), Files.readAllBytes(p));
        }
        return files;
    }

    private static void assertSameFiles(TreeMap<String, byte[]> actual, TreeMap<String, byte[]> expected, String what) {
        assertThat(actual.keySet()).as(what).isEqualTo(expected.keySet());
        for (String name : expected.keySet()) assertThat(Arrays.equals(actual.get(name), expected.get(name))).as("%s: %s", what, name).isTrue();
    }

    @Test
    void largeFilesAreSplitIntoTasksWithOutputIdenticalToUnsplit() throws IOException {
        List<String> speeches = speeches();
        Path in = Files.createDirectories(tmp.resolve("in"));
        // A JSONL file with a broken line near its end, and a paragraphs file; together ~1.2 MB.
        ByteArrayOutputStream jsonl = new ByteArrayOutputStream();
        for (int i = 0; i < 4000; i++) {
            jsonl.write((JSON.writeValueAsString(Map.of("text", speeches.get(i % speeches.size()), "n", i)) + "\n").getBytes(StandardCharsets.UTF_8));
            if (i == 3500) jsonl.write("{\"text\": broken\n".getBytes(StandardCharsets.UTF_8));
            if (i == 3700) jsonl.write(new byte[] {'{', (byte) 0xff, '}', '\n'});
        }
        Files.write(in.resolve("speeches.jsonl"), jsonl.toByteArray());
        Files.writeString(in.resolve("play.txt"), String.join("\n\n", speeches.subList(0, 3000)) + "\n");
        ReaderOptions reader = new ReaderOptions(null, "text", null);
        Pipeline base = new Pipeline(List.of(in), tmp.resolve("unsplit"), reader, List.of(new UnicodeNormalizer(Normalizer.Form.NFC)),
                true, MinHashDeduplicator.Config.DEFAULT, 200_000, 2);
        // play.txt would be one document (text format): read it as paragraphs, which can be split.
        Path paragraphsIn = Files.createDirectories(tmp.resolve("in2"));
        Files.move(in.resolve("play.txt"), paragraphsIn.resolve("play.txt"));

        for (Path input : List.of(in, paragraphsIn)) {
            ReaderOptions r = input == in ? reader : new ReaderOptions(InputFormat.PARAGRAPHS, "text", null);
            String name = input.getFileName().toString();
            Pipeline unsplit = new Pipeline(List.of(input), tmp.resolve(name + "-unsplit"), r, base.steps(), true, base.minhash(), 200_000, 2);
            LocalExecutor.Result whole = new LocalExecutor(unsplit, null).run();
            assertThat(whole.tasks()).isEqualTo(1);
            Pipeline split = unsplit.withTaskBytes(100_000);
            Path splitOut = tmp.resolve(name + "-split");
            split = new Pipeline(split.inputs(), splitOut, r, split.steps(), true, split.minhash(), 200_000, 2, null, 100_000);
            LocalExecutor.Result parts = new LocalExecutor(split, null).run();
            System.out.printf("%s: %d tasks; %d documents written%n", name, parts.tasks(), parts.stats().step("write").docsOut);
            assertThat(parts.tasks()).isGreaterThanOrEqualTo(5);
            assertThat(parts.stats().files).isEqualTo(1);
            assertThat(parts.stats().step("read").docsOut).isEqualTo(whole.stats().step("read").docsOut).isGreaterThan(2900);
            assertSameFiles(outputFiles(splitOut), outputFiles(tmp.resolve(name + "-unsplit")), name + " split vs unsplit");
            if (input == in) {
                List<String> bad = parts.stats().badInput.stream().map(BadInput::toString).toList();
                assertThat(bad).hasSize(2);
                assertThat(bad.get(0)).startsWith("in/speeches.jsonl:3502: malformed JSON");
                assertThat(bad.get(1)).startsWith("in/speeches.jsonl:3703: undecodable bytes");
            }
            // Killed in the middle of the split tasks and resumed: still identical.
            Path killedOut = tmp.resolve(name + "-killed");
            Pipeline killed = new Pipeline(split.inputs(), killedOut, r, split.steps(), true, split.minhash(), 200_000, 2, null, 100_000);
            try {
                new LocalExecutor(killed, (phase, done, total) -> {
                    if (phase.equals("documents") && done > total / 2) throw new IllegalStateException("killed");
                }).run();
            } catch (IllegalStateException e) {
                assertThat(e).hasMessage("killed");
            }
            LocalExecutor.Result resumed = new LocalExecutor(killed, null).run();
            assertThat(resumed.tasksResumed()).isBetween(1, resumed.tasks() - 1);
            assertSameFiles(outputFiles(killedOut), outputFiles(tmp.resolve(name + "-unsplit")), name + " killed and resumed");
        }
    }

    @Test
    void repeatedThreeSentenceSpansAreCutAfterTheirFirstOccurrenceInInputOrder() throws IOException {
        // Real prose: Europarl-free English from Tiny Shakespeare, speeches joined into documents of ~12 sentences.
        List<String> speeches = speeches().stream().filter(s -> s.chars().filter(c -> c == '.').count() >= 2).toList();
        List<String> docs = new ArrayList<>();
        for (int i = 0; i + 6 <= 6 * 40; i += 6) docs.add(String.join(" ", speeches.subList(i, i + 6)).replace('\n', ' '));
        String planted = "The quick brown fox was seen in the market today. Nobody could say where it had come from. "
                + "Several traders swore it had stolen a loaf of bread.";
        List<String> original = List.copyOf(docs);
        // Planted in documents 3 (first), 10 and 25; in 25 with different case and punctuation, which simplification ignores.
        docs.set(3, docs.get(3) + " " + planted);
        docs.set(10, planted + " " + docs.get(10));
        docs.set(25, docs.get(25) + " " + planted.toUpperCase().replace(".", "!"));
        // Document 30 is mostly a copy of document 5's sentences: little would remain, so it goes.
        docs.set(30, docs.get(5) + " And that is all.");
        Path in = Files.createDirectories(tmp.resolve("in"));
        // Two files so that documents 0-19 and 20-39 are different tasks; file b sorts after a.
        StringBuilder a = new StringBuilder(), b = new StringBuilder();
        for (int i = 0; i < docs.size(); i++) (i < 20 ? a : b).append(JSON.writeValueAsString(Map.of("id", "d" + i, "text", docs.get(i)))).append('\n');
        Files.writeString(in.resolve("a.jsonl"), a);
        Files.writeString(in.resolve("b.jsonl"), b);

        Map<String, TreeMap<String, byte[]>> outputs = new TreeMap<>();
        for (int threads : new int[] {1, 2}) {
            for (long taskBytes : new long[] {1 << 20, 4_000}) {
                Path out = tmp.resolve("out-" + threads + "-" + taskBytes);
                Pipeline p = new Pipeline(List.of(in), out, ReaderOptions.DEFAULT, List.of(), false, null, 1 << 20, threads,
                        SentenceDeduplicator.Config.DEFAULT, taskBytes);
                LocalExecutor.Result r = new LocalExecutor(p, null).run();
                outputs.put(threads + "/" + taskBytes + " (" + r.tasks() + " tasks)", outputFiles(out));
                if (threads == 1 && taskBytes == 1 << 20) {
                    Map<String, String> byId = new TreeMap<>();
                    for (Path shard : r.shards()) for (Document d : ShardWriter.readShard(shard)) byId.put(d.id(), d.text());
                    assertThat(byId.get("d3")).endsWith(planted);
                    assertThat(byId.get("d10")).doesNotContain("quick brown fox").isEqualTo(docs.get(10).substring(planted.length() + 1));
                    assertThat(byId.get("d25")).doesNotContain("QUICK BROWN FOX").isEqualTo(original.get(25));
                    assertThat(byId).doesNotContainKey("d30");
                    assertThat(byId.get("d5")).isEqualTo(docs.get(5));
                    // Everything else is untouched.
                    for (int i = 0; i < docs.size(); i++) {
                        if (i != 3 && i != 10 && i != 25 && i != 30) assertThat(byId.get("d" + i)).as("d" + i).isEqualTo(docs.get(i));
                    }
                    PipelineStats s = r.stats();
                    System.out.println(s.summaryTable());
                    assertThat(s.step("sentence_dedup").removed).containsOnly(Map.entry("too_little_left", 1L));
                    assertThat(s.step("sentence_dedup").bytesOut).isLessThan(s.step("sentence_dedup").bytesIn);
                }
            }
        }
        // Same output whatever the threads and task split.
        TreeMap<String, byte[]> first = outputs.values().iterator().next();
        outputs.forEach((k, v) -> assertSameFiles(v, first, k));
    }
}
