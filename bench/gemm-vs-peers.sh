#!/usr/bin/env bash
# Side-by-side SGEMM throughput: Anvil (bin/anvil bench gemm) against numpy's OpenBLAS (and
# libtorch through DJL when its runner is built), same shapes, same thread count, same method:
# a warm-up of WARMUP seconds, then the median of REPEATS timed calls. With ROUNDS > 1 every
# shape is measured ROUNDS times, alternating the engines, and the median of the rounds is shown,
# so background load hits both sides alike.
#
#   bench/gemm-vs-peers.sh                      # default shapes, 2 threads
#   THREADS=1 ROUNDS=3 bench/gemm-vs-peers.sh
#   SHAPES="512x512x512:NN 256x2304x768:NT" bench/gemm-vs-peers.sh   # MxNxK:layout
#   TORCH=0 bench/gemm-vs-peers.sh              # without libtorch (DJL, from the anvil-bench module)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
THREADS=${THREADS:-2}
ROUNDS=${ROUNDS:-1}
REPEATS=${REPEATS:-15}
WARMUP=${WARMUP:-2}
TORCH=${TORCH:-1}
# M×N×K:layout. NN is A·B, NT is A·Bᵀ (x·Wᵀ, PyTorch's Linear), TN is Aᵀ·B (the weight gradient).
SHAPES=${SHAPES:-"1024x1024x1024:NN 2048x2048x2048:NN 768x3072x768:NN 256x2304x768:NN 256x2304x768:NT 768x2304x256:TN"}

export OPENBLAS_NUM_THREADS=$THREADS OMP_NUM_THREADS=$THREADS MKL_NUM_THREADS=$THREADS

numpy_gflops() { # m n k layout
  python3 - "$@" "$REPEATS" "$WARMUP" <<'PY'
import sys, time
import numpy as np
m, n, k, layout, repeats, warmup = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], int(sys.argv[5]), float(sys.argv[6])
rng = np.random.default_rng(42)
# Stored exactly as Anvil's benchmark stores them; .T views make numpy call sgemm with the
# transpose flags instead of copying.
A = rng.uniform(-1, 1, (k, m) if layout[0] == "T" else (m, k)).astype(np.float32)
B = rng.uniform(-1, 1, (n, k) if layout[1] == "T" else (k, n)).astype(np.float32)
a = A.T if layout[0] == "T" else A
b = B.T if layout[1] == "T" else B
c = np.empty((m, n), np.float32)
end = time.perf_counter() + warmup
while True:
    np.matmul(a, b, out=c)
    if time.perf_counter() >= end:
        break
ts = []
for _ in range(repeats):
    t0 = time.perf_counter()
    np.matmul(a, b, out=c)
    ts.append(time.perf_counter() - t0)
ts.sort()
print(f"{2.0 * m * n * k / ts[len(ts) // 2] / 1e9:.1f}")
PY
}

anvil_gflops() { # m n k layout
  "$ROOT/bin/anvil" --threads "$THREADS" bench gemm --m "$1" --n "$2" --k "$3" --layout "$4" \
      --repeats "$REPEATS" --warmup-seconds "$WARMUP" --json \
    | python3 -c 'import json,sys; print("%.1f" % json.loads(sys.stdin.read().strip().splitlines()[-1])["gflops"])'
}

BENCH_TARGET="$ROOT/anvil-bench/target"
torch_gflops() { # m n k layout
  local cp
  cp="$(ls "$BENCH_TARGET"/anvil-bench-*.jar | head -n 1):$(cat "$BENCH_TARGET/runtime-classpath.txt")"
  "$ANVIL_JAVA" --enable-native-access=ALL-UNNAMED -Dai.djl.offline=true -cp "$cp" dev.anvil.bench.TorchGemmBench \
      "$1" "$2" "$3" "$4" "$THREADS" "$REPEATS" "$WARMUP" 2>/dev/null | tail -n 1
}

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{v[NR]=$1} END {print (NR ? v[int((NR + 1) / 2)] : "")}'; }

# Build once up front so the first timed run does not include compilation.
"$ROOT/bin/anvil" --help >/dev/null
if [ "$TORCH" = 1 ]; then
  # shellcheck source=../bin/find-jdk.sh
  source "$ROOT/bin/find-jdk.sh"; anvil_find_jdk; ANVIL_JAVA="$ANVIL_JAVA_HOME/bin/java"
  [ -f "$BENCH_TARGET/runtime-classpath.txt" ] \
    || (cd "$ROOT" && JAVA_HOME=$ANVIL_JAVA_HOME ./mvnw -q -B -DskipTests -pl anvil-bench -am package)
fi

echo "SGEMM, $THREADS threads, median of $REPEATS calls after ${WARMUP}s warm-up, median of $ROUNDS round(s); $(date -u +%FT%TZ)"
echo
echo "| shape (M×N×K) | layout | Anvil GFLOP/s | OpenBLAS (numpy) GFLOP/s | Anvil / OpenBLAS | libtorch GFLOP/s |"
echo "|---|---|---:|---:|---:|---:|"
for spec in $SHAPES; do
  dims=${spec%%:*}; layout=${spec#*:}
  IFS=x read -r m n k <<<"$dims"
  ours=() peer=() torch=()
  for ((r = 0; r < ROUNDS; r++)); do
    ours+=("$(anvil_gflops "$m" "$n" "$k" "$layout")")
    peer+=("$(numpy_gflops "$m" "$n" "$k" "$layout")")
    if [ "$TORCH" = 1 ]; then torch+=("$(torch_gflops "$m" "$n" "$k" "$layout" || echo)"); fi
  done
  o=$(echo "${ours[*]}" | median); p=$(echo "${peer[*]}" | median)
  t=$( [ "$TORCH" = 1 ] && echo "${torch[*]}" | median || echo "—")
  ratio=$(awk -v o="$o" -v p="$p" 'BEGIN { printf "%.2f", o / p }')
  echo "| $m×$n×$k | $layout | $o | $p | $ratio | ${t:-—} |"
done
