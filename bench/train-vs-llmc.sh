#!/usr/bin/env bash
# Training step time side by side: Anvil (bin/anvil bench train) against llm.c's CPU trainer
# train_gpt2.c (C + OpenMP), same model shapes, same batch, same thread count, alternating.
#
#   LLMC=/path/to/llm.c bench/train-vs-llmc.sh          # a checkout of github.com/karpathy/llm.c
#   ROUNDS=3 THREADS=2 LLMC=... bench/train-vs-llmc.sh
#
# llm.c is copied to a scratch directory and built there with its Makefile's flags
# (-Ofast -march=native -fopenmp); nothing of it enters this repository. Its main() hard-codes the
# checkpoint, B=4 and 40 steps with a validation pass and sampling between steps; the copy gets
# three environment overrides (CKPT, B, STEPS) and the validation/sampling branches switched off.
# Only llm.c's own "took X ms" per-step timing (forward + backward + AdamW) is used; its first 2
# steps (allocation, page faults) are dropped and the median is reported. Its checkpoints are random-initialized
# in its format (magic 20240326, version 3) by a small generator written here; its data file is
# Tiny Shakespeare as character tokens written by `anvil tokenize` (llm.c's shard format).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
THREADS=${THREADS:-2}
ROUNDS=${ROUNDS:-1}
: "${LLMC:?set LLMC to a checkout of karpathy/llm.c}"
CORPUS=${CORPUS:-$ROOT/../shared/data/tinyshakespeare.txt}
WORK=${WORK:-/tmp/anvil-llmc-bench}

mkdir -p "$WORK"
rm -rf "$WORK/llm.c" && mkdir -p "$WORK/llm.c" && (cd "$LLMC" && tar --exclude=.git -cf - .) | (cd "$WORK/llm.c" && tar -xf -)
cd "$WORK/llm.c"
sed -i 's|gpt2_build_from_checkpoint(&model, "gpt2_124M.bin");|gpt2_build_from_checkpoint(\&model, getenv("CKPT") ? getenv("CKPT") : "gpt2_124M.bin");|' train_gpt2.c
sed -i 's/    int B = 4; /    int B = getenv("B") ? atoi(getenv("B")) : 4; /' train_gpt2.c
sed -i 's/for (int step = 0; step <= 40; step++) {/int max_steps = getenv("STEPS") ? atoi(getenv("STEPS")) : 40; for (int step = 0; step <= max_steps; step++) {/' train_gpt2.c
sed -i 's/if (step > 0 \&\& step % 20 == 0) {/if (0) {/; s/if (step % 10 == 0) {/if (0) {/' train_gpt2.c
grep -q 'getenv("CKPT")' train_gpt2.c && grep -q 'getenv("STEPS")' train_gpt2.c && grep -q 'getenv("B")' train_gpt2.c \
  || { echo "train_gpt2.c did not take the patch (llm.c changed?)" >&2; exit 1; }
make -s train_gpt2 >/dev/null

cat > mkckpt.c <<'C'
/* A random-initialized GPT-2 checkpoint in llm.c's format: 256-int header, then all parameters. */
#include <stdio.h>
#include <stdlib.h>
int main(int argc, char **argv) {
  int maxT = atoi(argv[2]), V = atoi(argv[3]), L = atoi(argv[4]), NH = atoi(argv[5]), C = atoi(argv[6]), Vp = atoi(argv[7]);
  int h[256] = {0}; h[0] = 20240326; h[1] = 3; h[2] = maxT; h[3] = V; h[4] = L; h[5] = NH; h[6] = C; h[7] = Vp;
  size_t perLayer = (size_t)C * (2 + 3 * C + 3 + C + 1 + 2 + 4 * C + 4 + 4 * C + 1);
  size_t n = (size_t)Vp * C + (size_t)maxT * C + L * perLayer + 2 * (size_t)C;
  FILE *f = fopen(argv[1], "wb"); fwrite(h, 4, 256, f);
  unsigned long long s = 42; float buf[4096];
  for (size_t i = 0; i < n;) {
    int k = 0;
    for (; k < 4096 && i < n; k++, i++) { s = s * 6364136223846793005ULL + 1442695040888963407ULL; buf[k] = ((float)((s >> 40) & 0xFFFFFF) / 16777216.0f - 0.5f) * 0.04f; }
    fwrite(buf, 4, k, f);
  }
  fclose(f); return 0;
}
C
cc -O2 -o mkckpt mkckpt.c
./mkckpt gpt2_124M.bin 1024 50257 12 12 768 50304
./mkckpt shakespeare_char.bin 64 65 4 4 128 65
mkdir -p dev/data/tinyshakespeare
if [ ! -f dev/data/tinyshakespeare/tiny_shakespeare_train.bin ]; then
  printf '{"type": "char", "chars": %s}\n' "$(python3 -c 'import json,sys; print(json.dumps("".join(sorted(set(open(sys.argv[1]).read())))))' "$CORPUS")" > "$WORK/char-tokenizer.json"
  "$ROOT/bin/anvil" tokenize --tokenizer "$WORK/char-tokenizer.json" --input "$CORPUS" --output "$WORK/shards" >/dev/null
  cp "$WORK/shards/train_000000.bin" dev/data/tinyshakespeare/tiny_shakespeare_train.bin
  cp "$WORK/shards/val_000000.bin" dev/data/tinyshakespeare/tiny_shakespeare_val.bin
fi

llmc_ms() { # checkpoint B steps
  OMP_NUM_THREADS=$THREADS CKPT=$1 B=$2 STEPS=$3 ./train_gpt2 | grep -o 'took [0-9.]* ms' | awk '{print $2}' | tail -n +3 | sort -n \
    | awk '{a[NR]=$1} END {printf "%.1f", a[int((NR+1)/2)]}'
}
anvil_ms() { # model B steps
  ANVIL_JAVA_OPTS="-Xmx6g" "$ROOT/bin/anvil" --threads "$THREADS" bench train --model "$1" --batch "$2" --seq 64 --steps "$3" --warmup 5 \
    | sed -n 's/^median \([0-9.]*\) ms.*/\1/p'
}

printf '%-28s %6s %14s %14s %8s\n' model B "llm.c ms/step" "Anvil ms/step" speedup
for round in $(seq "$ROUNDS"); do
  for spec in "shakespeare_char.bin $ROOT/recipes/models/shakespeare-char-gpt2.yaml 12 30" "gpt2_124M.bin gpt2 4 ${GPT2_STEPS:-5}"; do
    set -- $spec
    peer=$(llmc_ms "$1" "$3" $(( $4 + 1 )))
    ours=$(anvil_ms "$2" "$3" "$4")
    printf '%-28s %6s %14s %14s %7.1fx\n' "$(basename "$1" .bin)" "$3" "$peer" "$ours" "$(echo "$peer / $ours" | bc -l)"
  done
done
