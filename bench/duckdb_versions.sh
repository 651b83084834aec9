#!/bin/sh
# bench/duckdb_versions.sh OLD NEW — two mxcp binaries built against two
# DuckDB releases (or any two builds), side by side in the same run, the
# loads alternating so that load from elsewhere on the machine falls on both:
#   * idle RSS after start, and VmHWM after all the loads;
#   * streamable HTTP (stateless, JSON; h2load over HTTP/1.1), one tools/call
#     body per load: `trivial` (SELECT $n + 1) and `hello`
#     (SELECT 'Hello, ' || $name || '!') with CONNS connections, `agg` (a
#     GROUP BY over 1,000,000 rows, 100 groups) with ACONNS (4); req/s and
#     the server's CPU per call (user + system from /proc/PID/stat over the
#     load and its 2 s warm-up);
#   * stdio cold start over the 200-tool project of bench/gen_project.sh
#     (bench/stdio_client.mjs cold, median of RUNS launches).
# ROUNDS rounds; the order flips every round. Prints every round, then the
# medians and NEW/OLD. The database file is written by OLD and opened
# read-only by both.
# Usage: bench/duckdb_versions.sh OLD NEW [SECONDS] [CONNS] [ROUNDS] [RUNS]
#   e.g. bench/duckdb_versions.sh build/mxcp build15/mxcp 10 32 3 10
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/bench/lib.sh"
OLD=$(realpath "$1")
NEW=$(realpath "$2")
SECS=${3:-10}
CONNS=${4:-32}
ROUNDS=${5:-3}
RUNS=${6:-10}
ACONNS=${ACONNS:-4}
need_h2load
e2e_modules
scratch
mkdir -p "$HOME" "$TMP/p/tools"
printf 'mxcp: 1\nproject: bench\nprofile: default\nprofiles:\n  default:\n    duckdb:\n      path: data/bench.duckdb\n' \
	>"$TMP/p/mxcp-site.yml"
sh "$ROOT/bench/trivial_tool.sh" "$TMP/p"
cat >"$TMP/p/tools/hello.yml" <<'YML'
mxcp: 1
tool:
  name: hello
  description: Greet someone.
  parameters:
    - name: name
      type: string
      description: Who to greet
  return:
    type: object
    properties:
      greeting: {type: string}
  source:
    code: SELECT 'Hello, ' || $name || '!' AS greeting
YML
cat >"$TMP/p/tools/agg.yml" <<'YML'
mxcp: 1
tool:
  name: agg
  description: Sales per region.
  return:
    type: array
    items:
      type: object
  source:
    code: SELECT region, count(*) AS n, sum(amount) AS total, avg(amount) AS mean FROM sales GROUP BY region ORDER BY region
YML
cd "$TMP/p"
"$OLD" query "CREATE TABLE sales AS SELECT range AS id, range % 100 AS region, CAST((range * 7919) % 1000 AS DOUBLE) / 10 AS amount FROM range(1000000)" >/dev/null
printf '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"trivial","arguments":{"n":41}}}' >"$TMP/trivial.json"
printf '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"hello","arguments":{"name":"bench"}}}' >"$TMP/hello.json"
printf '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"agg","arguments":{}}}' >"$TMP/agg.json"

rss() { awk '/^VmRSS/ { printf "%.1f", $2 / 1024 }' /proc/$1/status; }
hwm() { awk '/^VmHWM/ { printf "%.1f", $2 / 1024 }' /proc/$1/status; }
ticks() { awk '{ print $14 + $15 }' /proc/$1/stat; }
HZ=$(getconf CLK_TCK)
call() { curl -sf -H 'content-type: application/json' -H 'accept: application/json, text/event-stream' \
	--data-binary @"$TMP/$2.json" "http://127.0.0.1:$1/mcp"; }

PO=$(port)
"$OLD" serve --transport streamable-http --stateless --readonly --port "$PO" >"$TMP/old.log" 2>&1 &
PIDO=$!
pids="$pids $PIDO"
PN=$(port)
"$NEW" serve --transport streamable-http --stateless --readonly --port "$PN" >"$TMP/new.log" 2>&1 &
PIDN=$!
pids="$pids $PIDN"
wait_up "$PO"
wait_up "$PN"
sleep 1
idleo=$(rss $PIDO)
idlen=$(rss $PIDN)
for p in $PO $PN; do
	call $p trivial | grep -q '"text":"42"' || { echo "bench: trivial failed on $p" >&2; cat "$TMP"/*.log >&2; exit 1; }
	call $p hello | grep -q 'Hello, bench!' || { echo "bench: hello failed on $p" >&2; exit 1; }
	call $p agg | grep -q 'region.\{0,2\}:99' || { echo "bench: agg failed on $p" >&2; exit 1; }
done

load() { # port pid body conns → "req/s cpu_us_per_call"
	t0=$(ticks $2)
	h2load --h1 -c"$4" -D"$SECS" --warm-up-time=2 -d "$TMP/$3.json" -H 'content-type: application/json' \
		-H 'accept: application/json, text/event-stream' "http://127.0.0.1:$1/mcp" >"$TMP/h2load.out"
	t1=$(ticks $2)
	grep -q " 0 failed, 0 errored" "$TMP/h2load.out" || grep "requests:" "$TMP/h2load.out" >&2
	# the warm-up's calls at the measured rate
	awk -v c=$((t1 - t0)) -v hz="$HZ" -v s="$SECS" '/^finished in/ { gsub(",", ""); r = $4;
		printf "%s %.0f\n", r, c * 1e6 / hz / (r * (s + 2)) }' "$TMP/h2load.out"
}
printf 'DuckDB %s (old) against %s (new); %s s per load, %s CPUs, load average %s\n' \
	"$("$OLD" --version | sed 's/.*DuckDB \(v[^)]*\).*/\1/')" "$("$NEW" --version | sed 's/.*DuckDB \(v[^)]*\).*/\1/')" \
	"$SECS" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf 'idle RSS: old %s MB, new %s MB\n' "$idleo" "$idlen"
r=1
while [ "$r" -le "$ROUNDS" ]; do
	for body in trivial hello agg; do
		c=$CONNS
		[ "$body" = agg ] && c=$ACONNS
		if [ $((r % 2)) -eq 1 ]; then
			o=$(load "$PO" "$PIDO" "$body" "$c")
			n=$(load "$PN" "$PIDN" "$body" "$c")
		else
			n=$(load "$PN" "$PIDN" "$body" "$c")
			o=$(load "$PO" "$PIDO" "$body" "$c")
		fi
		set -- $o $n
		printf 'round %s %-7s old %8s req/s %6s us CPU/call   new %8s req/s %6s us CPU/call\n' "$r" "$body" "$1" "$2" "$3" "$4"
		echo "$body $1 $2 $3 $4" >>"$TMP/rows"
	done
	r=$((r + 1))
done
printf 'RSS after the loads (VmHWM): old %s MB, new %s MB\n' "$(hwm $PIDO)" "$(hwm $PIDN)"
kill $PIDO $PIDN 2>/dev/null || true
wait $PIDO $PIDN 2>/dev/null || true
pids=""

sh "$ROOT/bench/gen_project.sh" "$TMP/s" 200
(cd "$TMP/s" && "$OLD" query "CREATE TABLE items AS SELECT range AS id, 'item' || range AS name, random() * 100 AS score FROM range(1000)" >/dev/null)
r=1
while [ "$r" -le "$ROUNDS" ]; do
	if [ $((r % 2)) -eq 1 ]; then
		co=$(node "$ROOT/bench/stdio_client.mjs" cold "$RUNS" "$TMP/s" "$OLD" serve --transport stdio --readonly 2>>"$TMP/cold.err")
		cn=$(node "$ROOT/bench/stdio_client.mjs" cold "$RUNS" "$TMP/s" "$NEW" serve --transport stdio --readonly 2>>"$TMP/cold.err")
	else
		cn=$(node "$ROOT/bench/stdio_client.mjs" cold "$RUNS" "$TMP/s" "$NEW" serve --transport stdio --readonly 2>>"$TMP/cold.err")
		co=$(node "$ROOT/bench/stdio_client.mjs" cold "$RUNS" "$TMP/s" "$OLD" serve --transport stdio --readonly 2>>"$TMP/cold.err")
	fi
	set -- $co
	o=$1
	set -- $cn
	printf 'round %s cold    old %s ms   new %s ms (stdio, 200 tools, median of %s)\n' "$r" "$o" "$1" "$RUNS"
	echo "cold $o 0 $1 0" >>"$TMP/rows"
	r=$((r + 1))
done

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
echo 'medians:'
for what in trivial hello agg cold; do
	ro=$(awk -v w=$what '$1 == w { print $2 }' "$TMP/rows" | median)
	co=$(awk -v w=$what '$1 == w { print $3 }' "$TMP/rows" | median)
	rn=$(awk -v w=$what '$1 == w { print $4 }' "$TMP/rows" | median)
	cn=$(awk -v w=$what '$1 == w { print $5 }' "$TMP/rows" | median)
	if [ "$what" = cold ]; then
		awk -v a="$ro" -v b="$rn" 'BEGIN { printf "  cold     old %s ms, new %s ms, new/old %.2f\n", a, b, b / a }'
	else
		awk -v w=$what -v a="$ro" -v b="$rn" -v c="$co" -v d="$cn" 'BEGIN {
			printf "  %-8s old %.0f req/s %s us/call, new %.0f req/s %s us/call; new/old req/s %.2f, CPU/call %.2f\n",
				w, a, c, b, d, b / a, d / c }'
	fi
done
