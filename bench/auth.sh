#!/bin/sh
# bench/auth.sh — what authentication costs over streamable HTTP: the full
# issuer flow (/authorize → first successful tool call, official MCP SDK
# client, a real OpenID Connect provider), the added cost per authenticated
# call (issuer: token lookup; verifier: JWT check with cached keys) and
# calls/s with auth off, issuer and verifier, in the same run
# (bench/auth.mjs does the work; h2load drives the load).
# Usage: bench/auth.sh [SECONDS] [CONNS] [FLOWS]   (MXCP=… for another binary)
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SECS=${1:-10}
CONNS=${2:-32}
FLOWS=${3:-5}
export MXCP=$(realpath "${MXCP:-$ROOT/build/mxcp}")
command -v h2load >/dev/null || { echo "bench: h2load is required (apt-get install nghttp2-client)" >&2; exit 2; }
E2E=$ROOT/tests/e2e
[ -d "$E2E/node_modules/oidc-provider" ] || (cd "$E2E" && npm install --no-audit --no-fund --no-save --loglevel=error)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
export HOME="$TMP/home"
mkdir -p "$HOME" "$TMP/p"
cat >"$TMP/p/mxcp-site.yml" <<YML
mxcp: 1
project: bench
profile: default
profiles:
  default:
    duckdb:
      path: data/bench.duckdb
YML
sh "$ROOT/bench/trivial_tool.sh" "$TMP/p"
(cd "$TMP/p" && "$MXCP" query "CREATE TABLE t AS SELECT 1 AS x" >/dev/null)
NPROC=$(nproc) node "$ROOT/bench/auth.mjs" "$TMP/p" "$SECS" "$CONNS" "$FLOWS" 2>&1 | grep -v '^oidc-provider \(WARNING\|NOTICE\)\|development-only\|ttl.IdToken'
