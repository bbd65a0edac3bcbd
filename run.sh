#!/usr/bin/env bash
# tinyp2p launcher.
#   ./run.sh [vert.x launcher options]   build if needed, start a node from conf.json
#   ./run.sh -conf config/node1.json     start a node from another config
#   ./run.sh keygen                      print {"secret": ..., "peerId": ...}
#   ./run.sh peer-id SECRET              print the PeerId of a secret
#   ./run.sh daemon [-listen ...] [-dht]  a node driven over the libp2p daemon control protocol
#                                        (flags as go-libp2p-daemon's p2pd; -help lists them)
#   ./run.sh test                        run every test (./mvnw verify)
#   ./run.sh bench [--only=...] [--no-js] the benchmarks, Java and js-libp2p side by side
# Needs a JDK >= 21: JAVA_HOME if it is one, else the default java if it is one, else the
# newest JDK >= 21 under /usr/lib/jvm.
set -euo pipefail
cd "$(dirname "$0")"

java_major() { # prints the feature version of the java binary $1
  "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p' | head -1
}

find_jdk() {
  local candidate
  for candidate in "${JAVA_HOME:-}" "$(dirname "$(dirname "$(readlink -f "$(command -v java || echo /nonexistent)")")")"; do
    if [[ -n "$candidate" && -x "$candidate/bin/java" && -x "$candidate/bin/javac" ]] \
        && (( $(java_major "$candidate/bin/java") >= 21 )); then
      echo "$candidate"; return 0
    fi
  done
  local best="" best_version=0 v
  for candidate in /usr/lib/jvm/*/; do
    candidate="${candidate%/}"
    [[ -x "$candidate/bin/java" && -x "$candidate/bin/javac" ]] || continue
    v=$(java_major "$candidate/bin/java")
    if (( v >= 21 && v > best_version )); then best="$candidate"; best_version=$v; fi
  done
  [[ -n "$best" ]] || { echo "run.sh: no JDK >= 21 found (set JAVA_HOME)" >&2; return 1; }
  echo "$best"
}

JAVA_HOME="$(find_jdk)"
export JAVA_HOME
JAR=target/tinyp2p-0.1.0-SNAPSHOT-fat.jar

if [[ "${1:-}" == "test" ]]; then
  shift
  rm -f target/test-figures.txt
  status=0
  ./mvnw -B verify "$@" || status=$?
  if [[ -f target/test-figures.txt ]]; then
    echo "---- figures reported by the reliability tests ----"
    cat target/test-figures.txt
  fi
  exit $status
fi

if [[ "${1:-}" == "bench" ]]; then
  # The benchmarks (src/bench/java) are not in the node's jars: they compile with the tests and
  # run from target/test-classes on the test classpath Maven writes to target/bench.classpath.
  shift
  CP_FILE=target/bench.classpath
  if [[ ! -f "$CP_FILE" || ! -d target/test-classes/io/tinyp2p/bench \
        || -n "$(find src pom.xml -newer "$CP_FILE" -type f -print -quit)" ]]; then
    ./mvnw -q -B -DskipTests test-compile dependency:build-classpath \
      -Dmdep.outputFile="$CP_FILE" -Dmdep.includeScope=test >&2
    touch "$CP_FILE"
  fi
  exec "$JAVA_HOME/bin/java" -Xmx4g ${JAVA_OPTS:-} \
    -cp "target/test-classes:target/classes:$(cat "$CP_FILE")" io.tinyp2p.bench.Bench "$@"
fi

# Rebuild when any source is newer than the jar.
if [[ ! -f "$JAR" || -n "$(find src pom.xml -newer "$JAR" -type f -print -quit)" ]]; then
  ./mvnw -q -B -DskipTests package >&2
fi

if [[ $# -eq 0 ]]; then
  set -- -conf conf.json
fi
EXTRA=()
for arg in "$@"; do
  if [[ "$arg" == "-cluster" && "${JAVA_OPTS:-}" != *vertx.hazelcast.config* ]]; then
    # one-machine cluster over 127.0.0.1; see config/cluster.xml
    EXTRA+=(-Dvertx.hazelcast.config=config/cluster.xml)
  fi
  if [[ "$arg" == "-cluster" ]]; then
    # what Hazelcast asks for on modern JDKs
    EXTRA+=(--add-modules java.se --add-exports java.base/jdk.internal.ref=ALL-UNNAMED
            --add-opens java.base/java.lang=ALL-UNNAMED --add-opens java.base/sun.nio.ch=ALL-UNNAMED
            --add-opens java.management/sun.management=ALL-UNNAMED
            --add-opens jdk.management/com.sun.management.internal=ALL-UNNAMED)
  fi
done
exec "$JAVA_HOME/bin/java" ${JAVA_OPTS:-} "${EXTRA[@]}" -jar "$JAR" "$@"
