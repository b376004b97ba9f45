package dev.anvil.train;

import dev.anvil.core.autograd.Tape;
import dev.anvil.core.autograd.Var;
import dev.anvil.model.Transformer;

/** Next-token cross-entropy over every position of every window: the pretraining loss. */
public final class LanguageModelObjective implements Objective<TokenWindowBatches.Windows> {

    @Override
    public Var loss(Tape tape, Transformer model, TokenWindowBatches.Windows batch, float dropout, long dropoutSeed) {
        return model.loss(tape, batch.inputs(), batch.targets(), 0, batch.batchSize(), batch.seqLen(), dropout, dropoutSeed);
    }
}
