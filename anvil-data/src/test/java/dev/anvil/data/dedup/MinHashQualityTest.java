package dev.anvil.data.dedup;

import dev.anvil.data.SharedData;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * MinHash LSH on near-duplicates made from real text: 300-word passages of Tiny Shakespeare and a
 * copy with random word substitutions, deletions and insertions at rates chosen to spread the
 * true 5-shingle Jaccard similarity over [0.2, 1]. Recall is measured on pairs with Jaccard ≥ 0.8,
 * the false-positive rate on pairs with Jaccard ≤ 0.5 (both printed).
 */
class MinHashQualityTest {
    @Test
    void recallAndFalsePositiveRateOnEditedRealText() throws IOException {
        String corpus = Files.readString(SharedData.dir().resolve("tinyshakespeare.txt"));
        String[] words = corpus.split("\\s+");
        SplittableRandom rng = new SplittableRandom(7);
        int passageWords = 300;
        List<String[]> pairs = new ArrayList<>();
        List<Double> jaccards = new ArrayList<>();
        int pairsWanted = 1000;
        for (int p = 0; p < pairsWanted; p++) {
            int start = rng.nextInt(words.length - passageWords);
            String[] base = Arrays.copyOfRange(words, start, start + passageWords);
            // Edit rate from 0 to 12% of words: every edit breaks up to 5 shingles.
            double rate = rng.nextDouble() * 0.12;
            List<String> edited = new ArrayList<>();
            for (String w : base) {
                double u = rng.nextDouble();
                if (u < rate / 3) continue; // delete
                if (u < 2 * rate / 3) { edited.add(words[rng.nextInt(words.length)]); continue; } // substitute
                edited.add(w);
                if (u < rate) edited.add(words[rng.nextInt(words.length)]); // insert
            }
            String a = String.join(" ", base);
            String b = String.join(" ", edited);
            pairs.add(new String[] {a, b});
            jaccards.add(jaccard(a, b));
        }
        // Signatures do not depend on verification: compute them once.
        MinHashDeduplicator signer = new MinHashDeduplicator(MinHashDeduplicator.Config.DEFAULT);
        List<int[][]> signatures = new ArrayList<>();
        for (String[] pair : pairs) signatures.add(new int[][] {signer.signatureOf(pair[0]), signer.signatureOf(pair[1])});
        for (double verify : new double[] {MinHashDeduplicator.Config.DEFAULT.verifyJaccard(), 0}) {
            MinHashDeduplicator.Config config = new MinHashDeduplicator.Config(5, 14, 8, verify, 42);
            int highPairs = 0, highFound = 0, lowPairs = 0, lowFound = 0;
            for (int i = 0; i < pairs.size(); i++) {
                MinHashDeduplicator dedup = new MinHashDeduplicator(config);
                dedup.addSignature(signatures.get(i)[0]);
                dedup.addSignature(signatures.get(i)[1]);
                boolean found = dedup.duplicates().get(1);
                double j = jaccards.get(i);
                if (j >= 0.8) { highPairs++; if (found) highFound++; }
                if (j <= 0.5) { lowPairs++; if (found) lowFound++; }
            }
            double recall = (double) highFound / highPairs;
            double fpr = (double) lowFound / lowPairs;
            System.out.printf("minhash 14x8, 5-word shingles, verify_jaccard=%.2f: recall %.3f on %d pairs with J>=0.8, "
                    + "false-positive rate %.4f on %d pairs with J<=0.5%n", verify, recall, highPairs, fpr, lowPairs);
            assertThat(highPairs).isGreaterThan(200);
            assertThat(lowPairs).isGreaterThan(200);
            assertThat(recall).isGreaterThanOrEqualTo(0.9);
            if (verify > 0) assertThat(fpr).isLessThanOrEqualTo(0.01);
        }
    }

    @Test
    void clustersKeepTheEarliestDocument() {
        MinHashDeduplicator dedup = new MinHashDeduplicator(MinHashDeduplicator.Config.DEFAULT);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 80; i++) sb.append("word").append(i).append(' ');
        String a = sb.toString();
        dedup.add("an entirely different text about ships and the sea and sailors who sing songs at night in the harbour town");
        dedup.add(a);
        dedup.add(a.replace("word40 ", "changed "));
        dedup.add(a);
        var removed = dedup.duplicates();
        assertThat(removed.stream().boxed().toList()).containsExactly(2, 3);
    }

    @Test
    void mulModMatchesBigInteger() {
        SplittableRandom rng = new SplittableRandom(1);
        java.math.BigInteger p = java.math.BigInteger.valueOf(MinHasher.MERSENNE_61);
        for (int i = 0; i < 10_000; i++) {
            long a = rng.nextLong(MinHasher.MERSENNE_61);
            long x = rng.nextLong(MinHasher.MERSENNE_61);
            long expected = java.math.BigInteger.valueOf(a).multiply(java.math.BigInteger.valueOf(x)).mod(p).longValueExact();
            assertThat(MinHasher.mulMod(a, x)).isEqualTo(expected);
        }
    }

    private static double jaccard(String a, String b) {
        Set<Long> sa = new HashSet<>();
        for (long h : MinHasher.shingleHashes(a, 5)) sa.add(h);
        Set<Long> sb = new HashSet<>();
        for (long h : MinHasher.shingleHashes(b, 5)) sb.add(h);
        Set<Long> inter = new HashSet<>(sa);
        inter.retainAll(sb);
        Set<Long> union = new HashSet<>(sa);
        union.addAll(sb);
        return union.isEmpty() ? 1 : (double) inter.size() / union.size();
    }
}
