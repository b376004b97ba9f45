package dev.anvil.cli.recipe;

/**
 * A recipe that cannot run as written: an unknown key, a value of the wrong type or out of range.
 * The message starts with where the problem is ({@code recipe.yaml:12: train.lr: ...}, or
 * {@code --set train.lr=x: ...} for an override), so it points at the line to fix.
 */
public final class RecipeException extends RuntimeException {
    private final String key;
    private final int line;

    public RecipeException(String where, String key, int line, String problem) {
        super(where + (line > 0 ? ":" + line : "") + ": " + (key.isEmpty() ? "" : key + ": ") + problem);
        this.key = key;
        this.line = line;
    }

    /** The key path, e.g. {@code train.model.n_layer} or {@code data.steps[2].language}. */
    public String key() {
        return key;
    }

    /** The 1-based line in the recipe file, or 0 when the value came from {@code --set} or has no line. */
    public int line() {
        return line;
    }
}
