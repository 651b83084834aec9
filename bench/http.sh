#!/bin/sh
# bench/http.sh — throughput and latency of tools/call over streamable HTTP
# (stateless, JSON responses) for `mxcp serve --transport streamable-http
# --stateless` against the official TypeScript SDK's streamable HTTP server
# with @duckdb/node-api (bench/peer/http_server.mjs), same project, same run.
# Load: h2load (Debian nghttp2-client) over HTTP/1.1, CONNS connections for
# SECONDS (after a 2 s warm-up), requests each a POST of the same tools/call body on the trivial SQL
# tool (SELECT $n + 1). Prints req/s, p50/p99 latency (h2load's per-request
# latency histogram needs --log-file: percentiles come from that) and ratios.
# Usage: bench/http.sh [SECONDS] [CONNS]   (MXCP=… for another binary;
# MXCP_DUCKDB_THREADS=N sets DuckDB's threads in mxcp, the peer and the floor; floor1 always has one)
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/bench/lib.sh"
SECS=${1:-20}
CONNS=${2:-64}
MXCP=$(realpath "${MXCP:-$ROOT/build/mxcp}")
need_h2load
e2e_modules
scratch
mkdir -p "$HOME" "$TMP/p/tools"
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
cd "$TMP/p"
"$MXCP" query "CREATE TABLE t AS SELECT 1 AS x" >/dev/null
printf '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"trivial","arguments":{"n":41}}}' >"$TMP/body.json"


P1=$(port)
"$MXCP" serve --transport streamable-http --stateless --readonly --port "$P1" 2>"$TMP/mxcp.log" &
pids="$pids $!"
PID1=$!
P2=$(port)
node "$ROOT/bench/peer/http_server.mjs" . "$P2" 2>"$TMP/peer.log" &
pids="$pids $!"
PID2=$!
FLOOR=${FLOOR:-$ROOT/build/floor_http}
P3=$(port)
"$FLOOR" data/bench.duckdb "$P3" 2>"$TMP/floor.log" &
pids="$pids $!"
PID3=$!
# The floor again with one DuckDB thread: no DuckDB background thread is
# woken per query — what mxcp's thread lending gives a short query — so
# mxcp/floor1 is what mxcp itself adds.
P4=$(port)
MXCP_DUCKDB_THREADS=1 "$FLOOR" data/bench.duckdb "$P4" 2>"$TMP/floor1.log" &
pids="$pids $!"
PID4=$!
wait_up "$P1" health
wait_up "$P2" none
wait_up "$P3" none
wait_up "$P4" none
rss() { awk '/^VmRSS/ { printf "%.1f", $2 / 1024 }' /proc/$1/status; }
hwm() { awk '/^VmHWM/ { printf "%.1f", $2 / 1024 }' /proc/$1/status; }

# A sanity call through each, then the load.
for p in $P1 $P2 $P3 $P4; do
	curl -sf -H 'content-type: application/json' -H 'accept: application/json, text/event-stream' \
		--data-binary @"$TMP/body.json" "http://127.0.0.1:$p/mcp" | grep -q '"text":"42"' ||
		{ echo "bench: tools/call failed on port $p" >&2; cat "$TMP"/*.log >&2; exit 1; }
done
load() { # port name → "req/s p50ms p99ms"
	h2load --h1 -c"$CONNS" -D"$SECS" --warm-up-time=2 -d "$TMP/body.json" -H 'content-type: application/json' \
		-H 'accept: application/json, text/event-stream' --log-file="$TMP/$2.log" \
		"http://127.0.0.1:$1/mcp" >"$TMP/$2.out"
	grep -q " 0 failed, 0 errored" "$TMP/$2.out" || grep "requests:" "$TMP/$2.out" >&2
	rps=$(awk '/^finished in/ { gsub(",", ""); print $4 }' "$TMP/$2.out")
	# log: start time, status, latency in microseconds
	cut -f3 "$TMP/$2.log" | sort -n | awk -v r="$rps" '{ a[NR] = $1 } END { printf "%s %.2f %.2f\n", r, a[int(NR * 0.5)] / 1000, a[int(NR * 0.99)] / 1000 }'
}
idle1=$(rss $PID1)
idle2=$(rss $PID2)
idle3=$(rss $PID3)
idle4=$(rss $PID4)
ours=$(load "$P1" mxcp)
peer=$(load "$P2" peer)
floor=$(load "$P3" floor)
floor1=$(load "$P4" floor1)
printf 'tools/call over streamable HTTP (stateless, JSON), %s s, %s connections, %s CPUs, DuckDB threads %s\n' \
	"$SECS" "$CONNS" "$(nproc)" "${MXCP_DUCKDB_THREADS:-default}"
printf '  %-6s %10s req/s   p50 %6s ms   p99 %6s ms\n' mxcp $ours peer $peer floor $floor floor1 $floor1
printf 'RSS idle / peak under load (MB): mxcp %s / %s, peer %s / %s, floor %s / %s, floor1 %s / %s\n' \
	"$idle1" "$(hwm $PID1)" "$idle2" "$(hwm $PID2)" "$idle3" "$(hwm $PID3)" "$idle4" "$(hwm $PID4)"
set -- $floor
fl=$1
set -- $floor1
fl1=$1
set -- $ours $peer
awk -v a="$1" -v f="$fl" 'BEGIN { printf "ratio req/s mxcp/floor: %.2f (floor: bare libmicrohttpd + the same prepared DuckDB statement)\n", a / f }'
awk -v a="$1" -v f="$fl1" 'BEGIN { printf "ratio req/s mxcp/floor1: %.2f (the floor with one DuckDB thread)\n", a / f }'
awk -v a="$1" -v b="$4" 'BEGIN { printf "ratio req/s mxcp/peer: %.1fx\n", a / b }'
awk -v a="$2" -v b="$5" -v c="$3" -v d="$6" 'BEGIN { printf "ratio latency peer/mxcp: p50 %.1fx, p99 %.1fx\n", a ? b / a : 0, c ? d / c : 0 }'
