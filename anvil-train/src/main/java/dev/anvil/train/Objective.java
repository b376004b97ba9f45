package dev.anvil.train;

import dev.anvil.core.autograd.Tape;
import dev.anvil.core.autograd.Var;
import dev.anvil.model.Transformer;

/**
 * What a {@link Trainer} minimizes: the scalar loss of one micro-batch, recorded on the tape so the
 * trainer can differentiate it (cross-entropy of the next token now; masked, pair and RL losses
 * later plug in here).
 *
 * @param <B> the batch type it reads
 */
@FunctionalInterface
public interface Objective<B extends TrainingBatch> {

    /**
     * @param dropout     the dropout probability of this run (0 = off)
     * @param dropoutSeed this micro-batch's dropout seed, drawn by the trainer from its checkpointed generator
     * @return a one-element Var on {@code tape}: the micro-batch's mean loss
     */
    Var loss(Tape tape, Transformer model, B batch, float dropout, long dropoutSeed);
}
