#!/bin/sh
# bench/big_project.sh — how mxcp's costs grow with the size of a project:
# for each size (default 200 and 2,000 endpoints, bench/gen_project.sh),
#   * `mxcp validate` and `mxcp list --json-output`: wall and CPU time
#     (user+system), median of RUNS;
#   * `mxcp serve --transport stdio` given initialize + tools/list (first
#     page) then end of input: wall and CPU time of its whole life (load,
#     open, answer, close), peak RSS, median of RUNS; and the time until a
#     client holds the whole list, every page (bench/stdio_client.mjs cold);
# then the growth per endpoint between the two sizes. CPU time is the steady
# number on a shared machine; wall time is printed beside it.
# Usage: bench/big_project.sh [RUNS] [SIZES...]   (MXCP=… for another binary)
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
MXCP=$(realpath "${MXCP:-$ROOT/build/mxcp}")
RUNS=${1:-5}
[ $# -gt 0 ] && shift
[ $# -gt 0 ] || set -- 200 2000
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
export HOME="$TMP/home"
mkdir -p "$HOME"
# median of RUNS of CMD: "wall_ms cpu_ms maxrss_MB"
measure() {
	i=0
	: >"$TMP/m"
	while [ $i -lt "$RUNS" ]; do
		/usr/bin/time -f '%e %U %S %M' -o "$TMP/t" "$@" >/dev/null 2>&1 <"$TMP/in.txt" || true
		awk '{ printf "%.1f %.1f %.1f\n", $1 * 1000, ($2 + $3) * 1000, $4 / 1024 }' "$TMP/t" >>"$TMP/m"
		i=$((i + 1))
	done
	sort -n -k2 "$TMP/m" | awk '{ w[NR] = $1; c[NR] = $2; r[NR] = $3 } END { m = int((NR + 1) / 2); printf "%s %s %s\n", w[m], c[m], r[m] }'
}
python3 - "$TMP/in.txt" <<'PY'
import json, sys
init = {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "bench", "version": "1"}}
msgs = [{"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": init},
        {"jsonrpc": "2.0", "method": "notifications/initialized"}]
msgs.append({"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {}})
open(sys.argv[1], "w").write("".join(json.dumps(m) + "\n" for m in msgs))
PY
printf 'project size, %s CPUs, load average %s, median of %s\n' "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)" "$RUNS"
printf '%-7s %-22s %10s %10s %9s\n' endpoints what "wall ms" "CPU ms" "RSS MB"
for n in "$@"; do
	sh "$ROOT/bench/gen_project.sh" "$TMP/p$n" "$n"
	(cd "$TMP/p$n" && "$MXCP" query "CREATE TABLE items AS SELECT range AS id, 'item' || range AS name, random() * 100 AS score FROM range(1000)" >/dev/null)
	cd "$TMP/p$n"
	for what in validate list serve; do
		case $what in
		validate) r=$(measure "$MXCP" validate) ;;
		list) r=$(measure "$MXCP" list --json-output) ;;
		serve) r=$(measure "$MXCP" serve --transport stdio) ;;
		esac
		echo "$n $what $r" >>"$TMP/all"
		printf '%-9s %-22s %10s %10s %9s\n' "$n" "$what" $r
	done
	cold=$(node "$ROOT/bench/stdio_client.mjs" cold "$RUNS" . "$MXCP" serve --transport stdio 2>/dev/null)
	echo "$n cold $cold" >>"$TMP/all"
	printf '%-9s %-22s %10s %10s\n' "$n" "serve: whole tool list" ${cold% *} "(${cold#* } tools)"
	cd "$TMP"
done
set -- "$@"
if [ $# -ge 2 ]; then
	a=$1
	eval "b=\${$#}"
	printf 'growth per endpoint (%s → %s endpoints):\n' "$a" "$b"
	for what in validate list serve; do
		awk -v a="$a" -v b="$b" -v w="$what" '$2 == w && $1 == a { wa = $3; ca = $4; ra = $5 } $2 == w && $1 == b { wb = $3; cb = $4; rb = $5 }
			END { d = b - a; printf "  %-9s wall %6.1f us  CPU %6.1f us  RSS %5.1f KB\n", w, (wb - wa) * 1000 / d, (cb - ca) * 1000 / d, (rb - ra) * 1024 / d }' "$TMP/all"
	done
	awk -v a="$a" -v b="$b" '$2 == "cold" && $1 == a { x = $3 } $2 == "cold" && $1 == b { y = $3 }
		END { printf "  %-9s wall %6.1f us (until the client holds the whole list)\n", "tools/list", (y - x) * 1000 / (b - a) }' "$TMP/all"
fi
