package dev.anvil.spark;

import dev.anvil.data.dedup.MinHashDeduplicator;
import dev.anvil.data.dedup.UnionFind;
import org.apache.spark.api.java.JavaPairRDD;
import org.junit.jupiter.api.Test;
import scala.Tuple2;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/** The Spark dedup stages against the local ones on signatures and graphs built to stress them. */
class DedupStagesTest {
    /** Spark's near-duplicate decision for these signatures, as indices into the list. */
    private static BitSet sparkRemoved(List<int[]> signatures, MinHashDeduplicator.Config config) {
        List<DedupKey> keys = new ArrayList<>();
        // Spread over several tasks so that corpus order is not just the position.
        for (int i = 0; i < signatures.size(); i++) keys.add(new DedupKey(DedupKey.order(i / 100, i % 100), 0, 0, 1, signatures.get(i)));
        JavaPairRDD<Long, Long> components = ConnectedComponents.toComponentMinimum(
                SparkExecutor.minhashEdges(LocalSpark.context().parallelize(keys, 4), config));
        BitSet removed = new BitSet();
        for (long order : components.keys().collect()) removed.set(DedupKey.task(order) * 100 + DedupKey.position(order));
        components.unpersist(false);
        return removed;
    }

    private static BitSet localRemoved(List<int[]> signatures, MinHashDeduplicator.Config config) {
        MinHashDeduplicator dedup = new MinHashDeduplicator(config);
        for (int[] s : signatures) dedup.addSignature(s);
        return dedup.duplicates();
    }

    @Test
    void aMemberThatOnlyPassesAgainstALaterMemberIsJoinedToIt() {
        // 4 bands × 2 rows. All three share band 0. B passes against A (4/8); C fails against A
        // (3/8) but passes against B (5/8), and B and C share no bucket without A.
        MinHashDeduplicator.Config config = new MinHashDeduplicator.Config(5, 4, 2, 0.5, 1);
        List<int[]> sigs = List.of(new int[] {1, 2, 3, 4, 5, 6, 7, 8}, new int[] {1, 2, 3, 4, 50, 60, 70, 80},
                new int[] {1, 2, 31, 4, 50, 61, 70, 81}, new int[] {9, 9, 9, 9, 9, 9, 9, 9});
        assertThat(localRemoved(sigs, config).stream().boxed().toList()).containsExactly(1, 2);
        assertThat(sparkRemoved(sigs, config)).isEqualTo(localRemoved(sigs, config));
    }

    @Test
    void randomCollidingSignaturesGiveTheLocalDecision() {
        SplittableRandom rng = new SplittableRandom(3);
        for (double verify : new double[] {0, 0.4, 0.6}) {
            MinHashDeduplicator.Config config = new MinHashDeduplicator.Config(5, 6, 2, verify, 1);
            List<int[]> sigs = new ArrayList<>();
            // Families of related signatures over a tiny alphabet: big buckets, chains, and pairs just either side of the threshold.
            for (int i = 0; i < 600; i++) {
                int[] s = new int[12];
                if (i > 0 && rng.nextDouble() < 0.6) {
                    int[] parent = sigs.get(rng.nextInt(sigs.size()));
                    for (int j = 0; j < 12; j++) s[j] = rng.nextDouble() < 0.35 ? rng.nextInt(4) : parent[j];
                } else {
                    for (int j = 0; j < 12; j++) s[j] = rng.nextInt(1000);
                }
                sigs.add(s);
            }
            BitSet local = localRemoved(sigs, config);
            System.out.printf("verify_jaccard %.1f: %d of %d removed by both executors%n", verify, local.cardinality(), sigs.size());
            assertThat(local.cardinality()).isBetween(50, 550);
            assertThat(sparkRemoved(sigs, config)).isEqualTo(local);
        }
    }

    @Test
    void connectedComponentsMatchUnionFind() {
        SplittableRandom rng = new SplittableRandom(5);
        int n = 3000;
        List<Tuple2<Long, Long>> edges = new ArrayList<>();
        UnionFind uf = new UnionFind(n);
        // Sparse random edges (many small components) plus a long path in shuffled order (one deep component).
        for (int i = 0; i < 1200; i++) {
            int a = rng.nextInt(n), b = rng.nextInt(n);
            edges.add(new Tuple2<>((long) a, (long) b));
            uf.union(a, b);
        }
        int[] path = rng.ints(0, n).distinct().limit(400).toArray();
        for (int i = 1; i < path.length; i++) {
            edges.add(new Tuple2<>((long) path[i], (long) path[i - 1]));
            uf.union(path[i], path[i - 1]);
        }
        Map<Long, Long> expected = new TreeMap<>();
        for (Tuple2<Long, Long> e : edges) {
            for (long v : new long[] {e._1(), e._2()}) if (uf.find((int) v) != v) expected.put(v, (long) uf.find((int) v));
        }
        JavaPairRDD<Long, Long> components = ConnectedComponents.toComponentMinimum(LocalSpark.context().parallelizePairs(edges, 4));
        assertThat(new TreeMap<>(components.collectAsMap())).isEqualTo(expected);
        components.unpersist(false);
    }
}
