#!/bin/sh
# bench/audit_calls.sh — the latency the audit trail adds to a call: the
# same `mxcp serve --transport stdio` on the same generated project, with
# audit off (MXCP_AUDIT_ENABLED=0) and on (=1: default path, fsync
# interval), sequential tools/call round trips on the `trivial` tool (SELECT
# $n + 1, so the server and the audit path are measured, not DuckDB), in the
# same run, alternating off/on ROUNDS times; prints calls/s and µs per call
# for each, the median per mode, and the difference per call. The writer's
# sustained records/s is bench/audit_bench.c.
# Usage: bench/audit_calls.sh [SECONDS] [ROUNDS]   (MXCP=… for another binary)
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SECS=${1:-5}
ROUNDS=${2:-3}
MXCP=${MXCP:-$ROOT/build/mxcp}
E2E=$ROOT/tests/e2e
if [ ! -d "$E2E/node_modules/@modelcontextprotocol/sdk" ]; then
	(cd "$E2E" && npm install --no-audit --no-fund --no-save --loglevel=error)
fi
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
export HOME="$TMP/home"
mkdir -p "$HOME"
sh "$ROOT/bench/gen_project.sh" "$TMP/proj" 20 >/dev/null
sh "$ROOT/bench/trivial_tool.sh" "$TMP/proj"
cd "$TMP/proj"
"$MXCP" query "CREATE TABLE items AS SELECT range AS id, 'item' || range AS name, range % 100 AS score FROM range(1000)" >/dev/null
CLIENT="node $ROOT/bench/stdio_client.mjs"
off="" on=""
i=0
while [ "$i" -lt "$ROUNDS" ]; do
	a=$(MXCP_AUDIT_ENABLED=0 $CLIENT calls "$SECS" . "$MXCP" serve --transport stdio)
	b=$(MXCP_AUDIT_ENABLED=1 $CLIENT calls "$SECS" . "$MXCP" serve --transport stdio)
	printf 'round %d: audit off %s calls/s, audit on %s calls/s\n' "$((i + 1))" "$a" "$b"
	off="$off $a" on="$on $b"
	i=$((i + 1))
done
records=$(wc -l <audit/logs-default.jsonl 2>/dev/null || echo 0)
median() { printf '%s\n' $1 | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
moff=$(median "$off")
mon=$(median "$on")
awk -v a="$moff" -v b="$mon" -v r="$records" 'BEGIN {
	printf "median: audit off %d calls/s (%.1f us/call), audit on %d calls/s (%.1f us/call)\n", a, 1e6 / a, b, 1e6 / b
	printf "audit adds %.1f us per call (%d records written)\n", 1e6 / b - 1e6 / a, r
}'
