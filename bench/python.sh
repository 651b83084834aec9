#!/bin/sh
# bench/python.sh — Python endpoints, in one run on one machine:
#  1. tools/call over streamable HTTP (stateless, JSON) of a trivial Python
#     tool (`inc`: def inc(n: int) -> dict: return {"x": n + 1}) beside the
#     same tool in SQL (`inc_sql`: SELECT $n + 1 AS x, returns an object) on
#     the same server, the official TypeScript SDK peer running the same
#     JavaScript function (bench/peer/inc_http_server.mjs) and the floor
#     (bench/floor_http.c: bare libmicrohttpd + the prepared SQL statement).
#     h2load over HTTP/1.1, CONNS connections for SECONDS (after a 1 s
#     warm-up), then one connection (sequential) for the Python and the SQL
#     tool. calls/s, p50/p99 latency, the server's CPU per call
#     (/proc/PID/stat over the measured calls) and what a Python call costs
#     over a SQL call.
#  2. The mixed load, same server: the SQL tool at CONNS connections alone,
#     then while PYCLIENTS clients call `spin` (a pure-Python loop that
#     burns SPIN_MS ms of CPU) back to back, then — the control — while an
#     outside process burns one CPU (python3 busy loop): what the Python
#     load costs SQL beyond the CPU it takes.
#  3. RSS: idle, SQL-only project vs the project with Python (before and
#     after the first Python call); a Python tool returning a 100-row list
#     called ROW_CALLS times (RSS every quarter: the reference-leak check);
#     cold start over stdio (spawn → first tools/call answered, median of
#     RUNS, bench/py_cold.mjs) with and without Python.
# The server gets transport.workers = PYCLIENTS + CPUs (user config through
# MXCP_CONFIG): each slow Python call holds its worker for its whole run, so
# the SQL calls keep as many free workers as the default (one per CPU).
# Usage: bench/python.sh [SECONDS] [CONNS]   (defaults 10 and 32; env:
#   PYCLIENTS=3 SPIN_MS=200 ROW_CALLS=100000 RUNS=10 WORKERS=… MXCP=…)
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/bench/lib.sh"
SECS=${1:-10}
CONNS=${2:-32}
PYCLIENTS=${PYCLIENTS:-3}
SPIN_MS=${SPIN_MS:-200}
ROW_CALLS=${ROW_CALLS:-100000}
RUNS=${RUNS:-10}
NCPU=$(nproc)
WORKERS=${WORKERS:-$((PYCLIENTS + NCPU))}
MXCP=$(realpath "${MXCP:-$ROOT/build/mxcp}")
FLOOR=${FLOOR:-$ROOT/build/floor_http}
need_h2load
[ -f "$(dirname "$MXCP")/mxcp_python.so" ] || { echo "bench: no mxcp_python.so beside $MXCP" >&2; exit 2; }
e2e_modules
scratch
mkdir -p "$HOME"
printf 'mxcp: 1\ntransport:\n  workers: %s\n' "$WORKERS" >"$TMP/config.yml"
export MXCP_CONFIG="$TMP/config.yml"
# The embedded interpreter from a copy (MXCP_PYTHON_MODULE), so the bytecode
# of mxcp's Python package is cached there and not in build/; it is cached
# (PYTHONDONTWRITEBYTECODE unset) except for one cold-start row, which runs a
# second, fresh copy without it: what a read-only install without .pyc pays.
MOD=$(dirname "$MXCP")
for d in mod mod-nopyc; do
	mkdir -p "$TMP/$d"
	cp "$MOD/mxcp_python.so" "$TMP/$d/" && cp -r "$MOD/mxcp-python" "$TMP/$d/"
done
export MXCP_PYTHON_MODULE="$TMP/mod/mxcp_python.so"
unset PYTHONDONTWRITEBYTECODE
sh "$ROOT/bench/py_project.sh" "$TMP/py" python
sh "$ROOT/bench/py_project.sh" "$TMP/sql" sql
(cd "$TMP/py" && "$MXCP" query "SELECT 1" >/dev/null && "$MXCP" run tool inc --param n=1 >/dev/null) # writes the .pyc
(cd "$TMP/sql" && "$MXCP" query "SELECT 1" >/dev/null)
body() { # file tool argument value
	printf '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"%s","arguments":{"%s":%s}}}' "$2" "$3" "$4" >"$TMP/$1.json"
}
body inc inc n 41
body sql inc_sql n 41
body spin spin ms "$SPIN_MS"
body rows rows n 1

rss() { awk '/^VmRSS/ { printf "%.1f", $2 / 1024 }' /proc/$1/status; }
hwm() { awk '/^VmHWM/ { printf "%.1f", $2 / 1024 }' /proc/$1/status; }
ticks() { sed 's/.*) //' /proc/$1/stat | awk '{ print $12 + $13 }'; }
HZ=$(getconf CLK_TCK)
call() { # port body-file → the answer
	curl -sf -H 'content-type: application/json' -H 'accept: application/json, text/event-stream' \
		--data-binary @"$TMP/$2.json" "http://127.0.0.1:$1/mcp"
}
h2() { # port body-file conns h2load-args… (h2load's output on stdout)
	_p=$1 _b=$2 _c=$3
	shift 3
	h2load --h1 -c"$_c" "$@" -d "$TMP/$_b.json" -H 'content-type: application/json' \
		-H 'accept: application/json, text/event-stream' "http://127.0.0.1:$_p/mcp"
}
stats() { # h2load-output log-file → "calls/s p50ms p99ms done"
	grep -q " 0 failed, 0 errored" "$1" || grep "requests:" "$1" >&2
	rps=$(awk '/^finished in/ { gsub(",", ""); print $4 }' "$1")
	done_=$(awk '/^requests:/ { print $8 }' "$1")
	cut -f3 "$2" | sort -n | awk -v r="$rps" -v d="$done_" \
		'{ a[NR] = $1 } END { printf "%s %.3f %.3f %s\n", r, a[int(NR * 0.5)] / 1000, a[int(NR * 0.99)] / 1000, d }'
}
load() { # pid port body conns seconds name → "calls/s p50ms p99ms cpu-µs-per-call"
	h2 "$2" "$3" "$4" -D1 >/dev/null # warm-up
	t0=$(ticks "$1")
	h2 "$2" "$3" "$4" -D"$5" --log-file="$TMP/$6.h2log" >"$TMP/$6.out"
	t1=$(ticks "$1")
	set -- $(stats "$TMP/$6.out" "$TMP/$6.h2log") "$t0" "$t1"
	awk -v r="$1" -v p50="$2" -v p99="$3" -v d="$4" -v t0="$5" -v t1="$6" -v hz="$HZ" \
		'BEGIN { printf "%s %s %s %.1f\n", r, p50, p99, d ? (t1 - t0) / hz / d * 1e6 : 0 }'
}

LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)

# --- servers: mxcp on the Python project, mxcp on the SQL-only project, the
# peer, the floor
P1=$(port)
(cd "$TMP/py" && exec "$MXCP" serve --transport streamable-http --stateless --readonly --port "$P1" 2>"$TMP/mxcp.log") &
PID1=$!
pids="$pids $PID1"
P2=$(port)
(cd "$TMP/sql" && exec "$MXCP" serve --transport streamable-http --stateless --readonly --port "$P2" 2>"$TMP/mxcp-sql.log") &
PID2=$!
pids="$pids $PID2"
P3=$(port)
node "$ROOT/bench/peer/inc_http_server.mjs" "$P3" 2>"$TMP/peer.log" &
PID3=$!
pids="$pids $PID3"
P4=$(port)
"$FLOOR" "$TMP/py/data/bench.duckdb" "$P4" 2>"$TMP/floor.log" &
PID4=$!
pids="$pids $PID4"
wait_up "$P1" health
wait_up "$P2" health
wait_up "$P3" none
wait_up "$P4" none
sleep 1

# --- 3a. idle RSS, then the first call
rss_sql_idle=$(rss $PID2)
rss_py_idle=$(rss $PID1)
call "$P2" sql | grep -q '{\\"x\\":42}' || { echo "bench: inc_sql failed (SQL-only project)" >&2; cat "$TMP/mxcp-sql.log" >&2; exit 1; }
rss_sql_first=$(rss $PID2)
call "$P1" inc | grep -q '{\\"x\\":42}' || { echo "bench: inc failed" >&2; cat "$TMP/mxcp.log" >&2; exit 1; }
rss_py_first=$(rss $PID1)
call "$P1" sql | grep -q '{\\"x\\":42}' || { echo "bench: inc_sql failed" >&2; exit 1; }
call "$P3" inc | grep -q '{\\"x\\":42}' || { echo "bench: the peer failed" >&2; cat "$TMP/peer.log" >&2; exit 1; }
call "$P4" sql | grep -q '"text":"42"' || { echo "bench: the floor failed" >&2; cat "$TMP/floor.log" >&2; exit 1; }
call "$P1" rows | grep -q 'item 99' || { echo "bench: rows failed" >&2; exit 1; }

# --- 3b. the 100-row Python tool, ROW_CALLS calls in quarters
h2 "$P1" rows 4 -n1000 >/dev/null
rows_series=$(rss $PID1)
q=$((ROW_CALLS / 4))
rows_t0=$(date +%s.%N)
for i in 1 2 3 4; do
	h2 "$P1" rows 4 -n"$q" >"$TMP/rows.out"
	grep -q " 0 failed, 0 errored" "$TMP/rows.out" || grep "requests:" "$TMP/rows.out" >&2
	rows_series="$rows_series $(rss $PID1)"
done
rows_rate=$(awk -v t0="$rows_t0" -v t1="$(date +%s.%N)" -v n="$((q * 4))" 'BEGIN { printf "%.0f", n / (t1 - t0) }')

# --- 1. trivial tools over HTTP
py=$(load $PID1 "$P1" inc "$CONNS" "$SECS" py)
sql=$(load $PID1 "$P1" sql "$CONNS" "$SECS" sql)
peer=$(load $PID3 "$P3" inc "$CONNS" "$SECS" peer)
floor=$(load $PID4 "$P4" sql "$CONNS" "$SECS" floor)
SEQ=$(((SECS + 1) / 2))
py1=$(load $PID1 "$P1" inc 1 "$SEQ" py1)
sql1=$(load $PID1 "$P1" sql 1 "$SEQ" sql1)

# --- 2. mixed load: SQL alone, SQL + Python spin clients, SQL + 1 CPU burned outside
alone=$(load $PID1 "$P1" sql "$CONNS" "$SECS" alone)
h2 "$P1" spin "$PYCLIENTS" -D$((SECS + 3)) --log-file="$TMP/spin.h2log" >"$TMP/spin.out" &
SPIN=$!
pids="$pids $SPIN"
sleep 0.5
mixed=$(load $PID1 "$P1" sql "$CONNS" "$SECS" mixed)
wait $SPIN
spin=$(stats "$TMP/spin.out" "$TMP/spin.h2log")
timeout $((SECS + 3)) python3 -c 'while True: pass' &
BURN=$!
pids="$pids $BURN"
sleep 0.5
burned=$(load $PID1 "$P1" sql "$CONNS" "$SECS" burned)
wait $BURN || true

# --- 3c. cold start over stdio: spawn → first tools/call answered
COLD="node $ROOT/bench/py_cold.mjs $RUNS"
cold_sql=$($COLD inc_sql "$TMP/sql" "$MXCP" serve --transport stdio --readonly)
cold_py_sql=$($COLD inc_sql "$TMP/py" "$MXCP" serve --transport stdio --readonly)
cold_py=$($COLD inc "$TMP/py" "$MXCP" serve --transport stdio --readonly)
cold_nopyc=$(MXCP_PYTHON_MODULE="$TMP/mod-nopyc/mxcp_python.so" PYTHONDONTWRITEBYTECODE=1 \
	$COLD inc "$TMP/py" "$MXCP" serve --transport stdio --readonly)

# --- report
printf 'Python endpoints — %s CPUs, mxcp workers %s, %s s per load (1 s warm-up), %s connections\n' \
	"$NCPU" "$WORKERS" "$SECS" "$CONNS"
printf 'load average (1/5/15 min) at the start %s, at the end %s: the machine is shared\n' "$LOAD0" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '\n1. tools/call over streamable HTTP (stateless, JSON)\n'
printf '  %-26s %9s %9s %9s %12s\n' '' 'calls/s' 'p50 ms' 'p99 ms' 'CPU µs/call'
row() { printf '  %-26s %9s %9s %9s %12s\n' "$1" "$2" "$3" "$4" "$5"; }
row "mxcp Python inc" $py
row "mxcp SQL inc_sql" $sql
row "peer (TS SDK, JS inc)" $peer
row "floor (MHD + DuckDB)" $floor
row "mxcp Python inc, 1 conn" $py1
row "mxcp SQL inc_sql, 1 conn" $sql1
set -- $py $sql $peer $floor $py1 $sql1
awk -v py="$1" -v sql="$5" -v peer="$9" -v fl="${13}" -v pycpu="$4" -v sqlcpu="$8" \
	-v py1="${17}" -v py1p50="${18}" -v py1cpu="${20}" -v sql1="${21}" -v sql1p50="${22}" -v sql1cpu="${24}" \
	-v conns="$CONNS" 'BEGIN {
	printf "  Python call over SQL call, sequential (1 conn): p50 %+.0f µs, mean %+.0f µs, server CPU %+.0f µs\n",
		(py1p50 - sql1p50) * 1000, (1 / py1 - 1 / sql1) * 1e6, py1cpu - sql1cpu
	printf "  Python call over SQL call, %s conns: 1/throughput %+.1f µs, server CPU %+.1f µs\n",
		conns, (1 / py - 1 / sql) * 1e6, pycpu - sqlcpu
	printf "  ratio calls/s Python/SQL: %.2f at %s conns, %.2f sequential (target >= 0.5)\n", py / sql, conns, py1 / sql1
	printf "  ratio calls/s Python/peer: %.1fx, Python/floor: %.2f\n", py / peer, py / fl
}'
printf '\n2. mixed load: SQL inc_sql at %s conns, with %s clients calling spin (%s ms of Python CPU) back to back\n' \
	"$CONNS" "$PYCLIENTS" "$SPIN_MS"
row "SQL alone" $alone
set -- $mixed
row "SQL + Python spin load" "$1" "$2" "$3" -
row "SQL + 1 CPU burned outside" $burned
set -- $spin
printf '  spin: %s calls/s (%.2f CPUs of Python), p50 %s ms, p99 %s ms, %s calls\n' "$1" \
	"$(awk -v r="$1" -v ms="$SPIN_MS" 'BEGIN { print r * ms / 1000 }')" "$2" "$3" "$4"
set -- $alone $mixed $burned
awk -v a="$1" -v m="$5" -v b="$9" 'BEGIN {
	printf "  ratio SQL calls/s with Python load / alone: %.2f (target >= 0.90)\n", m / a
	printf "  ratio SQL calls/s with 1 CPU burned outside / alone: %.2f (the control: the CPU alone)\n", b / a
	printf "  ratio with Python load / with the outside burner: %.2f\n", m / b
}'
printf '\n3. memory and start\n'
printf '  idle RSS: SQL-only project %s MB (%s MB after the first call); with Python %s MB (%s MB after the first Python call)\n' \
	"$rss_sql_idle" "$rss_sql_first" "$rss_py_idle" "$rss_py_first"
printf '  rows (100-row list from Python), RSS MB after 1k warm-up, then every %s calls: %s (%s calls/s, 4 conns)\n' \
	"$q" "$rows_series" "$rows_rate"
set -- $rows_series
eval "rows_end=\${$#}"
awk -v s="$1" -v e="$rows_end" -v n="$((q * 4))" \
	'BEGIN { printf "  rows: %+.1f MB over %d calls (%.1f bytes per call)\n", e - s, n, (e - s) * 1048576 / n }'
printf '  peak RSS (VmHWM) of the Python server over the whole run: %s MB\n' "$(hwm $PID1)"
set -- $cold_sql $cold_py_sql $cold_py $cold_nopyc
printf '  cold start to the first tools/call answer over stdio (median / min of %s):\n' "$RUNS"
cold() { printf '    %-46s %7s / %s ms\n' "$1" "$2" "$3"; }
cold "SQL-only project, inc_sql" "$1" "$2"
cold "Python project, inc_sql" "$3" "$4"
cold "Python project, inc" "$5" "$6"
cold "Python project, inc, no .pyc of mxcp's package" "$7" "$8"
awk -v a="$1" -v c="$5" 'BEGIN { printf "  Python adds %.1f ms to the cold start (%.1fx)\n", c - a, c / a }'
awk -v a="$rss_sql_idle" -v b="$rss_py_idle" -v c="$rss_py_first" \
	'BEGIN { printf "  Python adds %.1f MB idle RSS (%.1f MB after the first Python call)\n", b - a, c - a }'
