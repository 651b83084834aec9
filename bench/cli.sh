#!/bin/sh
# bench/cli.sh — command-line timings for the closing notes of issue work:
#   * `mxcp list --json-output` on a generated 200-endpoint project, against the
#     peer in bench/peer_list.py (PyYAML + CPython, a lower bound on MXCP's
#     own `mxcp list`), measured in the same run, reported as a ratio;
#   * `mxcp validate` on the same project (200 SQL statements prepared);
#   * the release binary's size.
# Usage: bench/cli.sh [N_ENDPOINTS] [RUNS]   (needs a release build in build/)
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
N=${1:-200}
RUNS=${2:-20}
MXCP="$ROOT/build/mxcp"
PY=/usr/bin/python3
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
export HOME="$TMP/home"
mkdir -p "$HOME"
sh "$ROOT/bench/gen_project.sh" "$TMP/p" "$N"
cd "$TMP/p"
"$MXCP" query "CREATE TABLE items AS SELECT range AS id, 'item' || range AS name, random() * 100 AS score FROM range(1000)" >/dev/null

# time_ms CMD...: mean wall time of RUNS runs, in milliseconds
time_ms() {
	"$@" >/dev/null 2>&1 # warm-up
	start=$(date +%s%N)
	i=0
	while [ $i -lt "$RUNS" ]; do
		"$@" >/dev/null 2>&1
		i=$((i + 1))
	done
	end=$(date +%s%N)
	echo $(((end - start) / RUNS / 1000))
}

ours=$(time_ms "$MXCP" list --json-output)
peer=$(time_ms "$PY" "$ROOT/bench/peer_list.py" .)
val=$(time_ms "$MXCP" validate)
n_ours=$("$MXCP" list --json-output | grep -c '"kind": "tool"')
n_peer=$("$PY" "$ROOT/bench/peer_list.py" . | grep -c '"kind": "tool"')
[ "$n_ours" = "$N" ] && [ "$n_peer" = "$N" ] || { echo "endpoint counts differ: $n_ours vs $n_peer" >&2; exit 1; }
size=$(stat -c %s "$MXCP")
printf 'endpoints: %s, runs: %s\n' "$N" "$RUNS"
printf 'mxcp list --json-output: %s us mean\n' "$ours"
printf 'peer (PyYAML CSafeLoader on CPython, lower bound for MXCP list): %s us mean\n' "$peer"
awk -v a="$peer" -v b="$ours" 'BEGIN { printf "ratio peer/mxcp: %.1fx\n", a / b }'
printf 'mxcp validate (200 SQL prepares): %s us mean\n' "$val"
printf 'release binary: %s bytes (libduckdb.so is shared, not included)\n' "$size"
