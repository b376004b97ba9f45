#!/usr/bin/env bash
# Fuzzy dedup end to end, side by side in one JVM on the same JSONL files: Anvil's local executor
# (minhash_dedup, FineWeb's 14 bands x 8 rows) against Spark MLlib's MinHashLSH in local[2] mode
# (approxSimilarityJoin at Jaccard distance 0.2, then connected components). Europarl with planted
# near-duplicates; recall and precision against exact-Jaccard ground truth; alternating rounds,
# medians. See dev.anvil.spark.DedupVsSparkMinHashLsh.
#
#   bench/dedup-vs-spark.sh
#   DOCS=6000 ROUNDS=3 TABLES=14 bench/dedup-vs-spark.sh
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DOCS=${DOCS:-6000}
ROUNDS=${ROUNDS:-3}
TABLES=${TABLES:-14}

# shellcheck source=../bin/find-jdk.sh
source "$ROOT/bin/find-jdk.sh"
anvil_find_jdk || exit 1
export JAVA_HOME=$ANVIL_JAVA_HOME

TARGET="$ROOT/anvil-spark/target"
(cd "$ROOT" && ./mvnw -q -B -DskipTests -pl anvil-spark -am test-compile \
    dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$TARGET/test-classpath.txt") >/dev/null
cp="$TARGET/test-classes:$TARGET/classes:$(cat "$TARGET/test-classpath.txt")"
# Spark's JDK 17+ flags (the list its launcher adds), as the anvil-spark tests use them.
SPARK_FLAGS=$(sed -n 's:.*<spark.jvm.flags>\(.*\)</spark.jvm.flags>.*:\1:p' "$ROOT/anvil-spark/pom.xml")
# shellcheck disable=SC2086
"$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED $SPARK_FLAGS \
    -Xmx8g -XX:+UseParallelGC -Dlog4j2.configurationFile="$ROOT/anvil-spark/src/test/resources/log4j2-test.properties" \
    -cp "$cp" dev.anvil.spark.DedupVsSparkMinHashLsh "$DOCS" "$ROUNDS" "$TABLES" 2> >(grep -v -E "^WARNING" >&2)
