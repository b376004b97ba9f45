package dev.anvil.cli.recipe;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.util.List;

/**
 * One step of a recipe's flow. A stage reads the outputs of the stages it {@link #consumes} and
 * writes its own into {@code <run>/<name>/}; it is re-run only when its {@link #config} section,
 * an upstream output or an {@link #externalInputs external input} changed (see {@link StageRunner}).
 */
interface Stage {
    String name();

    /** The stages whose outputs this one reads. */
    List<String> consumes();

    /** The part of the resolved recipe this stage depends on (hashed into its fingerprint). */
    JsonNode config(Recipe recipe);

    /** A description of what the stage reads from outside the run directory (hashed too); empty if nothing. */
    default String externalInputs(Recipe recipe) throws IOException {
        return "";
    }

    /** Expected wall seconds, from the recipe and whatever upstream summaries exist yet (for the overall ETA). */
    double estimateSeconds(StageContext ctx);

    /**
     * Does the work into {@code ctx.dir()} and returns the summary numbers recorded in stage.json.
     * The returned {@code outputs} are paths relative to the run directory that must exist for the
     * stage's output to be reused later.
     */
    Result run(StageContext ctx) throws Exception;

    record Result(ObjectNode summary, List<String> outputs) {}

    /** A summary value of an upstream stage, or {@code fallback} if that stage has not run. */
    static double upstream(StageContext ctx, String stage, String field, double fallback) {
        JsonNode s = ctx.summary(stage);
        return s != null && s.path(field).isNumber() ? s.get(field).asDouble() : fallback;
    }
}
