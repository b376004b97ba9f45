#!/usr/bin/env bash
# Encode throughput, Anvil vs jtokkit (same JVM, same text, alternating rounds, medians).
# Usage: bench/tokenizer-encode.sh [encoding=cl100k_base] [rounds=7]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
source "$ROOT/bin/find-jdk.sh"
anvil_find_jdk
export JAVA_HOME=$ANVIL_JAVA_HOME
(cd "$ROOT" && ./mvnw -q -B -DskipTests -pl anvil-bench -am package dependency:build-classpath \
   -Dmdep.outputFile=target/bench-classpath.txt -Dmdep.includeScope=runtime >/dev/null)
CP="$ROOT/anvil-bench/target/classes:$ROOT/anvil-tokenizer/target/classes:$(cat "$ROOT/anvil-bench/target/bench-classpath.txt")"
SHARED="$ROOT/../shared/data"
[ -d "$SHARED" ] || SHARED=/work/shared/data
exec "$JAVA_HOME/bin/java" -Xmx4g -XX:+UseParallelGC -cp "$CP" dev.anvil.bench.tokenizer.EncodeThroughputBench "${1:-cl100k_base}" "${2:-7}" "$SHARED" "$ROOT"
