package dev.anvil.train;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A training run in a child JVM is killed with SIGKILL at random moments — some while a
 * checkpoint is being written — and resumed each time; its per-step losses, evaluations and final
 * weights must equal, bit for bit, those of a run that was never interrupted.
 */
class ExactResumeTest {

    private static final int STEPS = 30;

    @Test
    void killedAndResumedRunsRepeatTheUninterruptedRunBitForBit(@TempDir Path dir) throws Exception {
        Path corpus = TrainingFixtures.corpus(dir);
        Path recipe = TrainingFixtures.write(TrainingFixtures.recipe(corpus.toString(), STEPS), dir.resolve("recipe.yaml"));

        Path reference = dir.resolve("reference");
        assertThat(runChild(recipe, reference, -1, false)).as("uninterrupted run exit code").isZero();
        List<String> expected = trainLines(reference);
        assertThat(expected).hasSize(STEPS);

        Random random = new Random(20261123);
        for (int trial = 0; trial < 2; trial++) {
            Path run = dir.resolve("interrupted-" + trial);
            int kills = 0, killedDuringWrite = 0;
            for (int attempt = 0; attempt < 12 && kills < 4; attempt++) {
                boolean duringWrite = attempt % 2 == 1;
                long delayMs = 400 + random.nextInt(2500);
                int exit = runChild(recipe, run, delayMs, duringWrite);
                if (exit == 0) break; // finished before the kill
                kills++;
                if (exit == WROTE_TMP) killedDuringWrite++;
            }
            assertThat(runChild(recipe, run, -1, false)).as("final resume exit code").isZero();
            System.out.printf("trial %d: %d kills, %d while a checkpoint was being written%n", trial, kills, killedDuringWrite);
            assertThat(kills).as("the run was actually interrupted").isGreaterThan(0);
            assertThat(trainLines(run)).as("per-step losses after %d kills", kills).containsExactlyElementsOf(expected);
            assertThat(evalLines(run)).containsExactlyElementsOf(evalLines(reference));
            Path last = String.format("checkpoints/step_%06d/model.safetensors", STEPS).transform(run::resolve);
            Path lastRef = String.format("checkpoints/step_%06d/model.safetensors", STEPS).transform(reference::resolve);
            assertThat(Files.readAllBytes(last)).isEqualTo(Files.readAllBytes(lastRef));
        }
    }

    private static final int WROTE_TMP = 1000;

    /**
     * Runs the trainer in a child JVM. With {@code killAfterMs} ≥ 0 it is SIGKILLed after that long;
     * with {@code duringWrite} the kill waits (after the delay) for a checkpoint's temporary
     * directory to appear and strikes then. Returns the exit code, or {@link #WROTE_TMP} when the
     * kill hit a checkpoint write.
     */
    private static int runChild(Path recipe, Path runDir, long killAfterMs, boolean duringWrite) throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "--add-modules", "jdk.incubator.vector", "-XX:+UseParallelGC", "-Xmx512m",
                "-cp", System.getProperty("java.class.path"), ResumeChild.class.getName(), recipe.toString(), runDir.toString()));
        Path log = Files.createTempFile("resume-child", ".log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            if (killAfterMs < 0) {
                if (!p.waitFor(5, TimeUnit.MINUTES)) throw new AssertionError("child did not finish");
                if (p.exitValue() != 0) System.out.println(Files.readString(log));
                return p.exitValue();
            }
            if (p.waitFor(killAfterMs, TimeUnit.MILLISECONDS)) return p.exitValue();
            boolean hitWrite = false;
            if (duringWrite) {
                Path ckpts = runDir.resolve("checkpoints");
                long deadline = System.nanoTime() + 3_000_000_000L;
                while (System.nanoTime() < deadline && p.isAlive()) {
                    if (hasTmp(ckpts)) {
                        hitWrite = true;
                        break;
                    }
                    Thread.onSpinWait();
                }
            }
            p.destroyForcibly(); // SIGKILL on Linux: no shutdown hooks, no finally blocks
            p.waitFor();
            return hitWrite ? WROTE_TMP : 137;
        } finally {
            Files.deleteIfExists(log);
        }
    }

    private static boolean hasTmp(Path dir) {
        File[] files = dir.toFile().listFiles();
        if (files == null) return false;
        for (File f : files) if (f.getName().startsWith(".tmp-")) return true;
        return false;
    }

    private static List<String> trainLines(Path run) throws IOException {
        List<String> out = new ArrayList<>();
        for (JsonNode n : MetricsLog.read(run.resolve("metrics.jsonl"))) {
            if (n.path("type").asText().equals("train")) out.add(n.get("step").asLong() + " " + n.get("loss").asText() + " " + n.get("grad_norm").asText());
        }
        return out;
    }

    private static List<String> evalLines(Path run) throws IOException {
        List<String> out = new ArrayList<>();
        for (JsonNode n : MetricsLog.read(run.resolve("metrics.jsonl"))) {
            if (n.path("type").asText().matches("eval|sample")) out.add(n.toString());
        }
        return out;
    }
}
