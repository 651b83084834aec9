#!/bin/sh
# bench/telemetry.sh — what OpenTelemetry export costs: tools/call over
# streamable HTTP (stateless, JSON) on the trivial SQL tool, with tracing
# (every call sampled: 7 spans each, sent over OTLP/HTTP to a local sink,
# bench/peer/otlp_sink.mjs) and metrics on, against the same server with
# telemetry off, in the same run. The two servers are loaded one at a time,
# alternately, ROUNDS times each (h2load as in bench/http.sh, every request
# carrying a W3C traceparent); the best round of each is compared (the
# machine is shared: the best is the least disturbed). Prints req/s, p50/p99
# and the ratio on/off, and the exporter's counters (spans exported,
# dropped) after the load.
# Usage: bench/telemetry.sh [SECONDS] [CONNS] [ROUNDS]   (MXCP=… for another binary)
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/bench/lib.sh"
SECS=${1:-10}
CONNS=${2:-32}
ROUNDS=${3:-3}
MXCP=$(realpath "${MXCP:-$ROOT/build/mxcp}")
need_h2load
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


PS=$(port)
node "$ROOT/bench/peer/otlp_sink.mjs" "$PS" >"$TMP/sink.log" 2>&1 &
SINK=$!
pids="$pids $SINK"
cat >"$TMP/off.yml" <<YML
mxcp: 1
YML
cat >"$TMP/on.yml" <<YML
mxcp: 1
projects:
  bench:
    profiles:
      default:
        telemetry:
          enabled: true
          endpoint: http://127.0.0.1:$PS
          tracing:
            enabled: true
          metrics:
            enabled: true
            export_interval: 5
YML
P_OFF=$(port)
MXCP_CONFIG="$TMP/off.yml" "$MXCP" serve --transport streamable-http --stateless --readonly --port "$P_OFF" 2>"$TMP/off.log" &
OFF_PID=$!
pids="$pids $OFF_PID"
P_ON=$(port)
MXCP_CONFIG="$TMP/on.yml" "$MXCP" serve --transport streamable-http --stateless --readonly --port "$P_ON" 2>"$TMP/on.log" &
ON_PID=$!
pids="$pids $ON_PID"
wait_up "$P_OFF" health
wait_up "$P_ON" health
for p in $P_OFF $P_ON; do
	curl -sf -H 'content-type: application/json' -H 'accept: application/json, text/event-stream' \
		--data-binary @"$TMP/body.json" "http://127.0.0.1:$p/mcp" | grep -q '"text":"42"' ||
		{ echo "bench: tools/call failed on port $p" >&2; cat "$TMP"/*.log >&2; exit 1; }
done
cpu() { awk '{ print $14 + $15 }' /proc/$1/stat; } # utime + stime, clock ticks
otel_cpu() { # the exporter thread's ticks
	for t in /proc/$1/task/*; do
		[ "$(cat "$t/comm")" = mxcp-otel ] && awk '{ print $14 + $15 }' "$t/stat"
	done | awk '{ n += $1 } END { print n + 0 }'
}
HZ=$(getconf CLK_TCK)
load() { # port name → "req/s p50ms p99ms"
	h2load --h1 -c"$CONNS" -D"$SECS" --warm-up-time=2 -d "$TMP/body.json" -H 'content-type: application/json' \
		-H 'accept: application/json, text/event-stream' \
		-H 'traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' --log-file="$TMP/$2.log" \
		"http://127.0.0.1:$1/mcp" >"$TMP/$2.out"
	grep -q " 0 failed, 0 errored" "$TMP/$2.out" || grep "requests:" "$TMP/$2.out" >&2
	rps=$(awk '/^finished in/ { gsub(",", ""); print $4 }' "$TMP/$2.out")
	cut -f3 "$TMP/$2.log" | sort -n | awk -v r="$rps" '{ a[NR] = $1 } END { printf "%s %.2f %.2f\n", r, a[int(NR * 0.5)] / 1000, a[int(NR * 0.99)] / 1000 }'
}
best_off="0 0 0"
best_on="0 0 0"
better() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a > b) }'; }
i=0
# Instructions retired by each server during its load (perf stat, when
# perf can count here): unlike time, they do not depend on what else the
# shared machine runs.
inst() { # pid secs file
	if command -v perf >/dev/null; then
		perf stat -e instructions -x, -o "$3" -p "$1" -- sleep "$2" >/dev/null 2>&1 || true
	fi
}
inst_sum() { awk -F, '$3 == "instructions" || $3 ~ /^instructions/ { n += $1 } END { print n + 0 }' "$@" 2>/dev/null || echo 0; }
cpu_otel=0
cpu_off=0
cpu_on=0
cpu_sink=0
while [ $i -lt "$ROUNDS" ]; do
	i=$((i + 1))
	c0=$(cpu $OFF_PID)
	inst "$OFF_PID" $((SECS + 2)) "$TMP/inst_off.$i" &
	off=$(load "$P_OFF" off)
	wait $! || true
	cpu_off=$((cpu_off + $(cpu $OFF_PID) - c0))
	c0=$(cpu $ON_PID)
	s0=$(cpu $SINK)
	o0=$(otel_cpu $ON_PID)
	inst "$ON_PID" $((SECS + 2)) "$TMP/inst_on.$i" &
	on=$(load "$P_ON" on)
	wait $! || true
	cpu_on=$((cpu_on + $(cpu $ON_PID) - c0))
	cpu_sink=$((cpu_sink + $(cpu $SINK) - s0))
	cpu_otel=$((cpu_otel + $(otel_cpu $ON_PID) - o0))
	# requests measured (the CPU and instruction counts also cover the 2 s warm-up, on both sides alike)
	awk '/^requests:/ { print $8 }' "$TMP/off.out" >>"$TMP/n_off"
	awk '/^requests:/ { print $8 }' "$TMP/on.out" >>"$TMP/n_on"
	printf '  round %d: off %s req/s, on %s req/s\n' "$i" "${off%% *}" "${on%% *}"
	set -- $off
	better "$1" "${best_off%% *}" && best_off=$off
	set -- $on
	better "$1" "${best_on%% *}" && best_on=$on
done
sleep 1 # the last batch leaves the queue
metric() { curl -s "http://127.0.0.1:$P_ON/metrics" | awk -v m="$1" '$1 == m { print $2 }'; }
printf 'tools/call over streamable HTTP (stateless, JSON), %s s x %s rounds, %s connections, %s CPUs\n' \
	"$SECS" "$ROUNDS" "$CONNS" "$(nproc)"
printf '  %-14s %10s req/s   p50 %6s ms   p99 %6s ms\n' "telemetry off" $best_off "tracing 100%" $best_on
set -- $best_off $best_on
awk -v off="$1" -v on="$4" 'BEGIN { printf "ratio req/s on/off: %.3f (cost %.1f%%)\n", on / off, (1 - on / off) * 100 }'
n_off=$(awk '{ n += $1 } END { print n }' "$TMP/n_off")
n_on=$(awk '{ n += $1 } END { print n }' "$TMP/n_on")
awk -v a="$cpu_off" -v b="$cpu_on" -v s="$cpu_sink" -v o="$cpu_otel" -v na="$n_off" -v nb="$n_on" -v hz="$HZ" 'BEGIN {
	ua = a / hz * 1e6 / na; ub = b / hz * 1e6 / nb
	printf "server CPU per call: off %.1f us, on %.1f us (%+.1f%%), of which the exporter thread %.1f us; the sink: %.1f us per call\n", ua, ub, (ub / ua - 1) * 100, o / hz * 1e6 / nb, s / hz * 1e6 / nb }'
i_off=$(inst_sum "$TMP"/inst_off.*)
i_on=$(inst_sum "$TMP"/inst_on.*)
[ "$i_off" = 0 ] || awk -v a="$i_off" -v b="$i_on" -v na="$n_off" -v nb="$n_on" 'BEGIN {
	ua = a / na; ub = b / nb
	printf "server instructions per call: off %.0f, on %.0f (+%.1f%%)\n", ua, ub, (ub / ua - 1) * 100 }'
printf 'exporter: %s spans exported, %s dropped, %s export failures\n' \
	"$(metric mxcp_telemetry_spans_exported_total)" "$(metric mxcp_telemetry_spans_dropped_total)" \
	"$(metric mxcp_telemetry_export_failures_total)"
kill "$SINK"
wait "$SINK" 2>/dev/null || true
cat "$TMP/sink.log"
