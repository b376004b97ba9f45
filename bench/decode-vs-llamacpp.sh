#!/usr/bin/env bash
# Prefill and decode speed side by side: Anvil's InferenceSession against llama.cpp (java-llama.cpp's
# bundled CPU natives, in the same JVM) on the same GGUF F32 file: a random-weight Llama in
# llama2.c's stories15M shape (dim 288, 6 layers, 6 heads, vocab 32000, context 256), same prompt
# tokens, same thread count, alternating runs, medians. See dev.anvil.bench.DecodeVsLlamaCpp.
#
#   bench/decode-vs-llamacpp.sh
#   THREADS=2 PROMPT=128 DECODE=128 RUNS=5 bench/decode-vs-llamacpp.sh
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
THREADS=${THREADS:-2}
PROMPT=${PROMPT:-128}
DECODE=${DECODE:-128}
RUNS=${RUNS:-5}
CORPUS=${CORPUS:-$ROOT/../shared/data/tinyshakespeare.txt}

# shellcheck source=../bin/find-jdk.sh
source "$ROOT/bin/find-jdk.sh"
anvil_find_jdk || exit 1
export JAVA_HOME=$ANVIL_JAVA_HOME

(cd "$ROOT" && ./mvnw -q -B -DskipTests -Dmaven.javadoc.skip=true -pl anvil-bench -am package) >/dev/null
BENCH_TARGET="$ROOT/anvil-bench/target"
cp="$BENCH_TARGET/classes:$(cat "$BENCH_TARGET/runtime-classpath.txt")"
"$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xss4m \
    -cp "$cp" dev.anvil.bench.DecodeVsLlamaCpp "$CORPUS" "$THREADS" "$PROMPT" "$DECODE" "$RUNS" 2> >(grep -v -E "^(WARNING|srv|slot|main|llama|load|print_info|init|common|build|system|prompt eval|       eval|      total)" >&2)
