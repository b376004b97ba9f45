package dev.anvil.data.pipeline;

/** A pipeline file that cannot be run, with the path of the offending field. Thrown before any work starts. */
public final class PipelineDefinitionException extends IllegalArgumentException {
    private final String field;

    public PipelineDefinitionException(String field, String problem) {
        super("pipeline field '" + field + "': " + problem);
        this.field = field;
    }

    public String field() {
        return field;
    }
}
