#!/usr/bin/env bash
# Installs everything cobuild needs from the project's own files, on a fresh machine:
# uv (from PyPI), the locked Python environment, the Neo4j launcher (from Maven Central),
# Chromium (Debian), the explorer page (npm) and the benchmarks' @neo4j/graphql peer (npm).
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

peers=bench/peers
if [ ! -d "$peers/node_modules/@neo4j/graphql" ] || [ "$peers/package-lock.json" -nt "$peers/node_modules" ]; then
  echo "==> the @neo4j/graphql peer of the benchmarks (npm ci)"
  npm ci --prefix "$peers" --no-audit --no-fund --silent
fi

# Debian's Chromium (and CJK fonts, so screenshots show Chinese) for the browser tests.
if [ ! -x /usr/bin/chromium ] || ! fc-list :lang=zh 2>/dev/null | grep -q .; then
  echo "==> Chromium and CJK fonts for the browser tests (apt)"
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends chromium fonts-noto-cjk
fi

# The explorer page (web/): dependencies from its lock, then the build FastAPI serves at /.
if [ ! -d web/node_modules/sigma ] || [ web/package-lock.json -nt web/node_modules ]; then
  echo "==> explorer page dependencies (npm ci)"
  npm ci --prefix web --no-audit --no-fund --silent
fi
if [ ! -f web/dist/index.html ] \
  || [ -n "$(find web/src web/index.html web/package-lock.json web/vite.config.ts web/tsconfig.json -newer web/dist/index.html -print -quit)" ]; then
  echo "==> building the explorer page (tsc + vite)"
  npm run build --prefix web --silent
fi
