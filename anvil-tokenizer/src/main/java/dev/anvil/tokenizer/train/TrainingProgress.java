package dev.anvil.tokenizer.train;

/** Receives training progress: the phase ("counting" bytes, "merging" merges) and how far it is. */
@FunctionalInterface
public interface TrainingProgress {
    TrainingProgress NONE = (phase, done, total) -> {};

    /** {@code total} is -1 when unknown. Called from the training thread; keep it cheap. */
    void update(String phase, long done, long total);
}
