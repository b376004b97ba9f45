/**
 * Seeded, splittable, exactly restorable random numbers for initialisation, sampling and data
 * order: {@link dev.anvil.core.random.Rng}.
 */
package dev.anvil.core.random;
