/**
 * Optimizers over the flat {@link dev.anvil.core.tensor.ParameterBuffer}: AdamW and SGD (each
 * formula as PyTorch's), parameter groups with their own weight decay, global-norm gradient
 * clipping and learning-rate schedules. Optimizer state exports as float arrays plus a step count
 * for checkpoints.
 */
package dev.anvil.core.optim;
