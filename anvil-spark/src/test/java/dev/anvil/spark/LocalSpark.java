package dev.anvil.spark;

import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** One local-mode Spark context for all tests in the JVM (starting Spark takes seconds), and the shared data folder. */
final class LocalSpark {
    private static JavaSparkContext context;

    private LocalSpark() {}

    static synchronized JavaSparkContext context() {
        if (context == null) {
            // local[2, 2]: two cores, and a failed task is retried once, as a cluster would.
            context = new JavaSparkContext(new SparkConf().setMaster("local[2, 2]").setAppName("anvil-spark tests")
                    .set("spark.ui.enabled", "false").set("spark.sql.shuffle.partitions", "4").set("spark.default.parallelism", "4"));
            context.setLogLevel("WARN");
            Runtime.getRuntime().addShutdownHook(new Thread(context::stop));
        }
        return context;
    }

    /** {@code ../shared/data} beside the repository, as CI lays it out (tests are skipped without it). */
    static Path sharedData() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.exists(p.resolve("mvnw"))) p = p.getParent();
        assumeTrue(p != null, "repository root not found");
        Path data = p.getParent().resolve("shared/data");
        assumeTrue(Files.isDirectory(data), "shared data folder not present at " + data);
        return data;
    }
}
