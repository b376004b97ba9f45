#!/usr/bin/env bash
# Fetches data/TestPlans.txt of npm gpt-tokenizer (golden ids produced by tiktoken) into the directory $1.
# Pinned version; npm checks the package integrity. Skips the fetch when the file is already there.
set -euo pipefail
VERSION=4.0.0
OUT=${1:?usage: fetch-gpt-tokenizer-test-plans.sh OUTPUT_DIR}
[ -s "$OUT/TestPlans.txt" ] && exit 0
if ! command -v npm >/dev/null 2>&1; then
  echo "fetch-gpt-tokenizer-test-plans: npm not found; GptTokenizerTestPlansTest will fail without $OUT/TestPlans.txt" >&2
  exit 0
fi
mkdir -p "$OUT"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
(cd "$TMP" && npm pack --silent "gpt-tokenizer@$VERSION" >/dev/null 2>"$TMP/npm.log") || { cat "$TMP/npm.log" >&2; exit 1; }
tar -xzf "$TMP"/gpt-tokenizer-"$VERSION".tgz -C "$TMP" package/data/TestPlans.txt
mv "$TMP/package/data/TestPlans.txt" "$OUT/TestPlans.txt"
