#!/bin/sh
# bench/ab.sh OLD NEW — two mxcp binaries side by side, in the same run, on
# the same project: tools/call of the trivial SQL tool over streamable HTTP
# (stateless, JSON; h2load over HTTP/1.1, CONNS connections, SECONDS each
# round, the binaries alternating for ROUNDS rounds so load from elsewhere
# falls on both), then sequential stdio round trips (bench/stdio_client.mjs).
# For a refactoring that must not cost speed: prints req/s per round, the
# medians and NEW/OLD.
# Usage: bench/ab.sh OLD NEW [SECONDS] [CONNS] [ROUNDS]
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/bench/lib.sh"
OLD=$(realpath "$1")
NEW=$(realpath "$2")
SECS=${3:-10}
CONNS=${4:-32}
ROUNDS=${5:-3}
need_h2load
scratch
mkdir -p "$HOME" "$TMP/p"
printf 'mxcp: 1\nproject: bench\nprofile: default\nprofiles:\n  default:\n    duckdb:\n      path: data/bench.duckdb\n' >"$TMP/p/mxcp-site.yml"
sh "$ROOT/bench/trivial_tool.sh" "$TMP/p"
cd "$TMP/p"
"$NEW" query "CREATE TABLE t AS SELECT 1 AS x" >/dev/null
printf '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"trivial","arguments":{"n":41}}}' >"$TMP/body.json"
PO=$(port)
"$OLD" serve --transport streamable-http --stateless --readonly --port "$PO" 2>"$TMP/old.log" &
pids="$pids $!"
PN=$(port)
"$NEW" serve --transport streamable-http --stateless --readonly --port "$PN" 2>"$TMP/new.log" &
pids="$pids $!"
wait_up "$PO"
wait_up "$PN"
load() {
	h2load --h1 -c"$CONNS" -D"$SECS" --warm-up-time=1 -d "$TMP/body.json" -H 'content-type: application/json' \
		-H 'accept: application/json, text/event-stream' "http://127.0.0.1:$1/mcp" |
		awk '/^finished in/ { for (i = 1; i <= NF; i++) if ($i ~ /req\/s/) { gsub(",", "", $(i-1)); print $(i-1) } }'
}
old_all=""
new_all=""
r=1
while [ $r -le "$ROUNDS" ]; do
	o=$(load "$PO")
	n=$(load "$PN")
	printf 'HTTP round %s: old %s req/s, new %s req/s\n' "$r" "$o" "$n"
	old_all="$old_all $o"
	new_all="$new_all $n"
	r=$((r + 1))
done
median() { echo "$@" | tr ' ' '\n' | grep . | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
mo=$(median $old_all)
mn=$(median $new_all)
awk -v o="$mo" -v n="$mn" 'BEGIN { printf "HTTP median: old %.0f, new %.0f req/s, new/old %.3f\n", o, n, n / o }'
for p in $pids; do kill $p 2>/dev/null || true; done
wait 2>/dev/null || true
pids=""
if [ -d "$ROOT/tests/e2e/node_modules/@modelcontextprotocol/sdk" ]; then
	so=$(node "$ROOT/bench/stdio_client.mjs" calls "$SECS" . "$OLD" serve --transport stdio --readonly)
	sn=$(node "$ROOT/bench/stdio_client.mjs" calls "$SECS" . "$NEW" serve --transport stdio --readonly)
	awk -v o="$so" -v n="$sn" 'BEGIN { printf "stdio trivial calls: old %s/s, new %s/s, new/old %.3f\n", o, n, n / o }'
fi
