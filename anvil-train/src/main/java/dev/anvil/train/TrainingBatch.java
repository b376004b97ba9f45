package dev.anvil.train;

/** One micro-batch of training data, whatever its shape (token windows, chat examples, preference pairs). */
public interface TrainingBatch {

    /** Tokens the batch feeds through the model: what tokens/s and the GEMM ceiling's row count are measured in. */
    int tokenCount();
}
