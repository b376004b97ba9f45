/**
 * The compute kernels: plain static methods over {@code float[]} arrays with explicit offsets and
 * shapes, vectorised with the Vector API and spread over the {@link dev.anvil.core.compute.ComputePool}.
 *
 * <p>Conventions shared by every kernel:
 * <ul>
 *   <li>Activations are row-major {@code [B, T, C]} (batch, time, channels), flattened to
 *       {@code N = B·T} rows where the op is per-row.</li>
 *   <li>Weights follow PyTorch's layout ({@code Linear} weight is {@code [OC, C]}), so checkpoints
 *       move to and from Hugging Face without transposes.</li>
 *   <li>Forward kernels overwrite their outputs. Backward kernels <b>accumulate</b> ({@code +=})
 *       into every gradient they write, so fan-out in a graph needs no extra buffers; zero
 *       gradients before a step.</li>
 *   <li>A gradient argument may be {@code null} when that gradient is not needed.</li>
 *   <li>Bad shapes or offsets throw {@link IllegalArgumentException} naming the op and shapes.</li>
 * </ul>
 */
package dev.anvil.core.kernels;
