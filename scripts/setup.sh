#!/usr/bin/env bash
# Installs everything cobuild needs from the project's own files, on a fresh machine:
# uv (from PyPI), the locked Python environment, and the Neo4j launcher (from Maven Central).
# Safe to run again: each step is skipped when already up to date.
set -euo pipefail
cd "$(dirname "$0")/.."

UV_VERSION=0.13.9

if ! python3 -m uv --version >/dev/null 2>&1; then
  echo "==> installing uv ${UV_VERSION}"
  python3 -m pip install --quiet --disable-pip-version-check "uv==${UV_VERSION}"
fi

echo "==> Python environment (uv sync --frozen)"
python3 -m uv sync --frozen --quiet

jar=launcher/target/cobuild-neo4j.jar
if [ ! -f "$jar" ] || [ -n "$(find launcher/pom.xml launcher/src -newer "$jar" -print -quit)" ]; then
  echo "==> building the Neo4j 5.26 launcher (Maven; first run downloads Neo4j)"
  mvn -q -B -f launcher/pom.xml package -DskipTests
fi

audit=tests/api/http_audit
if [ ! -d "$audit/node_modules/graphql-http" ] || [ "$audit/package-lock.json" -nt "$audit/node_modules" ]; then
  echo "==> GraphQL-over-HTTP audit suite (npm ci)"
  npm ci --prefix "$audit" --no-audit --no-fund --silent
fi
