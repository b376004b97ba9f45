#!/usr/bin/env bash
# Prefill and decode speed side by side with native llama.cpp (llama-bench, built from its public
# source with -DGGML_NATIVE=ON), on the same GGUF files: random-weight Llamas in llama2.c's
# stories110M shape written by Anvil as F32, Q8_0 and Q4_0, plus llama.cpp's own Q4_0 made by
# llama-quantize from the F32 file (it keeps token_embd/output in Q6_K). Same thread count,
# 128-token prompt, 128 decoded tokens; llama-bench's mean of RUNS repetitions, Anvil's median of
# RUNS (bin/anvil bench decode maps each file and runs its matrices in the file's dtypes).
#
#   LLAMA_CPP=/tmp/llama.cpp/build/bin bench/decode-vs-llamacpp.sh
#   SHAPE=stories15m THREADS=2 PROMPT=128 DECODE=128 RUNS=5 bench/decode-vs-llamacpp.sh
#
# Build the peer first (outside the repository):
#   cmake -B build -DGGML_NATIVE=ON -DLLAMA_CURL=OFF -DCMAKE_BUILD_TYPE=Release && cmake --build build -j 2 --target llama-bench llama-quantize
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LLAMA_CPP=${LLAMA_CPP:-/tmp/llama.cpp/build/bin}
THREADS=${THREADS:-2}
PROMPT=${PROMPT:-128}
DECODE=${DECODE:-128}
RUNS=${RUNS:-5}
SHAPE=${SHAPE:-stories110m}
TYPES=${TYPES:-"f32 q8_0 q4_0"}
CORPUS=${CORPUS:-$ROOT/../shared/data/tinyshakespeare.txt}
[ -x "$LLAMA_CPP/llama-bench" ] || { echo "no llama-bench in $LLAMA_CPP (set LLAMA_CPP)" >&2; exit 1; }

# shellcheck source=../bin/find-jdk.sh
source "$ROOT/bin/find-jdk.sh"
anvil_find_jdk || exit 1
export JAVA_HOME=$ANVIL_JAVA_HOME
(cd "$ROOT" && ./mvnw -q -B -DskipTests -Dmaven.javadoc.skip=true -pl anvil-bench -am package) >/dev/null
BENCH_TARGET="$ROOT/anvil-bench/target"
cp="$BENCH_TARGET/classes:$(cat "$BENCH_TARGET/runtime-classpath.txt")"
# Under target/, not /tmp: files in a shared /tmp were seen disappearing mid-run.
DIR="$BENCH_TARGET/decode-vs-llamacpp"
mkdir -p "$DIR"
# shellcheck disable=SC2086
"$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector -cp "$cp" dev.anvil.bench.ShapeGguf "$CORPUS" "$SHAPE" "$DIR" $TYPES 2>/dev/null >/dev/null
files=()
for t in $TYPES; do files+=("$DIR/$SHAPE-$t.gguf"); done
if [ -f "$DIR/$SHAPE-f32.gguf" ]; then
  "$LLAMA_CPP/llama-quantize" "$DIR/$SHAPE-f32.gguf" "$DIR/$SHAPE-llamacpp-q4_0.gguf" q4_0 >/dev/null 2>&1
  files+=("$DIR/$SHAPE-llamacpp-q4_0.gguf")
fi

echo "$(date -u '+%Y-%m-%d %H:%M UTC'); $(lscpu | sed -n 's/^Model name: *//p'); load average $(cut -d' ' -f1-3 /proc/loadavg); $THREADS threads"
printf '%-28s %12s %12s %12s %12s %8s %8s\n' file "llama pp/s" "anvil pp/s" "llama tg/s" "anvil tg/s" prefill decode
for f in "${files[@]}"; do
  llama=$("$LLAMA_CPP/llama-bench" -m "$f" -p "$PROMPT" -n "$DECODE" -t "$THREADS" -r "$RUNS" -o json 2>/dev/null)
  anvil=$("$ROOT/bin/anvil" --threads "$THREADS" --json bench decode --model "$f" --prompt-tokens "$PROMPT" --decode-tokens "$DECODE" --runs "$RUNS" 2>/dev/null | tail -1)
  python3 - "$f" "$llama" "$anvil" <<'PY'
import json, os, sys
name, llama, anvil = os.path.basename(sys.argv[1]), json.loads(sys.argv[2]), json.loads(sys.argv[3])
pp = next(r["avg_ts"] for r in llama if r["n_prompt"] > 0 and r["n_gen"] == 0)
tg = next(r["avg_ts"] for r in llama if r["n_gen"] > 0 and r["n_prompt"] == 0)
ap, ad = anvil["prefill_tokens_per_second"], anvil["decode_tokens_per_second"]
print(f"{name:<28} {pp:12.1f} {ap:12.1f} {tg:12.1f} {ad:12.1f} {ap/pp:7.2f}x {ad/tg:7.2f}x   (anvil: {anvil['weights']}, {anvil['bandwidth_fraction']:.2f} of {anvil['memory_read_gb_per_second']:.1f} GB/s, peak RSS {anvil['peak_rss_mb']:.0f} MB)")
PY
done
