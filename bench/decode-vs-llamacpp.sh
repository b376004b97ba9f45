#!/usr/bin/env bash
# Prefill and decode speed side by side: Anvil's InferenceSession against llama.cpp (java-llama.cpp's
# bundled CPU natives, in the same JVM) on the same GGUF F32 file: a random-weight Llama in llama2.c's
# stories15M and stories110M shapes, same prompt tokens, same thread count, alternating runs,
# medians. llama.cpp's figures are its own timings, which its native code prints to stderr: stderr
# goes to a log file the program reads. See dev.anvil.bench.DecodeVsLlamaCpp.
#
#   bench/decode-vs-llamacpp.sh
#   SHAPES="stories110m" THREADS=2 PROMPT=128 DECODE=128 RUNS=5 WARMUP=5 bench/decode-vs-llamacpp.sh
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
THREADS=${THREADS:-2}
PROMPT=${PROMPT:-128}
DECODE=${DECODE:-128}
RUNS=${RUNS:-5}
WARMUP=${WARMUP:-5}
SHAPES=${SHAPES:-"stories15m stories110m"}
CORPUS=${CORPUS:-$ROOT/../shared/data/tinyshakespeare.txt}

# shellcheck source=../bin/find-jdk.sh
source "$ROOT/bin/find-jdk.sh"
anvil_find_jdk || exit 1
export JAVA_HOME=$ANVIL_JAVA_HOME

(cd "$ROOT" && ./mvnw -q -B -DskipTests -Dmaven.javadoc.skip=true -pl anvil-bench -am package) >/dev/null
BENCH_TARGET="$ROOT/anvil-bench/target"
cp="$BENCH_TARGET/classes:$(cat "$BENCH_TARGET/runtime-classpath.txt")"
# Under target/, not /tmp: files in a shared /tmp were seen disappearing mid-run.
LOG="$BENCH_TARGET/llamacpp-stderr.log"
trap 'rm -f "$LOG"' EXIT
echo "$(date -u '+%Y-%m-%d %H:%M UTC'); load average $(cut -d' ' -f1-3 /proc/loadavg)"
for shape in $SHAPES; do
  : >"$LOG"
  "$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xss4m -XX:+UseParallelGC \
      -cp "$cp" dev.anvil.bench.DecodeVsLlamaCpp "$CORPUS" "$THREADS" "$LOG" "$shape" "$PROMPT" "$DECODE" "$RUNS" "$WARMUP" 2>>"$LOG" \
    || { grep -v -E "^(srv|slot|llama|load|print_info|common|build|system|main)" "$LOG" | tail -20 >&2; exit 1; }
done
