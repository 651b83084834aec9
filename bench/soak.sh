#!/bin/sh
# bench/soak.sh — resident memory of `mxcp serve --transport streamable-http
# --stateless` under sustained load on the bundled example's
# `search_products` tool (examples/, copied and seeded in a scratch folder).
# Records the idle RSS, loads the server with h2load (Debian nghttp2-client)
# over HTTP/1.1, CONNS connections for SECONDS, every request the same
# stateless tools/call answered as JSON, and samples every STEP seconds:
# VmRSS, VmHWM and RssAnon (/proc/PID/status; the rest of RSS is mapped
# files, libduckdb's code mostly), mxcp's own live heap
# (mxcp_alloc_live_bytes on /metrics) and DuckDB's buffers (duckdb_memory(),
# through a tool added to the scratch copy only). Prints idle, peak (VmHWM),
# final (SETTLE seconds after the load), peak/idle and the calls served.
# Not part of the tests.
# Usage: bench/soak.sh [SECONDS] [CONNS]   (defaults 180 and 32; CALLS=N
# runs N calls instead of SECONDS, the same work whatever the machine's
# load; STEP=5, SETTLE=5; MXCP=… for another binary; the environment reaches
# the server, so MALLOC_ARENA_MAX=2 bench/soak.sh measures that variant,
# MXCP_DUCKDB_PURGE_GROWTH=0 the server without its buffer-pool purge, and
# MXCP_CONFIG=FILE a user config, e.g. `transport: {workers: 8}`)
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/bench/lib.sh"
SECS=${1:-180}
CONNS=${2:-32}
STEP=${STEP:-5}
SETTLE=${SETTLE:-5}
MXCP=$(realpath "${MXCP:-$ROOT/build/mxcp}")
need_h2load
TMP=$(mktemp -d)
pid=""
lpid=""
trap 'for p in $lpid $pid; do kill $p 2>/dev/null || true; done; rm -rf "$TMP"' EXIT
export HOME="$TMP/home"
mkdir -p "$HOME"
cp -R "$ROOT/examples" "$TMP/p"
rm -rf "$TMP/p/data" "$TMP/p/audit"
# The SQL half of the example only: its Python tool and plugin would load the
# interpreter, whose memory would pad the idle RSS the ratio divides by.
rm -rf "$TMP/p/python" "$TMP/p/plugins" "$TMP/p/tools/recommend_products.yml"
sed -i '/^# SQL functions written in Python/,$d' "$TMP/p/mxcp-site.yml"
cat >"$TMP/p/tools/soak_duckdb_memory.yml" <<'YML'
mxcp: 1
tool:
  name: soak_duckdb_memory
  description: Bytes held by DuckDB's buffer manager (bench/soak.sh only).
  return:
    type: integer
  source:
    code: SELECT coalesce(sum(memory_usage_bytes), 0)::BIGINT AS n FROM duckdb_memory()
YML
cd "$TMP/p"
"$MXCP" query --file seed/seed.sql >/dev/null
printf '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"search_products","arguments":{"query":"o","max_price":500}}}' >"$TMP/body.json"
printf '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"soak_duckdb_memory","arguments":{}}}' >"$TMP/mem.json"

PORT=$(port)
URL="http://127.0.0.1:$PORT"
"$MXCP" serve --transport streamable-http --stateless --readonly --port "$PORT" 2>"$TMP/mxcp.log" &
pid=$!
wait_up "$PORT"
call() { # body file → the answer
	curl -sf -H 'content-type: application/json' -H 'accept: application/json, text/event-stream' \
		--data-binary @"$1" "$URL/mcp"
}
call "$TMP/body.json" | grep -q 'product_id' ||
	{ echo "soak: search_products failed" >&2; cat "$TMP/mxcp.log" >&2; exit 1; }
mb() { awk -v k="$1" '$1 == k ":" { printf "%.1f", $2 / 1024 }' /proc/$pid/status; }
heap() { curl -s "$URL/metrics" | awk '/^mxcp_alloc_live_bytes / { printf "%.1f", $2 / 1048576 }'; }
ddb() { call "$TMP/mem.json" | sed -n 's/.*"text":"\([0-9]*\)".*/\1/p' | awk '{ printf "%.1f", $1 / 1048576 }'; }
sleep 1
idle=$(mb VmRSS)
printf 'soak: search_products over streamable HTTP (stateless, JSON), %s, %s connections, %s CPUs\n' \
	"$(if [ -n "${CALLS:-}" ]; then echo "$CALLS calls"; else echo "$SECS s"; fi)" "$CONNS" "$(nproc)"
row() { printf '%6s %9s %9s %9s %9s %9s\n' "$1" "$(mb VmRSS)" "$(mb VmHWM)" "$(mb RssAnon)" "$(heap)" "$(ddb)"; }
printf '%6s %9s %9s %9s %9s %9s\n' 's' 'RSS MB' 'HWM MB' 'anon MB' 'heap MB' 'duckdb MB'
row idle
cpu() { awk '{ print $14 + $15 }' /proc/$pid/stat; } # clock ticks
cpu0=$(cpu)
if [ -n "${CALLS:-}" ]; then amount="-n$CALLS"; else amount="-D$SECS"; fi
h2load --h1 -c"$CONNS" $amount -d "$TMP/body.json" -H 'content-type: application/json' \
	-H 'accept: application/json, text/event-stream' "$URL/mcp" >"$TMP/h2load.out" 2>&1 &
lpid=$!
t=0
while kill -0 $lpid 2>/dev/null; do
	sleep "$STEP"
	t=$((t + STEP))
	kill -0 $lpid 2>/dev/null || break
	row "$t"
done
wait $lpid || { cat "$TMP/h2load.out" >&2; exit 1; }
lpid=""
cpu1=$(cpu)
sleep "$SETTLE"
final=$(mb VmRSS)
peak=$(mb VmHWM)
row final
grep -q " 0 failed, 0 errored" "$TMP/h2load.out" || grep "requests:" "$TMP/h2load.out" >&2
calls=$(awk '/^requests:/ { print $8 }' "$TMP/h2load.out")
rps=$(awk '/^finished in/ { gsub(",", ""); print $4 }' "$TMP/h2load.out")
us=$(awk -v t=$((cpu1 - cpu0)) -v hz="$(getconf CLK_TCK)" -v n="$calls" 'BEGIN { printf "%.0f", t / hz * 1e6 / n }')
printf 'RSS idle %s MB, peak %s MB, final %s MB; peak/idle %s; %s calls served (%s req/s, %s us CPU per call)\n' \
	"$idle" "$peak" "$final" "$(awk -v a="$peak" -v b="$idle" 'BEGIN { printf "%.2f", a / b }')" \
	"$calls" "$rps" "$us"
