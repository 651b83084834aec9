#!/bin/sh
# bench/big_results.sh — a tool returning 10,000 / 100,000 / 1,000,000 rows
# (id BIGINT, name VARCHAR, score DOUBLE) over streamable HTTP (stateless,
# JSON), mxcp against the TypeScript SDK peer (bench/peer/rows_server.mjs,
# same reply shape: one text block per row plus structuredContent). For
# each size, one call: the time until the whole answer is read, its size or
# the error, and the server's peak RSS (VmHWM; sizes run in ascending order,
# each server is restarted per size so every peak is that size's own).
# A server killed (out of memory) is reported as such.
# Usage: bench/big_results.sh [SIZES...]   (MXCP=… for another binary; the
# mxcp limits through MXCP_SQL_MAX_ROWS / MXCP_SQL_MAX_BYTES)
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/bench/lib.sh"
MXCP=$(realpath "${MXCP:-$ROOT/build/mxcp}")
[ $# -gt 0 ] || set -- 10000 100000 1000000
e2e_modules
TMP=$(mktemp -d)
pid=""
trap '[ -z "$pid" ] || kill $pid 2>/dev/null || true; rm -rf "$TMP"' EXIT
export HOME="$TMP/home"
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
cat >"$TMP/p/tools/rows.yml" <<'YML'
mxcp: 1
tool:
  name: rows
  description: N rows.
  parameters:
    - name: n
      type: integer
      description: How many rows
  return:
    type: array
    items:
      type: object
      properties:
        id: {type: integer}
        name: {type: string}
        score: {type: number}
  source:
    code: SELECT range AS id, 'item' || range AS name, range / 2 AS score FROM range($n)
YML
cd "$TMP/p"
"$MXCP" query "CREATE TABLE t AS SELECT 1 AS x" >/dev/null
mb() { awk -v k="$2" '$1 == k":" { printf "%.1f", $2 / 1024 }' /proc/$1/status; }

one() { # name n → "seconds bytes peakMB idleMB outcome"
	P=$(port)
	if [ "$1" = mxcp ]; then
		"$MXCP" serve --transport streamable-http --stateless --readonly --port "$P" >"$TMP/$1.out" 2>"$TMP/$1.log" &
		pid=$!
		wait_up "$P" health
	else
		node "$ROOT/bench/peer/rows_server.mjs" . "$P" 2>"$TMP/$1.log" &
		pid=$!
		wait_up "$P" none
	fi
	idle=$(mb $pid VmRSS)
	printf '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"rows","arguments":{"n":%s}}}' "$2" >"$TMP/body.json"
	# VmHWM sampled while the call runs too: a killed server has no /proc entry left.
	( peak=0; while kill -0 $pid 2>/dev/null; do
		h=$(awk '$1 == "VmHWM:" { print $2 }' /proc/$pid/status 2>/dev/null || echo 0)
		[ "${h:-0}" -gt "$peak" ] && peak=$h && echo "$peak" >"$TMP/peak"
		sleep 0.05; done ) &
	sampler=$!
	echo 0 >"$TMP/peak"
	t=$(curl -s -o "$TMP/out.json" -w '%{time_total} %{size_download}' -H 'content-type: application/json' \
		-H 'accept: application/json, text/event-stream' --data-binary @"$TMP/body.json" "http://127.0.0.1:$P/mcp" || echo "- 0")
	sleep 0.2
	if kill -0 $pid 2>/dev/null; then
		peak=$(mb $pid VmHWM)
		if grep -q '"isError":true' "$TMP/out.json" 2>/dev/null; then
			outcome="error: $(grep -o '"text":"[^"]*' "$TMP/out.json" | head -1 | cut -c9-120)"
		elif grep -q '"error"' "$TMP/out.json" 2>/dev/null; then
			outcome="error: $(head -c 160 "$TMP/out.json")"
		else
			outcome="ok"
		fi
		kill $pid
	else
		peak=$(awk '{ printf "%.1f", $1 / 1024 }' "$TMP/peak")
		outcome="server died ($(tail -1 "$TMP/$1.log" | cut -c1-80))"
	fi
	wait $pid 2>/dev/null || true
	kill $sampler 2>/dev/null || true
	wait $sampler 2>/dev/null || true
	pid=""
	echo "$t $peak $idle $outcome"
}
printf 'big results over streamable HTTP, %s CPUs, load average %s\n' "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-5s %9s %9s %12s %9s %8s  %s\n' server rows seconds bytes "peak MB" "idle MB" outcome
for n in "$@"; do
	for s in mxcp peer; do
		set -- $(one $s $n)
		t=$1 b=$2 pk=$3 id=$4
		shift 4
		printf '%-5s %9s %9s %12s %9s %8s  %s\n' $s $n $t $b $pk $id "$*"
	done
done
