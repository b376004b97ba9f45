package dev.anvil.model.exec;

import dev.anvil.model.ModelConfig;

/**
 * The operations a transformer is written in, over activations of type {@code A} (rows of
 * features: [rows, width]). The model's forward is written once against this interface
 * ({@link dev.anvil.model.TransformerBody}); an executor decides what a call does:
 * <ul>
 *   <li>{@link TapeOps} records it on the autograd tape over fixed [B, T] windows (training,
 *       evaluation, the libtorch pin);</li>
 *   <li>{@link DirectOps} runs the kernels straight away over the rows of a batched engine step —
 *       chunks of several sequences at their own positions — with a paged KV cache (inference).</li>
 * </ul>
 * Weights are named by their checkpoint tensor names ({@link dev.anvil.model.TransformerLayout});
 * the executor resolves a name to a tape variable or a {@link dev.anvil.core.tensor.Weight} of any
 * dtype. Model code never sees a kernel, so another backend is another executor.
 *
 * <p>Where the executors differ in substance is only inside {@link #attention} (the tape attends
 * within each window; the engine appends keys and values to each sequence's cache and attends to
 * everything cached) and {@link #rope} / {@link #addPositionEmbedding} (positions are the window's
 * 0…T−1 or each row's position in its sequence).
 */
public interface Ops<A> {

    /** Rows of the token embedding table for the step's input tokens: [rows, C]. */
    A tokenEmbedding(String table);

    /** {@code x + table[position of each row]}: GPT-2's learned positions. */
    A addPositionEmbedding(A x, String table);

    /**
     * {@code x · Wᵀ + b} for the named weight (bias may be null), then whatever
     * {@link LinearAttachment}s are attached to that weight's name (an adapter adds its output).
     */
    A linear(A x, String weight, String bias);

    A layerNorm(A x, String weight, String bias, float eps);

    A rmsNorm(A x, String weight, float eps);

    /** GELU in the config's form (tanh approximation or erf). */
    A gelu(A x, ModelConfig.Activation form);

    /** silu(gate) · up, element-wise. */
    A swiglu(A gate, A up);

    A add(A a, A b);

    A scale(A x, float s);

    /** Inverted dropout with a mask derived from {@code seed}; inference executors pass x through. */
    A dropout(A x, float p, long seed);

    /** Column blocks of x (a fused projection's parts). */
    A[] split(A x, int... widths);

    /** Rotary embedding of x = [rows, heads·D] at each row's position. */
    A rope(A x, int heads);

    /**
     * Causal attention of layer {@code layer}: q = [rows, H·D], k and v = [rows, Hkv·D]; returns
     * [rows, H·D]. Each row attends to the keys at or before its own position in its sequence.
     */
    A attention(int layer, A q, A k, A v, int heads, int kvHeads);

    /**
     * Marks the end of a block: {@code x}, the residual stream, is the only activation of the block
     * that is used afterwards, so an executor may recycle the block's intermediates (the engine's
     * scratch then holds one block's activations, not every layer's). The tape returns x.
     */
    A blockOutput(A x);

    /** The given rows of x (e.g. the last token of each sequence, for a head). */
    A rows(A x, int[] rowIndices);
}
