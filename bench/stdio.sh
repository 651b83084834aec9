#!/bin/sh
# bench/stdio.sh — `mxcp serve --transport stdio` against a peer written with
# the official TypeScript SDK (bench/peer/server.mjs: McpServer +
# @duckdb/node-api), on the same generated project, in the same run:
#   * cold start: spawn → initialize + tools/list written at once → the
#     tools/list answer arrives (median of RUNS launches);
#   * tools/call round trips per second, sequential, for SECONDS seconds, on
#     a trivial SQL tool (`trivial`: SELECT $n + 1, one integer parameter, so
#     the servers are measured, not DuckDB) and on a generated tool (tool_0:
#     a filtered, sorted scan of 1000 rows, LIMIT 1; ~1 ms of DuckDB work).
# The project holds N endpoints: N-1 generated tools plus `trivial`.
# The measuring client (bench/stdio_client.mjs) speaks raw JSON-RPC lines, so
# it costs the same for both servers. Ratios are printed at the end.
# Usage: bench/stdio.sh [N_TOOLS] [RUNS] [SECONDS]
#   (needs a release build in build/, MXCP=… to use another binary, and the
#    npm packages of tests/e2e: `sh tests/e2e/run.sh` installs them)
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
N=${1:-200}
RUNS=${2:-10}
SECS=${3:-5}
MXCP=${MXCP:-$ROOT/build/mxcp}
E2E=$ROOT/tests/e2e
if [ ! -d "$E2E/node_modules/@modelcontextprotocol/sdk" ]; then
	(cd "$E2E" && npm install --no-audit --no-fund --no-save --loglevel=error)
fi
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
export HOME="$TMP/home"
mkdir -p "$HOME"
sh "$ROOT/bench/gen_project.sh" "$TMP/p" $((N - 1))
sh "$ROOT/bench/trivial_tool.sh" "$TMP/p"
cd "$TMP/p"
"$MXCP" query "CREATE TABLE items AS SELECT range AS id, 'item' || range AS name, random() * 100 AS score FROM range(1000)" >/dev/null

CLIENT="node $ROOT/bench/stdio_client.mjs"
set -- "$MXCP" serve --transport stdio
PEER="node $ROOT/bench/peer/server.mjs ."

ours_cold=$($CLIENT cold "$RUNS" . "$@")
peer_cold=$($CLIENT cold "$RUNS" . $PEER)
ours_calls=$($CLIENT calls "$SECS" . "$@")
peer_calls=$($CLIENT calls "$SECS" . $PEER)
ours_scan=$(TOOL=tool_0 $CLIENT calls "$SECS" . "$@")
peer_scan=$(TOOL=tool_0 $CLIENT calls "$SECS" . $PEER)

printf 'tools: %s, cold-start runs: %s, call seconds: %s, CPUs: %s\n' "$N" "$RUNS" "$SECS" "$(nproc)"
printf 'cold start to the whole tool list (median):\n'
printf '  mxcp: %s ms (%s tools listed)\n' ${ours_cold}
printf '  peer: %s ms (%s tools listed)\n' ${peer_cold}
printf 'tools/call round trips per second (sequential), trivial SQL tool:\n'
printf '  mxcp: %s/s\n  peer: %s/s\n' "$ours_calls" "$peer_calls"
printf 'tools/call round trips per second (sequential), tool_0 (1000-row scan):\n'
printf '  mxcp: %s/s\n  peer: %s/s\n' "$ours_scan" "$peer_scan"
awk -v a="${peer_cold% *}" -v b="${ours_cold% *}" 'BEGIN { printf "ratio cold start peer/mxcp: %.1fx\n", a / b }'
awk -v a="$ours_calls" -v b="$peer_calls" 'BEGIN { printf "ratio calls/s mxcp/peer (trivial): %.1fx\n", a / b }'
awk -v a="$ours_scan" -v b="$peer_scan" 'BEGIN { printf "ratio calls/s mxcp/peer (tool_0): %.1fx\n", a / b }'
