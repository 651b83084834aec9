#!/bin/sh
# bench/h2load_stall.sh — many keep-alive clients at once against `mxcp
# serve --transport streamable-http` on the seeded example: h2load opens
# CONNS HTTP/1.1 connections together and sends REQUESTS GET /health in
# all. libmicrohttpd with a single epoll thread stalls under this load (the
# reason mxcp runs a pool of HTTP threads); a stall shows as h2load not
# finishing within the time limit, or as failed requests. Then one
# tools/call, to see the server still serves. Prints h2load's summary.
# Exit 0 when every request succeeded, 1 otherwise.
# Usage: bench/h2load_stall.sh [CONNS] [REQUESTS] [LIMIT_SECONDS]   (MXCP=… for another binary)
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/bench/lib.sh"
CONNS=${1:-256}
REQUESTS=${2:-30000}
LIMIT=${3:-60}
MXCP=$(realpath "${MXCP:-$ROOT/build/mxcp}")
need_h2load
TMP=$(mktemp -d)
pid=""
trap '[ -z "$pid" ] || kill $pid 2>/dev/null || true; rm -rf "$TMP"' EXIT
export HOME="$TMP/home"
mkdir -p "$HOME"
cp -R "$ROOT/examples" "$TMP/p"
rm -rf "$TMP/p/data"
cd "$TMP/p"
"$MXCP" query --file seed/seed.sql >/dev/null

PORT=$(port)
"$MXCP" serve --transport streamable-http --stateless --port "$PORT" 2>"$TMP/mxcp.log" &
pid=$!
wait_up "$PORT"

ok=1
timeout "$LIMIT" h2load --h1 -c"$CONNS" -n"$REQUESTS" "http://127.0.0.1:$PORT/health" >"$TMP/h2load.out" 2>&1 || ok=0
grep -E '^(finished in|requests:|status codes:)' "$TMP/h2load.out" || true
grep -q "$REQUESTS succeeded, 0 failed, 0 errored" "$TMP/h2load.out" || ok=0
[ $ok = 1 ] || { echo "h2load_stall: $CONNS clients x $REQUESTS requests did not all succeed within ${LIMIT} s" >&2; tail -20 "$TMP/h2load.out" >&2; }

answer=$(curl -sf -H 'content-type: application/json' -H 'accept: application/json, text/event-stream' \
	-d '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"order_count","arguments":{}}}' \
	"http://127.0.0.1:$PORT/mcp" || true)
case $answer in
*'"content":[{"type":"text","text":"2"}]'*) echo "tools/call after the load: answered" ;;
*) echo "h2load_stall: tools/call after the load: $answer" >&2; ok=0 ;;
esac
kill "$pid"
wait "$pid" || { echo "h2load_stall: mxcp did not exit cleanly" >&2; ok=0; }
pid=""
[ $ok = 1 ] && echo "h2load_stall: ok ($CONNS connections, $REQUESTS requests)"
[ $ok = 1 ]
