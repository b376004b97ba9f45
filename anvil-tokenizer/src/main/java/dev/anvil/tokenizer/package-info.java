/**
 * Tokenizers: byte-level BPE (GPT-2 / tiktoken semantics) and a character-level tokenizer for small experiments.
 *
 * <p>The flow: {@link dev.anvil.tokenizer.pretokenize} cuts UTF-8 bytes into pieces with a pattern (hand-written
 * scanners for GPT-2 and cl100k/Llama 3, regex otherwise); {@link dev.anvil.tokenizer.bpe} merges the bytes of
 * each piece by rank; {@link dev.anvil.tokenizer.BpeTokenizer} adds special-token policy, batches and decoding;
 * {@link dev.anvil.tokenizer.train} learns merges from a corpus; {@link dev.anvil.tokenizer.format} reads and
 * writes tiktoken rank files, Hugging Face {@code tokenizer.json} and GPT-2's {@code encoder.json}/{@code vocab.bpe};
 * {@link dev.anvil.tokenizer.Encodings} serves r50k/p50k/cl100k/o200k from the rank files inside jtokkit's jar.
 *
 * <p>Everything works on bytes, so text that is not valid UTF-8 is encoded and decoded byte-exactly; only
 * {@link dev.anvil.tokenizer.BpeTokenizer#decode(int[])} (to a String) replaces invalid sequences with U+FFFD.
 */
package dev.anvil.tokenizer;
