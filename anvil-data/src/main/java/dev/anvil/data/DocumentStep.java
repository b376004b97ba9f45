package dev.anvil.data;

/**
 * One per-document stage of a pipeline: normalization, redaction, a filter. It either passes the
 * document on (possibly rewritten) or removes it with a reason that ends up in the stats.
 * Steps are stateless across documents and safe to call from several threads.
 */
public interface DocumentStep {
    /** The name used in stats and pipeline files, e.g. {@code gopher_quality}. */
    String name();

    StepResult apply(Document doc);

    /** Kept (the document, maybe rewritten) or removed (a short reason such as {@code gopher_short_doc}). */
    record StepResult(Document document, String removalReason) {
        public static StepResult keep(Document doc) {
            return new StepResult(doc, null);
        }

        public static StepResult remove(String reason) {
            return new StepResult(null, reason);
        }

        public boolean kept() {
            return document != null;
        }
    }
}
