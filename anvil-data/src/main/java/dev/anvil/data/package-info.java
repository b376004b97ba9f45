/**
 * The corpus pipeline: raw files in many formats ({@code read}) become {@link dev.anvil.data.Document}s
 * that are normalized and redacted ({@code clean}), judged by quality and language rules
 * ({@code filter}), deduplicated exactly and by MinHash LSH ({@code dedup}) and written as bounded
 * {@code jsonl.zst} shards ({@code write}), with counts for every step ({@code stats}). A pipeline is
 * defined in YAML or Java ({@code pipeline}) and run by an executor ({@code exec}).
 */
package dev.anvil.data;
