#!/bin/sh
# bench/many_sessions.sh — many clients at once: SESSIONS (1,000) stateful
# sessions over streamable HTTP, each calling the trivial SQL tool once a
# second for SECONDS (60), through 64 keep-alive connections
# (bench/sessions_client.mjs). Reports errors (must be 0), the calls' p50 /
# p99 / max latency, the achieved call rate, and mxcp's RSS idle, with every
# session open, at the end, and per session.
# Usage: bench/many_sessions.sh [SESSIONS] [SECONDS]   (MXCP=… for another binary)
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/bench/lib.sh"
SESSIONS=${1:-1000}
SECS=${2:-60}
MXCP=$(realpath "${MXCP:-$ROOT/build/mxcp}")
TMP=$(mktemp -d)
pid=""
trap '[ -z "$pid" ] || kill $pid 2>/dev/null || true; rm -rf "$TMP"' EXIT
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
cd "$TMP/p"
"$MXCP" query "CREATE TABLE t AS SELECT 1 AS x" >/dev/null
PORT=$(port)
"$MXCP" serve --transport streamable-http --readonly --port "$PORT" --max-sessions $((SESSIONS * 2)) \
	>"$TMP/mxcp.out" 2>"$TMP/mxcp.log" &
pid=$!
wait_up "$PORT"
rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$pid/status"; }
idle=$(rss_kb)
PAUSE_FILE="$TMP/open" node "$ROOT/bench/sessions_client.mjs" "http://127.0.0.1:$PORT/mcp" "$SESSIONS" "$SECS" >"$TMP/result.json" 2>"$TMP/client.log" &
cpid=$!
until [ -f "$TMP/open" ] || ! kill -0 $cpid 2>/dev/null; do sleep 0.1; done
open=$(rss_kb)
peak=0
while kill -0 $cpid 2>/dev/null; do
	r=$(rss_kb)
	[ "$r" -gt "$peak" ] && peak=$r
	sleep 1
done
wait $cpid || true
endr=$(rss_kb)
hwm=$(awk '/^VmHWM/ { print $2 }' "/proc/$pid/status")
printf '%s sessions, one call each per second for %s s, %s CPUs, load average %s\n' "$SESSIONS" "$SECS" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"
cat "$TMP/result.json"
awk -v i="$idle" -v o="$open" -v p="$peak" -v e="$endr" -v h="$hwm" -v n="$SESSIONS" 'BEGIN {
	printf "RSS: idle %.1f MB, sessions open %.1f MB (%.1f KB per session), peak under the calls %.1f MB (VmHWM %.1f), at the end %.1f MB\n",
		i / 1024, o / 1024, (o - i) / n, p / 1024, h / 1024, e / 1024 }'
grep -q '"errors":0' "$TMP/result.json" || { echo "bench: errors" >&2; exit 1; }
