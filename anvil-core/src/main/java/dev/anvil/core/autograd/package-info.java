/**
 * Reverse-mode automatic differentiation over coarse ops: a {@link dev.anvil.core.autograd.Tape}
 * records one backward closure per kernel call (linear, norm, attention, cross-entropy, …) and
 * replays them in reverse. New model families and objectives (LoRA adapters, reward heads, DPO,
 * RL losses) are written as ordinary forward code against the tape, without touching kernels.
 *
 * <p>A training step reads like this:
 * <pre>{@code
 * tape.reset();                                   // recycle last step's activation buffers
 * Arrays.fill(grads.data(), 0f);
 * Var logits = model.forward(tape, params, tokens);
 * Var loss = tape.crossEntropy(logits, targets, 0, IGNORE);
 * tape.backward(loss);                            // parameter gradients land in `grads`
 * clip; optimizer.step(schedule.at(step));
 * }</pre>
 */
package dev.anvil.core.autograd;
