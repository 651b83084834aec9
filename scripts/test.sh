#!/bin/sh
# scripts/test.sh — set up (idempotently) and run every test:
#   1. scripts/setup.sh: apt packages, DuckDB from npm, release build, mxcp on PATH;
#   2. ctest on the release build (unit tests, command tests, style check);
#   3. the same suite on a Debug + ASan/UBSan build (build-asan/).
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
sh scripts/setup.sh

echo "== tests (release build)"
ctest --test-dir build --output-on-failure -j2

echo "== tests (debug + ASan/UBSan build)"
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DMXCP_SANITIZE=ON >/dev/null
cmake --build build-asan
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	ctest --test-dir build-asan --output-on-failure -j2 -E '^style$'
echo "== all tests passed"
