package dev.anvil.train;

/** Thrown when training stops on a NaN or infinity (train.on_nonfinite: stop, or non-finite weights before a checkpoint). */
public final class NonFiniteTrainingException extends RuntimeException {
    public NonFiniteTrainingException(String message) {
        super(message);
    }
}
