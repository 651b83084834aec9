#!/bin/sh
# bench/toolbox.sh — mxcp against MCP Toolbox for Databases (Google's
# genai-toolbox: one Go binary, the npm package @toolbox-sdk/server-linux-x64),
# the server a user would otherwise pick to put SQL tools behind MCP. Toolbox
# has no DuckDB source, so it runs SQLite over a file holding the same rows.
#
# Same run, same machine, same load generator as bench/http.sh (h2load over
# HTTP/1.1, stateless POSTs of one tools/call answered as JSON):
#   * hello: one row, one string parameter —
#       mxcp:    SELECT 'Hello, ' || $name || '!' AS greeting
#       Toolbox: SELECT 'Hello, ' || ? || '!' AS greeting
#   * agg: a GROUP BY over 1,000,000 rows (100 groups: count, sum, avg);
#   * idle RSS of both servers (after start, before any call);
#   * stdio cold start with N_TOOLS (200) tools: spawn → initialize +
#     tools/list written at once → the tools/list answer (bench/stdio_client.mjs
#     cold, median of RUNS), each server over the 200-tool project of
#     bench/gen_project.sh (Toolbox: the same statements with ? parameters).
# Toolbox is installed from the npm registry into bench/tools/ on first use
# (TOOLBOX=… for another binary).
# Usage: bench/toolbox.sh [SECONDS] [CONNS] [RUNS] [N_TOOLS]
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/bench/lib.sh"
SECS=${1:-10}
CONNS=${2:-32}
RUNS=${3:-10}
NTOOLS=${4:-200}
MXCP=$(realpath "${MXCP:-$ROOT/build/mxcp}")
need_h2load
. "$ROOT/bench/toolbox_env.sh"
scratch
mkdir -p "$HOME" "$TMP/p/tools" "$TMP/p/data"

# ---- the data: 1,000,000 rows in DuckDB (mxcp) and in SQLite (Toolbox) ----
cat >"$TMP/p/mxcp-site.yml" <<YML
mxcp: 1
project: bench
profile: default
profiles:
  default:
    duckdb:
      path: data/bench.duckdb
YML
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
AGG="SELECT region, count(*) AS n, sum(amount) AS total, avg(amount) AS mean FROM sales GROUP BY region ORDER BY region"
cat >"$TMP/p/tools/agg.yml" <<YML
mxcp: 1
tool:
  name: agg
  description: Sales per region.
  return:
    type: array
    items:
      type: object
  source:
    code: $AGG
YML
cd "$TMP/p"
"$MXCP" query "CREATE TABLE sales AS SELECT range AS id, range % 100 AS region, CAST((range * 7919) % 1000 AS DOUBLE) / 10 AS amount FROM range(1000000)" >/dev/null
python3 - "$TMP/p/data/bench.sqlite" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("CREATE TABLE sales (id INTEGER, region INTEGER, amount REAL)")
db.executemany("INSERT INTO sales VALUES (?, ?, ?)", ((i, i % 100, (i * 7919) % 1000 / 10) for i in range(1000000)))
db.commit()
PY
cat >"$TMP/tools.yaml" <<YML
sources:
  db:
    kind: sqlite
    database: $TMP/p/data/bench.sqlite
tools:
  hello:
    kind: sqlite-sql
    source: db
    description: Greet someone.
    parameters:
      - name: name
        type: string
        description: Who to greet
    statement: SELECT 'Hello, ' || ? || '!' AS greeting
  agg:
    kind: sqlite-sql
    source: db
    description: Sales per region.
    statement: $AGG
YML

rss() { awk '/^VmRSS/ { printf "%.1f", $2 / 1024 }' /proc/$1/status; }
hwm() { awk '/^VmHWM/ { printf "%.1f", $2 / 1024 }' /proc/$1/status; }

P1=$(port)
"$MXCP" serve --transport streamable-http --stateless --readonly --port "$P1" 2>"$TMP/mxcp.log" &
PID1=$!
pids="$pids $PID1"
P2=$(port)
"$TOOLBOX" --config "$TMP/tools.yaml" --port "$P2" --disable-version-check --disable-reload --log-level ERROR \
	2>"$TMP/toolbox.log" >&2 &
PID2=$!
pids="$pids $PID2"
wait_up "$P1" health
wait_up "$P2" ""
sleep 1
idle1=$(rss $PID1)
idle2=$(rss $PID2)

printf '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"hello","arguments":{"name":"bench"}}}' >"$TMP/hello.json"
printf '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"agg","arguments":{}}}' >"$TMP/agg.json"
call() { curl -sf -H 'content-type: application/json' -H 'accept: application/json, text/event-stream' \
	--data-binary @"$TMP/$2.json" "http://127.0.0.1:$1/mcp"; }
for p in $P1 $P2; do
	call $p hello | grep -q 'Hello, bench!' || { echo "bench: hello failed on $p" >&2; cat "$TMP"/*.log >&2; exit 1; }
	call $p agg | grep -q 'region.\{0,2\}:99' || { echo "bench: agg failed on $p" >&2; call $p agg >&2; exit 1; }
done

ticks() { awk '{ print $14 + $15 }' /proc/$1/stat; }
HZ=$(getconf CLK_TCK)
load() { # port name body conns pid → "req/s p50ms p99ms cpu_us_per_call"
	t0=$(ticks $5)
	h2load --h1 -c"$4" -D"$SECS" --warm-up-time=2 -d "$TMP/$3.json" -H 'content-type: application/json' \
		-H 'accept: application/json, text/event-stream' --log-file="$TMP/$2.log" \
		"http://127.0.0.1:$1/mcp" >"$TMP/$2.out"
	grep -q " 0 failed, 0 errored" "$TMP/$2.out" || grep "requests:" "$TMP/$2.out" >&2
	t1=$(ticks $5)
	rps=$(awk '/^finished in/ { gsub(",", ""); print $4 }' "$TMP/$2.out")
	# CPU per call: the server's user+system time over the calls of the
	# warm-up and the measured seconds (the warm-up's calls at the same rate)
	n=$(awk -v r="$rps" -v s="$SECS" 'BEGIN { printf "%d", r * (s + 2) }')
	cut -f3 "$TMP/$2.log" | sort -n | awk -v r="$rps" -v c=$((t1 - t0)) -v n="$n" -v hz="$HZ" \
		'{ a[NR] = $1 } END { printf "%s %.2f %.2f %.0f\n", r, a[int(NR * 0.5)] / 1000, a[int(NR * 0.99)] / 1000, c * 1e6 / hz / (n ? n : 1) }'
}
# The analytics load uses fewer connections: with 32, Toolbox's queue alone
# sets its latency.
ACONNS=${ACONNS:-4}
h1=$(load "$P1" mxcp_hello hello "$CONNS" $PID1)
h2=$(load "$P2" tbx_hello hello "$CONNS" $PID2)
a1=$(load "$P1" mxcp_agg agg "$ACONNS" $PID1)
a2=$(load "$P2" tbx_agg agg "$ACONNS" $PID2)
peak1=$(hwm $PID1)
peak2=$(hwm $PID2)
kill $PID1 $PID2 2>/dev/null || true
wait $PID1 $PID2 2>/dev/null || true
pids=""

# ---- stdio cold start, N_TOOLS tools ----
cold1="" cold2=""
if [ "$NTOOLS" -gt 0 ]; then
	sh "$ROOT/bench/gen_project.sh" "$TMP/s" "$NTOOLS"
	(cd "$TMP/s" && "$MXCP" query "CREATE TABLE items AS SELECT range AS id, 'item' || range AS name, random() * 100 AS score FROM range(1000)" >/dev/null)
	python3 - "$TMP/s/items.sqlite" "$TMP/s/tools.yaml" "$NTOOLS" <<'PY'
import random, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("CREATE TABLE items (id INTEGER, name TEXT, score REAL)")
db.executemany("INSERT INTO items VALUES (?, ?, ?)", ((i, "item%d" % i, random.random() * 100) for i in range(1000)))
db.commit()
out = ["sources:", "  db:", "    kind: sqlite", "    database: %s" % sys.argv[1], "tools:"]
for i in range(int(sys.argv[3])):
    out += ["  tool_%d:" % i, "    kind: sqlite-sql", "    source: db",
            "    description: Generated tool number %d for the list benchmark." % i,
            "    parameters:",
            "      - {name: min_score, type: float, description: Lowest score to include}",
            "      - {name: prefix, type: string, description: Name prefix}",
            "      - {name: limit, type: integer, description: Row limit}",
            "    statement: SELECT id, name, score FROM items WHERE score >= ? AND name LIKE ? || '%' ORDER BY id LIMIT ?"]
open(sys.argv[2], "w").write("\n".join(out) + "\n")
PY

	cold1=$(node "$ROOT/bench/stdio_client.mjs" cold "$RUNS" "$TMP/s" "$MXCP" serve --transport stdio 2>"$TMP/cold1.err")
	cold2=$(node "$ROOT/bench/stdio_client.mjs" cold "$RUNS" "$TMP/s" "$TOOLBOX" --config "$TMP/s/tools.yaml" --stdio \
		--disable-version-check --disable-reload --log-level ERROR 2>"$TMP/cold2.err")
fi

printf 'mxcp vs MCP Toolbox for Databases %s (SQLite), %s s per load, %s CPUs, load average %s\n' \
	"$TBX_VERSION" "$SECS" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf 'hello (one row), %s connections:\n' "$CONNS"
printf '  %-8s %10s req/s   p50 %7s ms   p99 %7s ms   CPU %6s us/call\n' mxcp $h1 toolbox $h2
printf 'agg (GROUP BY over 1,000,000 rows), %s connections:\n' "$ACONNS"
printf '  %-8s %10s req/s   p50 %7s ms   p99 %7s ms   CPU %6s us/call\n' mxcp $a1 toolbox $a2
printf 'RSS idle / peak (MB): mxcp %s / %s, toolbox %s / %s\n' "$idle1" "$peak1" "$idle2" "$peak2"
set -- $h1 $h2
awk -v a="$1" -v b="$5" -v c="$4" -v d="$8" 'BEGIN { printf "ratio mxcp/toolbox, hello: req/s %.2fx (target >= 1.0), CPU per call %.2fx less\n", a / b, d / c }'
set -- $a1 $a2
awk -v a="$1" -v b="$5" -v c="$4" -v d="$8" 'BEGIN { printf "ratio mxcp/toolbox, agg: req/s %.1fx (target >= 20), CPU per call %.1fx less\n", a / b, d / c }'
if [ -n "$cold1" ]; then
	printf 'stdio cold start to the whole tool list, %s tools (median of %s):\n' "$NTOOLS" "$RUNS"
	printf '  mxcp:    %s ms (%s tools listed)\n' $cold1
	printf '  toolbox: %s ms (%s tools listed)\n' $cold2
	awk -v a="${cold2% *}" -v b="${cold1% *}" 'BEGIN { printf "ratio cold start toolbox/mxcp: %.1fx\n", a / b }'
fi
