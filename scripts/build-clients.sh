#!/usr/bin/env bash
# Build the real-client harnesses the gateway tests run: tests/jvm (clickhouse-jdbc, one build
# per driver line, into tests/jvm/target/<version>/) and tests/go. Skips a build that is up to date; fetches
# dependencies once (Maven Central into ~/.m2, the Go module proxy into the module cache).
set -euo pipefail
cd "$(dirname "$0")/.."
JDBC_VERSIONS=(0.9.8 0.10.0)

command -v java >/dev/null || { echo "build-clients: java 17 or newer is required" >&2; exit 1; }
command -v mvn >/dev/null || { echo "build-clients: Maven (mvn) is required" >&2; exit 1; }
for version in "${JDBC_VERSIONS[@]}"; do
    out=tests/jvm/target/$version
    if [ -f "$out/classpath.txt" ] && [ -f "$out/harness.jar" ] \
        && [ -z "$(find tests/jvm/pom.xml tests/jvm/src -newer "$out/harness.jar" -type f)" ]; then
        continue  # up to date
    fi
    mvn=(mvn -q -B -f tests/jvm/pom.xml "-Djdbc.version=$version" package)
    if ! "${mvn[@]}" -o >/dev/null 2>&1; then  # offline first: dependencies already in ~/.m2
        if ! "${mvn[@]}" >&2; then
            echo "build-clients: cannot build tests/jvm with clickhouse-jdbc $version: is Maven" \
                "Central (repo.maven.apache.org) reachable?" >&2
            exit 1
        fi
    fi
done

# tests/go (clickhouse-go v2, pinned by go.mod and go.sum) into tests/go/bin/harness
command -v go >/dev/null || { echo "build-clients: Go is required" >&2; exit 1; }
binary=tests/go/bin/harness
if [ ! -x "$binary" ] || [ -n "$(find tests/go -name '*.go' -newer "$binary" -o -name 'go.*' -newer "$binary")" ]; then
    if ! (cd tests/go && go build -o bin/harness .) >&2; then
        echo "build-clients: cannot build tests/go: is the Go module proxy (proxy.golang.org) reachable?" >&2
        exit 1
    fi
fi
