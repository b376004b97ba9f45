#!/usr/bin/env bash
# Throughput of the default pipeline (`anvil data clean`: normalize, language id, Gopher/C4/FineWeb
# filters, PII, exact + MinHash dedup) on ~150 MB of real text (bench/data-corpus.sh), with 1 and 2
# threads in the same run; prints MB/s and MB/s per core (input bytes / wall time / threads), and
# MB per CPU-second (input bytes / (user + sys) time), which a loaded machine distorts less.
# Usage: bench/data-throughput.sh [threads...]   (default: 1 2)
#   ANVIL_DATA_CORPUS=DIR reads DIR instead (e.g. a sample, when the machine is too loaded for 150 MB)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CORPUS=${ANVIL_DATA_CORPUS:-$("$ROOT/bench/data-corpus.sh")}
BASE=${ANVIL_DATA_BENCH:-/tmp/anvil-data-bench}
THREADS=("${@:-1 2}")
# shellcheck disable=SC2206
THREADS=(${THREADS[*]})
"$ROOT/bin/anvil" --version >/dev/null 2>&1 || true # builds the CLI first, outside the timing
echo "corpus: $(du -sb "$CORPUS" | cut -f1) bytes in $(find "$CORPUS" -type f | wc -l) files; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
for t in "${THREADS[@]}"; do
  out="$BASE/out-$t"
  rm -rf "$out"
  start=$(date +%s.%N)
  /usr/bin/time -f "%M %U %S" -o "$BASE/rss-$t" "$ROOT/bin/anvil" --threads "$t" data clean --input "$CORPUS" --output "$out" \
    > "$BASE/log-$t" 2>/dev/null
  end=$(date +%s.%N)
  bytes=$(jq .input_bytes "$out/stats.json")
  docs=$(jq '.steps.read.docs_out' "$out/stats.json")
  kept=$(jq '.steps.write.docs_out' "$out/stats.json")
  awk -v b="$bytes" -v s="$start" -v e="$end" -v t="$t" -v d="$docs" -v k="$kept" -v m="$(cat "$BASE/rss-$t")" -v load="$(cut -d' ' -f1 /proc/loadavg)" 'BEGIN {
    split(m, r, " "); w = e - s; cpu = r[2] + r[3]
    printf "threads %d: %.1f MB in %.1f s = %.2f MB/s, %.2f MB/s per core; %.0f CPU s = %.2f MB per CPU-second; %d documents read, %d kept; peak RSS %.0f MB; load %s\n",
      t, b / 1e6, w, b / 1e6 / w, b / 1e6 / w / t, cpu, b / 1e6 / cpu, d, k, r[1] / 1024, load }'
done
echo "per-step table of the last run:"
sed -n '/^step/,/bad inputs/p' "$BASE/log-${THREADS[-1]}"
