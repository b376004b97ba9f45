package dev.anvil.spark;

import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.storage.StorageLevel;
import scala.Tuple2;

import java.util.ArrayList;
import java.util.List;

/**
 * Connected components of an undirected graph held as an edge RDD, by the alternating
 * large-star / small-star rounds of Kiveris et al., "Connected Components in MapReduce and
 * Beyond" (SoCC 2014). Every edge is kept as (larger, smaller). With N(u) the neighbours of u and
 * m(u) = min(N(u) ∪ {u}):
 *
 * <ul>
 *   <li>large-star: each u links every larger neighbour v to m(u);</li>
 *   <li>small-star: each u links itself and every smaller neighbour to m over those.</li>
 * </ul>
 *
 * Neither round changes which nodes are connected, and together they converge in O(log² n)
 * rounds (O(log n) in practice) to one star per component whose centre is the component's
 * smallest node. The result maps every node of an edge that is not its component's minimum to
 * that minimum.
 */
public final class ConnectedComponents {
    /** Rounds after which we give up: the bound is logarithmic, so this is far beyond any real corpus. */
    static final int MAX_ROUNDS = 64;

    private ConnectedComponents() {}

    /** (node, smallest node of its component) for every node of {@code edges} that is not itself that smallest node. */
    public static JavaPairRDD<Long, Long> toComponentMinimum(JavaPairRDD<Long, Long> edges) {
        JavaPairRDD<Long, Long> current = edges
                .filter(e -> !e._1().equals(e._2()))
                .mapToPair(e -> e._1() > e._2() ? e : new Tuple2<>(e._2(), e._1()))
                .distinct()
                .persist(StorageLevel.MEMORY_AND_DISK());
        for (int round = 0; round < MAX_ROUNDS; round++) {
            JavaPairRDD<Long, Long> next = smallStar(largeStar(current)).distinct().persist(StorageLevel.MEMORY_AND_DISK());
            current.unpersist(false);
            current = next;
            if (isStarForest(current)) return current;
        }
        throw new IllegalStateException("connected components did not converge in " + MAX_ROUNDS + " rounds");
    }

    private static JavaPairRDD<Long, Long> largeStar(JavaPairRDD<Long, Long> edges) {
        return edges.flatMapToPair(e -> List.of(e, e.swap()).iterator())
                .groupByKey()
                .flatMapToPair(node -> {
                    long u = node._1();
                    long m = u;
                    for (long v : node._2()) m = Math.min(m, v);
                    List<Tuple2<Long, Long>> out = new ArrayList<>();
                    for (long v : node._2()) if (v > u) out.add(new Tuple2<>(v, m));
                    return out.iterator();
                });
    }

    /** Input edges are (larger, smaller): grouping by the first gives each node its smaller neighbours. */
    private static JavaPairRDD<Long, Long> smallStar(JavaPairRDD<Long, Long> edges) {
        return edges.groupByKey()
                .flatMapToPair(node -> {
                    long u = node._1();
                    long m = u;
                    for (long v : node._2()) m = Math.min(m, v);
                    List<Tuple2<Long, Long>> out = new ArrayList<>();
                    if (u != m) out.add(new Tuple2<>(u, m));
                    for (long v : node._2()) if (v != m) out.add(new Tuple2<>(v, m));
                    return out.iterator();
                });
    }

    /**
     * Converged when every node has at most one edge, to a node with none of its own: then each
     * component is a centre and its leaves, and since edges run from larger to smaller nodes the
     * centre is the component's minimum.
     */
    private static boolean isStarForest(JavaPairRDD<Long, Long> edges) {
        // Per node: [edges out, edges in]; one shuffle finds any node breaking the rule.
        return edges.flatMapToPair(e -> List.of(new Tuple2<>(e._1(), new long[] {1, 0}), new Tuple2<>(e._2(), new long[] {0, 1})).iterator())
                .reduceByKey((a, b) -> new long[] {a[0] + b[0], a[1] + b[1]})
                .filter(node -> node._2()[0] > 1 || (node._2()[0] > 0 && node._2()[1] > 0))
                .isEmpty();
    }
}
