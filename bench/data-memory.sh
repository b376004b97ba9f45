#!/usr/bin/env bash
# The bounded-memory check: the default pipeline on a ~1 GB corpus with a 2 GB heap (-Xmx2g).
# The corpus is real text (Europarl + GCIDE from bench/data-corpus.sh, 61 MB) grown to ~1 GB with
# controlled duplication, 16 more copies in which every document is, in turn:
#   an exact copy (1 in 4)      -> exact dedup removes it
#   a near copy (1 in 4)        -> 2% of its words replaced; MinHash dedup should remove it
#   a recombination (1 in 2)    -> first half of one document + second half of another: new to both dedups
# Each copy is one ~60 MB JSONL file, so large files are also read as several tasks.
# Prints wall time, peak RSS, peak heap occupancy (from the GC log) and the per-step table.
# Usage: bench/data-memory.sh [copies=16] [threads=2] [pipeline=default|dedup]
#   default: `anvil data clean` (language id, quality filters, PII, exact + MinHash dedup)
#   dedup:   normalize, exact, MinHash and sentence-span dedup only: every document reaches the
#            corpus-wide dedup state, the part of the run whose memory grows with the corpus
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CORPUS=$("$ROOT/bench/data-corpus.sh")
BASE=$(dirname "$CORPUS")
COPIES=${1:-16}
THREADS=${2:-2}
PIPELINE=${3:-default}
BIG=$BASE/corpus-1g
if [ ! -f "$BIG/.complete-$COPIES" ]; then
  rm -rf "$BIG" && mkdir -p "$BIG"
  cat "$CORPUS/europarl.jsonl" "$CORPUS/gcide.jsonl" > "$BIG/copy-00.jsonl"
  python3 - "$BIG" "$COPIES" <<'PY'
import json, random, sys
big, copies = sys.argv[1], int(sys.argv[2])
# The sources hold a few lines that are not UTF-8 (real bad input): keep their bytes as they are.
docs = [json.loads(l)["text"] for l in open(f"{big}/copy-00.jsonl", encoding="utf-8", errors="surrogateescape")]
n = len(docs)
for k in range(1, copies + 1):
    rng = random.Random(k)
    with open(f"{big}/copy-{k:02d}.jsonl", "w", encoding="utf-8", errors="surrogateescape") as out:
        for i, text in enumerate(docs):
            r = rng.random()
            if r < 0.25:
                new = text
            elif r < 0.5:
                words = text.split(" ")
                for _ in range(max(1, len(words) // 50)):
                    words[rng.randrange(len(words))] = rng.choice(["alpha", "beta", "gamma", "delta"])
                new = " ".join(words)
            else:
                other = docs[(i * 7919 + k * 104729) % n]
                new = text[: len(text) // 2] + other[len(other) // 2 :]
            out.write(json.dumps({"text": new, "copy": k}, ensure_ascii=False) + "\n")
PY
  touch "$BIG/.complete-$COPIES"
fi
"$ROOT/bin/anvil" --version >/dev/null 2>&1 || true # build outside the timing
OUT=$BASE/out-1g
rm -rf "$OUT"
echo "corpus: $(du -sb "$BIG" | cut -f1) bytes in $COPIES+1 files; heap -Xmx2g; $THREADS threads; $PIPELINE pipeline; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
if [ "$PIPELINE" = dedup ]; then
  printf 'inputs: [%s]\noutput: %s\nsteps: [normalize, exact_dedup, minhash_dedup, sentence_dedup]\n' "$BIG" "$OUT" > "$BASE/dedup-1g.yaml"
  CMD=(data run "$BASE/dedup-1g.yaml")
else
  CMD=(data clean --input "$BIG" --output "$OUT")
fi
start=$(date +%s.%N)
ANVIL_JAVA_OPTS="-Xmx2g -Xlog:gc:file=$BASE/gc-1g.log" /usr/bin/time -f "%M %U %S" -o "$BASE/rss-1g" \
  "$ROOT/bin/anvil" --threads "$THREADS" "${CMD[@]}" > "$BASE/log-1g" 2>/dev/null
end=$(date +%s.%N)
peak_heap=$(grep -o '[0-9]*M->[0-9]*M' "$BASE/gc-1g.log" | cut -d'M' -f1 | sort -n | tail -1)
awk -v s="$start" -v e="$end" -v m="$(cat "$BASE/rss-1g")" -v heap="$peak_heap" -v b="$(jq .input_bytes "$OUT/stats.json")" -v t="$THREADS" 'BEGIN {
  split(m, r, " "); w = e - s; cpu = r[2] + r[3]
  printf "completed: %.0f MB in %.0f s (%.2f MB/s, %.2f MB/s per core; %.0f CPU s = %.2f MB per CPU-second); peak RSS %.0f MB; peak heap occupancy %s MB of 2048\n",
    b / 1e6, w, b / 1e6 / w, b / 1e6 / w / t, cpu, b / 1e6 / cpu, r[1] / 1024, heap }'
sed -n '/^step/,/bad inputs/p' "$BASE/log-1g"
