package dev.anvil.cli.recipe;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Map;

/**
 * What a running stage sees: the recipe, the run directory, its own directory, the summaries of
 * the stages before it (from their stage.json), a progress sink and a log (the stage's
 * {@code log.txt}; the console only shows the progress line and one line per stage).
 */
record StageContext(Recipe recipe, Path runDir, String shownRunDir, Path dir, Map<String, JsonNode> summaries, RunProgress progress, PrintStream log) {

    Path dir(String stage) {
        return runDir.resolve(stage);
    }

    JsonNode summary(String stage) {
        return summaries.get(stage);
    }
}
