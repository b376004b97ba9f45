package dev.anvil.train;

import dev.anvil.core.compute.ComputePool;

import java.io.PrintStream;
import java.nio.file.Path;

/** Entry point of the child JVM that {@link ExactResumeTest} starts and kills: args = recipe, run dir. */
public final class ResumeChild {

    public static void main(String[] args) throws Exception {
        ComputePool.setDefaultThreads(2);
        TrainingConfig config = TrainingConfig.read(Path.of(args[0]));
        new Pretraining(config, Path.of(args[1]), true, new PrintStream(System.out, true)).run();
    }
}
