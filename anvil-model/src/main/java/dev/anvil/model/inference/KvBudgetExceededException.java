package dev.anvil.model.inference;

/** A step or a sequence would need more KV-cache memory than the engine's budget: refused with the numbers, before anything changed. */
public final class KvBudgetExceededException extends IllegalStateException {

    KvBudgetExceededException(String what, int blocksNeeded, KvBlockPool pool) {
        super(String.format(java.util.Locale.ROOT,
                "KV cache budget exceeded: %s needs %d more blocks of %d positions (%.1f MB) but only %d of %d are free (%.1f of %.1f MB in use); "
                        + "raise the KV budget or run fewer or shorter sequences",
                what, blocksNeeded, pool.blockSize(), blocksNeeded * pool.bytesPerBlock() / 1e6, pool.freeBlocks(), pool.maxBlocks(),
                pool.bytesInUse() / 1e6, pool.budgetBytes() / 1e6));
    }
}
