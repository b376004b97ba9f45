package dev.anvil.train;

/**
 * The periodic held-out measurement of a {@link Trainer} (at step 0, every eval.interval steps and
 * at the last step). It must not draw from the trainer's generators or change the weights, so that
 * evaluating does not change the training numbers.
 */
@FunctionalInterface
public interface Evaluation {

    /** @param loss nats per predicted token; @param bitsPerByte loss in bits per UTF-8 byte of the predicted tokens (NaN when it has no meaning) */
    record Result(double loss, double bitsPerByte) {}

    Result evaluate();
}
