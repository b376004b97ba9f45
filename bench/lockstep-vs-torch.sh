#!/usr/bin/env bash
# Anvil's training against PyTorch, step for step: the shakespeare-char recipe's model trained
# from the same initial weights on the same batches by torch (bench/lockstep_torch.py, plain torch
# ops and torch.optim.AdamW) and by Anvil (dev.anvil.bench.TrainLockstep); prints both per-step
# losses, the largest difference, and both whole-val-split losses at the end.
#
#   bench/lockstep-vs-torch.sh                              # both families, seed 1337, 2000 steps
#   MODELS="recipes/models/shakespeare-char.yaml" SEED=7 STEPS=200 bench/lockstep-vs-torch.sh
#   FLOAT64=1 bench/lockstep-vs-torch.sh    # also torch in float64: how far float32 rounding alone
#                                           # moves each float32 run from the exact trajectory
#
# Needs a python3 with torch (Debian: apt-get install python3-torch); nothing is installed here.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SEED=${SEED:-1337}
STEPS=${STEPS:-2000}
export THREADS=${THREADS:-2}
MODELS=${MODELS:-"recipes/models/shakespeare-char-gpt2.yaml recipes/models/shakespeare-char.yaml"}
CORPUS=${CORPUS:-$ROOT/../shared/data/tinyshakespeare.txt}
PYTHON=${PYTHON:-python3}
"$PYTHON" -c "import torch" 2>/dev/null || PYTHON=/usr/bin/python3
"$PYTHON" -c "import torch" 2>/dev/null || { echo "no python3 with torch (Debian: apt-get install python3-torch)" >&2; exit 1; }

# shellcheck source=../bin/find-jdk.sh
source "$ROOT/bin/find-jdk.sh"
anvil_find_jdk || exit 1
export JAVA_HOME=$ANVIL_JAVA_HOME
(cd "$ROOT" && ./mvnw -q -B -DskipTests -Dmaven.javadoc.skip=true -pl anvil-bench -am package) >/dev/null
BENCH_TARGET="$ROOT/anvil-bench/target"
cp="$BENCH_TARGET/classes:$(cat "$BENCH_TARGET/runtime-classpath.txt")"

echo "$(date -u '+%Y-%m-%d %H:%M UTC'); seed $SEED, $STEPS steps, $THREADS threads; torch $("$PYTHON" -c 'import torch; print(torch.__version__)')"
for model in $MODELS; do
  yaml="$ROOT/$model"
  family=$(sed -n 's/^family: *//p' "$yaml")
  dff=$(sed -n 's/^d_ff: *//p' "$yaml"); [ -n "$dff" ] || dff=512
  tied=$(sed -n 's/^tie_embeddings: *//p' "$yaml"); [ -n "$tied" ] || tied=true
  work="$BENCH_TARGET/lockstep/$(basename "$model" .yaml)-$SEED"
  rm -rf "$work" && mkdir -p "$work"
  echo "== $model ($family)"
  "$PYTHON" "$ROOT/bench/lockstep_torch.py" "$family" "$CORPUS" "$work" "$SEED" "$STEPS" "$dff" "$tied" | grep -v "^torch step" || true
  if [ -n "${FLOAT64:-}" ]; then
    DTYPE=float64 "$PYTHON" "$ROOT/bench/lockstep_torch.py" "$family" "$CORPUS" "$work" "$SEED" "$STEPS" "$dff" "$tied" | grep -v "^torch step" || true
  fi
  "$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector -XX:+UseParallelGC \
      -cp "$cp" dev.anvil.bench.TrainLockstep "$work" "$yaml" "$STEPS" "$THREADS" 2>/dev/null | grep -v "^anvil step"
done
