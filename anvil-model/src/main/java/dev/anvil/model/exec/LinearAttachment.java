package dev.anvil.model.exec;

/**
 * An extra module attached to a model's {@code Linear} by the weight's name — the hook LoRA and
 * other adapters use. It sees the linear's input x and output y and returns the output the rest
 * of the model gets (LoRA: {@code y + (α/r)·(x·Aᵀ)·Bᵀ}). It is written against {@link Ops}, so it
 * runs on the tape (trained, with its own parameters, gradients and optimizer) and in the engine.
 * Its own tensors are resolved by the executor from the attachment's parameter names.
 */
public interface LinearAttachment {

    <A> A apply(Ops<A> ops, String weight, A x, A y);
}
