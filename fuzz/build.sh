#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# fuzz/build.sh — builds the libFuzzer targets with Debian's clang-14 into
# fuzz/out/ (or $OUT) and, with `run`, runs each one for $SECONDS_PER_TARGET
# seconds (default 60) on a copy of its seed corpus.
#   sh fuzz/build.sh            build fuzz_jsonrpc, fuzz_yaml and fuzz_cel
#   sh fuzz/build.sh run [secs] build, then fuzz each target
# Inputs that crashed a target are kept in fuzz/crashes/<target>/ (replay one:
# fuzz/out/fuzz_yaml fuzz/crashes/yaml/FILE); they stay out of the seed corpus
# so that a known bug does not stop every run.
# Needs clang-14 and libclang-rt-14-dev (apt-get install clang-14 libclang-rt-14-dev),
# plus the libjansson, libyaml, libpcre2 and libcurl development packages.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
out=${OUT:-$root/fuzz/out}
cc=${CC_FUZZ:-clang-14}
if ! command -v "$cc" >/dev/null 2>&1; then
	echo "build.sh: $cc not found; install it with: apt-get install clang-14 libclang-rt-14-dev" >&2
	exit 2
fi
mkdir -p "$out"
cflags="-std=c17 -g -O1 -fno-omit-frame-pointer -Wall -Wextra -Werror -D_GNU_SOURCE
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -I$root/src"
ver=$(sed -n 's/^project(mxcp VERSION \([0-9.]*\).*/\1/p' "$root/CMakeLists.txt")
defs="-DMXCP_VERSION=\"$ver\" -DMXCP_DUCKDB_VERSION=\"fuzz\""
libs="-ljansson -lyaml -lpcre2-8 -lcurl -lm -lpthread"
core=$(ls "$root"/src/core/*.c)
for t in jsonrpc yaml cel; do
	extra=
	[ "$t" = jsonrpc ] && extra="$root/src/mcp/jsonrpc.c"
	[ "$t" = cel ] && extra=$(ls "$root"/src/cel/*.c)
	echo "building $out/fuzz_$t"
	# shellcheck disable=SC2086
	$cc $cflags $defs -o "$out/fuzz_$t" "$root/fuzz/fuzz_$t.c" $core $extra $libs
done
if [ "${1:-}" = run ]; then
	secs=${2:-${SECONDS_PER_TARGET:-60}}
	status=0
	for t in jsonrpc yaml cel; do
		work="$out/corpus-$t"
		mkdir -p "$work" "$out/artifacts-$t"
		cp "$root/fuzz/corpus/$t"/* "$work"/ 2>/dev/null || true
		echo "fuzzing fuzz_$t for ${secs}s"
		"$out/fuzz_$t" -max_total_time="$secs" -max_len=65536 -rss_limit_mb=2048 -timeout=10 \
			-artifact_prefix="$out/artifacts-$t/" -print_final_stats=1 "$work" || {
			echo "fuzz_$t: crash found; input in $out/artifacts-$t/"
			status=1
		}
	done
	exit $status
fi
