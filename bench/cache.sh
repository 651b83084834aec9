#!/bin/sh
# bench/cache.sh — what the response cache buys, same run, same machine:
#   1. mxcp, greet cached in memory (one body: every call a hit)
#   2. mxcp uncached (the same project without a cache block)
#   3. the floor (build/floor_http: bare libmicrohttpd + the same DuckDB query),
#      and floor1, the same with one DuckDB thread (bench/http.sh's floor1: no
#      DuckDB background thread woken per query)
#   4. HTTP alone (build/floor_http --constant: read the body, answer a constant)
#   5. the TypeScript SDK peer (bench/peer/http_server.mjs, same query)
#   6. MCP Toolbox for Databases (bench/toolbox.sh's peer: the same statement
#      on SQLite, `SELECT 'Hello, ' || ? || '!'`)
#   7. mxcp with the Redis backend (one body: every call a hit)
# then a Zipf-distributed argument mix (bench/zipf.lua under wrk: ZIPF_N names,
# exponent ZIPF_S) against mxcp cached in memory, mxcp with Redis and mxcp
# uncached, with the hit ratio from /metrics.
# Load: h2load over HTTP/1.1 (fixed body) and wrk (Zipf), CONNS connections for
# SECONDS after a 2 s warm-up; stateless streamable HTTP with JSON responses.
# Prints calls/s, p50/p99 and the ratios 1/4, 1/3, 1/5, 2/6.
# The fixed-body runs go ROUNDS times (default 2, order reversed each time)
# and each server's best round is reported; load average is printed with it.
# Usage: bench/cache.sh [SECONDS] [CONNS]   (MXCP=… for another binary)
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/bench/lib.sh"
SECS=${1:-10}
CONNS=${2:-64}
MXCP=$(realpath "${MXCP:-$ROOT/build/mxcp}")
FLOOR=${FLOOR:-$ROOT/build/floor_http}
need_h2load
command -v wrk >/dev/null || { echo "bench: wrk is required (apt-get install wrk)" >&2; exit 2; }
command -v redis-server >/dev/null || { echo "bench: redis-server is required (apt-get install redis-server)" >&2; exit 2; }
. "$ROOT/bench/toolbox_env.sh"
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
cat >"$TMP/p/tools/greet.yml" <<'YML'
mxcp: 1
tool:
  name: greet
  description: Greet someone.
  annotations:
    readOnlyHint: true
  parameters:
    - name: name
      type: string
      description: Who to greet
  return:
    type: string
  source:
    code: SELECT 'Hello, ' || $name || '!' AS greeting
YML
sh "$ROOT/bench/trivial_tool.sh" "$TMP/p"
PR=$(port)
redis-server --port "$PR" --bind 127.0.0.1 --save '' --appendonly no >"$TMP/redis.log" 2>&1 </dev/null &
pids="$pids $!"
cache_cfg() { # file backend
	cat >"$1" <<YML
mxcp: 1
projects:
  bench:
    profiles:
      default:
        cache:
          enabled: true
          backend: $2
          redis_url: redis://127.0.0.1:$PR/0
          max_memory_mb: 64
          default_ttl: 600
YML
}
cache_cfg "$TMP/memory.yml" memory
cache_cfg "$TMP/redis.yml" redis
printf 'mxcp: 1\n' >"$TMP/none.yml"
cat >"$TMP/tools.yaml" <<YML
sources:
  db:
    kind: sqlite
    database: $TMP/toolbox.sqlite
tools:
  greet:
    kind: sqlite-sql
    source: db
    description: Greet someone.
    parameters:
      - name: name
        type: string
        description: Who to greet
    statement: SELECT 'Hello, ' || ? || '!' AS greeting
YML
python3 -c 'import sqlite3, sys; sqlite3.connect(sys.argv[1]).execute("CREATE TABLE t (x INTEGER)")' "$TMP/toolbox.sqlite"
cd "$TMP/p"
MXCP_CONFIG="$TMP/none.yml" "$MXCP" query "CREATE TABLE t AS SELECT 1 AS x" >/dev/null
printf '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"greet","arguments":{"name":"Ann"}}}' >"$TMP/body.json"

serve() { # port config log
	MXCP_CONFIG="$2" "$MXCP" serve --transport streamable-http --stateless --readonly --port "$1" >/dev/null 2>"$TMP/$3.log" &
	pids="$pids $!"
}
P1=$(port)
serve "$P1" "$TMP/memory.yml" cached
P2=$(port)
serve "$P2" "$TMP/none.yml" uncached
P8=$(port)
serve "$P8" "$TMP/redis.yml" redis
P6=$(port)
"$TOOLBOX" --config "$TMP/tools.yaml" --port "$P6" --disable-version-check --disable-reload --log-level ERROR \
	</dev/null >"$TMP/toolbox.log" 2>&1 &
pids="$pids $!"
P3=$(port)
"$FLOOR" data/bench.duckdb "$P3" 2>"$TMP/floor.log" &
pids="$pids $!"
P7=$(port)
MXCP_DUCKDB_THREADS=1 "$FLOOR" data/bench.duckdb "$P7" </dev/null >/dev/null 2>"$TMP/floor1.log" &
pids="$pids $!"
P4=$(port)
"$FLOOR" data/bench.duckdb "$P4" --constant 2>"$TMP/http.log" &
pids="$pids $!"
P5=$(port)
node "$ROOT/bench/peer/http_server.mjs" . "$P5" 2>"$TMP/peer.log" &
pids="$pids $!"
for p in $P1 $P2 $P8; do wait_up "$p" health; done
for p in $P3 $P4 $P5 $P6 $P7; do wait_up "$p" none; done
for p in $P1 $P2 $P3 $P4 $P5 $P6 $P7 $P8; do
	curl -sf -H 'content-type: application/json' -H 'accept: application/json, text/event-stream' \
		--data-binary @"$TMP/body.json" "http://127.0.0.1:$p/mcp" | grep -q 'Hello, Ann!' ||
		{ echo "bench: tools/call failed on port $p" >&2; cat "$TMP"/*.log >&2; exit 1; }
done

load() { # port name → "calls/s p50ms p99ms"
	h2load --h1 -c"$CONNS" -D"$SECS" --warm-up-time=2 -d "$TMP/body.json" -H 'content-type: application/json' \
		-H 'accept: application/json, text/event-stream' --log-file="$TMP/$2.lat" \
		"http://127.0.0.1:$1/mcp" >"$TMP/$2.out"
	grep -q " 0 failed, 0 errored" "$TMP/$2.out" || grep "requests:" "$TMP/$2.out" >&2
	rps=$(awk '/^finished in/ { gsub(",", ""); print $4 }' "$TMP/$2.out")
	cut -f3 "$TMP/$2.lat" | sort -n | awk -v r="$rps" '{ a[NR] = $1 } END { printf "%s %.2f %.2f\n", r, a[int(NR * 0.5)] / 1000, a[int(NR * 0.99)] / 1000 }'
}
metric() { # port name → value
	curl -s "http://127.0.0.1:$1/metrics" | awk -v n="$2" 'index($0, n "{") == 1 { print $2 }'
}
ms() { # wrk's "1.23ms" / "456.00us" / "1.02s" → ms
	echo "$1" | awk '/us$/ { sub("us", ""); printf "%.2f", $1 / 1000; next } /ms$/ { sub("ms", ""); printf "%.2f", $1; next } /s$/ { sub("s", ""); printf "%.2f", $1 * 1000 }'
}
zipf() { # port name → "calls/s p50ms p99ms hit%"
	h0=$(metric "$1" mxcp_cache_hits_total); m0=$(metric "$1" mxcp_cache_misses_total)
	ZIPF_N=${ZIPF_N:-10000} ZIPF_S=${ZIPF_S:-1.0} wrk -t2 -c"$CONNS" -d"$SECS" --latency -s "$ROOT/bench/zipf.lua" \
		"http://127.0.0.1:$1/mcp" >"$TMP/$2.out"
	h1=$(metric "$1" mxcp_cache_hits_total); m1=$(metric "$1" mxcp_cache_misses_total)
	rps=$(awk '/^Requests\/sec/ { print $2 }' "$TMP/$2.out")
	p50=$(ms "$(awk '$1 == "50%" { print $2 }' "$TMP/$2.out")")
	p99=$(ms "$(awk '$1 == "99%" { print $2 }' "$TMP/$2.out")")
	hit=$(awk -v a="${h0:-0}" -v b="${h1:-0}" -v c="${m0:-0}" -v d="${m1:-0}" 'BEGIN { t = (b - a) + (d - c); printf "%.1f", t ? 100 * (b - a) / t : 0 }')
	grep -q "Non-2xx" "$TMP/$2.out" && grep "Non-2xx" "$TMP/$2.out" >&2
	echo "$rps $p50 $p99 $hit"
}

best() { # "a b c" "d e f" → the one with more calls/s
	if [ -z "$1" ]; then echo "$2"; return; fi
	awk -v a="$1" -v b="$2" 'BEGIN { split(a, x, " "); split(b, y, " "); print (y[1] + 0 > x[1] + 0) ? b : a }'
}
# ROUNDS rounds, the order reversed every other round; each server's best
# round counts (a shared machine's noise only ever slows a run down).
cached= uncached= floor= httpalone= peer= toolbox= redis= floor1=
r=0
while [ $r -lt "${ROUNDS:-2}" ]; do
	if [ $((r % 2)) -eq 0 ]; then order="1 2 3 7 4 5 6 8"; else order="8 6 5 4 7 3 2 1"; fi
	for i in $order; do
		case $i in
		1) cached=$(best "$cached" "$(load "$P1" cached)") ;;
		2) uncached=$(best "$uncached" "$(load "$P2" uncached)") ;;
		3) floor=$(best "$floor" "$(load "$P3" floor)") ;;
		4) httpalone=$(best "$httpalone" "$(load "$P4" http)") ;;
		5) peer=$(best "$peer" "$(load "$P5" peer)") ;;
		6) toolbox=$(best "$toolbox" "$(load "$P6" toolbox)") ;;
		7) floor1=$(best "$floor1" "$(load "$P7" floor1)") ;;
		8) redis=$(best "$redis" "$(load "$P8" redis)") ;;
		esac
	done
	r=$((r + 1))
done
zc=$(zipf "$P1" zipf_cached)
zr=$(zipf "$P8" zipf_redis)
zu=$(zipf "$P2" zipf_uncached)

printf 'tools/call greet over streamable HTTP (stateless, JSON), %s s, %s connections, %s CPUs, best of %s rounds, load average %s\n' \
	"$SECS" "$CONNS" "$(nproc)" "${ROUNDS:-2}" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '  %-22s %10s calls/s   p50 %6s ms   p99 %6s ms\n' \
	"1 mxcp cached (memory)" $cached "2 mxcp uncached" $uncached "3 floor" $floor "3' floor1" $floor1 \
	"4 HTTP alone" $httpalone "5 TS SDK peer" $peer "6 MCP Toolbox $TBX_VERSION" $toolbox \
	"7 mxcp cached (redis)" $redis
printf 'Zipf mix (%s names, s=%s):\n' "${ZIPF_N:-10000}" "${ZIPF_S:-1.0}"
printf '  %-22s %10s calls/s   p50 %6s ms   p99 %6s ms   hits %5s%%\n' \
	"mxcp cached (memory)" $zc "mxcp cached (redis)" $zr "mxcp uncached" $zu
set -- $cached
c=$1
set -- $httpalone
h=$1
set -- $floor
f=$1
set -- $peer
p=$1
set -- $floor1
f1=$1
set -- $uncached
u=$1
set -- $toolbox
t=$1
awk -v c="$c" -v h="$h" -v f="$f" -v f1="$f1" -v p="$p" -v u="$u" -v t="$t" 'BEGIN {
	printf "ratio 1/4 cached/HTTP alone: %.2f (target >= 0.5)\n", c / h
	printf "ratio 1/3 cached/floor: %.2f (cached/floor1: %.2f)\n", c / f, c / f1
	printf "ratio 1/5 cached/TS SDK peer: %.1fx\n", c / p
	printf "ratio 2/6 uncached/MCP Toolbox: %.2f (target >= 1.0)\n", u / t
}'
