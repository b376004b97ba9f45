# Sourced by bin/anvil and .ci/run: sets ANVIL_JAVA_HOME to a JDK 25 or newer, or fails clearly.
# Looks at $JAVA_HOME first, then the usual install locations, then the java on the PATH.

anvil_java_major() { # prints the feature version of the JDK at $1, or nothing
  local home=$1 v
  [ -x "$home/bin/java" ] && [ -x "$home/bin/javac" ] || return 0
  if [ -f "$home/release" ]; then
    v=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$home/release")
  fi
  if [ -z "${v:-}" ]; then
    v=$("$home/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = \([0-9]*\).*/\1/p')
  fi
  echo "${v:-}"
}

anvil_find_jdk() {
  local candidates=() c m
  [ -n "${JAVA_HOME:-}" ] && candidates+=("$JAVA_HOME")
  for c in /usr/lib/jvm/*25* /usr/lib/jvm/* /usr/java/* /opt/java/* /opt/jdk* /opt/*jdk* \
           "$HOME"/.sdkman/candidates/java/* "$HOME"/.jdks/* /Library/Java/JavaVirtualMachines/*/Contents/Home; do
    [ -d "$c" ] && candidates+=("$c")
  done
  if command -v java >/dev/null 2>&1; then
    c=$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")
    candidates+=("$c")
  fi
  for c in "${candidates[@]}"; do
    m=$(anvil_java_major "$c")
    if [ -n "$m" ] && [ "$m" -ge 25 ]; then
      ANVIL_JAVA_HOME=$c
      return 0
    fi
  done
  {
    echo "anvil: no JDK 25 or newer found."
    echo "  Looked at: JAVA_HOME (${JAVA_HOME:-unset}), /usr/lib/jvm, /usr/java, /opt, ~/.sdkman, ~/.jdks and the java on the PATH."
    echo "  Install a JDK 25 (for example Temurin 25) and set JAVA_HOME to it."
  } >&2
  return 1
}
