#!/bin/sh
# bench/session_soak.sh — memory of abandoned sessions: `mxcp serve
# --transport streamable-http` on the seeded example gets SESSIONS
# initialize requests whose sessions are never used again (h2load, 50
# connections), and the session reaper closes them after TIMEOUT seconds.
# RSS is read after a warm-up round of 1,000 sessions has been reaped
# (allocator arenas and libmicrohttpd's pools grown), at the peak, and
# after the big round has been reaped; it must come back within 6 MB of the
# baseline. Takes about 2 × TIMEOUT + a few seconds (85 s by default).
# Meaningless under ASan (its quarantine holds freed memory): use a release
# build. Exit 0 when RSS came back, 1 otherwise.
# Usage: bench/session_soak.sh [SESSIONS] [TIMEOUT]   (MXCP=… for another binary)
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/bench/lib.sh"
SESSIONS=${1:-10000}
TIMEOUT=${2:-40}
MXCP=$(realpath "${MXCP:-$ROOT/build/mxcp}")
need_h2load
if grep -q __asan_init "$MXCP"; then
	echo "bench: $MXCP is an ASan build; RSS says nothing there" >&2
	exit 2
fi
TMP=$(mktemp -d)
pid=""
trap '[ -z "$pid" ] || kill $pid 2>/dev/null || true; rm -rf "$TMP"' EXIT
export HOME="$TMP/home"
mkdir -p "$HOME"
cp -R "$ROOT/examples" "$TMP/p"
rm -rf "$TMP/p/data"
cd "$TMP/p"
"$MXCP" query --file seed/seed.sql >/dev/null
printf '%s' '{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"soak","version":"1"}}}' >"$TMP/init.json"

PORT=$(port)
"$MXCP" serve --transport streamable-http --port "$PORT" --session-timeout "$TIMEOUT" \
	--max-sessions $((SESSIONS * 2)) 2>"$TMP/mxcp.log" &
pid=$!
wait_up "$PORT"

sessions() { # N: open N sessions and abandon them
	h2load --h1 -c50 -n"$1" -d "$TMP/init.json" -H 'content-type: application/json' \
		-H 'accept: application/json, text/event-stream' "http://127.0.0.1:$PORT/mcp" >"$TMP/h2load.out" 2>&1
	grep -q "$1 succeeded, 0 failed, 0 errored" "$TMP/h2load.out" ||
		{ echo "bench: not every initialize succeeded" >&2; grep requests: "$TMP/h2load.out" >&2; exit 1; }
}
rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$pid/status"; }
mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

sessions 1000
sleep $((TIMEOUT + 2))
base=$(rss_kb)
sessions "$SESSIONS"
peak=$(rss_kb)
sleep $((TIMEOUT + 3))
end=$(rss_kb)
echo "rss: baseline $(mb "$base") MB, after $SESSIONS sessions $(mb "$peak") MB, after reaping $(mb "$end") MB"
kill "$pid"
wait "$pid" || { echo "session_soak: mxcp did not exit cleanly" >&2; exit 1; }
pid=""
if [ $((end - base)) -ge $((6 * 1024)) ]; then
	echo "session_soak: RSS grew by $(mb $((end - base))) MB after the sessions were reaped" >&2
	exit 1
fi
echo "session_soak: ok"
