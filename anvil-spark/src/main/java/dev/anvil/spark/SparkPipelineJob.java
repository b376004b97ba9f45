package dev.anvil.spark;

import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The {@code spark-submit} entry point: {@code dev.anvil.spark.SparkPipelineJob PIPELINE.yaml}
 * runs that pipeline definition on the cluster spark-submit names (see docs/spark.md for the
 * command and the JDK flags).
 */
public final class SparkPipelineJob {
    private SparkPipelineJob() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 1 || args[0].startsWith("-")) {
            System.err.println("usage: spark-submit --class dev.anvil.spark.SparkPipelineJob anvil-spark-job.jar PIPELINE.yaml");
            System.exit(2);
        }
        Path pipeline = Path.of(args[0]);
        if (!Files.isRegularFile(pipeline)) {
            System.err.println("anvil: no such pipeline file: " + pipeline);
            System.exit(2);
        }
        SparkConf conf = new SparkConf().setAppName("anvil data " + pipeline.getFileName())
                // Task outputs are committed by renaming fixed temporary names: two speculative
                // attempts of one task must never run at once.
                .set("spark.speculation", "false");
        try (JavaSparkContext spark = new JavaSparkContext(conf)) {
            long start = System.nanoTime();
            SparkExecutor.Result result = SparkExecutor.forFile(spark, pipeline).run();
            System.out.print(result.stats().summaryTable());
            System.out.printf("%d tasks (%d resumed), %d shards, %.1f s%n", result.tasks(), result.tasksResumed(), result.shards().size(),
                    (System.nanoTime() - start) / 1e9);
        }
    }
}
