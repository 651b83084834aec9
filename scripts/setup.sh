#!/bin/sh
# scripts/setup.sh — install everything mxcp needs on a fresh Debian machine, then build.
# Idempotent: a second run only checks what is there and rebuilds incrementally.
#   apt -dev packages, DuckDB 1.4.4 (header + shared library) from the npm registry
#   into deps/duckdb, a release build in build/, and `mxcp` on PATH (/usr/local/bin).
#
#   sh scripts/setup.sh                  everything: build and test packages, the whole build
#   sh scripts/setup.sh --build-deps     only what building mxcp needs (the container image's
#                                        build stage): the build packages (no PostgreSQL, Redis,
#                                        nginx, Node.js, … for the tests), DuckDB, and the mxcp
#                                        binary with mxcp_python.so (no tests, no benchmarks)
#   … --packages-only                    stop after the Debian packages
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

build_deps=0
packages_only=0
for arg in "$@"; do
	case $arg in
	--build-deps) build_deps=1 ;;
	--packages-only) packages_only=1 ;;
	*)
		echo "usage: sh scripts/setup.sh [--build-deps] [--packages-only]" >&2
		exit 2
		;;
	esac
done

# What building mxcp and mxcp_python.so needs (curl: DuckDB's download
# without npm, see fetch-duckdb.sh).
BUILD_PKGS="build-essential cmake ninja-build pkg-config python3 curl ca-certificates \
  libjansson-dev libyaml-dev libpython3-dev libpcre2-dev libssl-dev libcurl4-openssl-dev \
  libmicrohttpd-dev libsqlite3-dev libpq-dev libhiredis-dev"
# What the tests and benchmarks use besides (tests/deploy/image.sh: buildah,
# debootstrap, bubblewrap; pgrep and ss).
TEST_PKGS="clang-format libcmocka-dev valgrind jq prometheus nginx nghttp2-client wrk \
  python3-numpy python3-pandas python3-jinja2 postgresql systemd redis-server \
  buildah debootstrap bubblewrap procps iproute2"
APT_PKGS=$BUILD_PKGS
if [ $build_deps = 0 ]; then
	APT_PKGS="$APT_PKGS $TEST_PKGS"
	# Node.js and npm usually come with the machine (not from Debian, whose npm
	# package conflicts with them); install Debian's only when there are none.
	command -v npm >/dev/null 2>&1 || APT_PKGS="$APT_PKGS nodejs npm"
fi

missing=""
for p in $APT_PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
	SUDO=""
	[ "$(id -u)" -eq 0 ] || SUDO=sudo
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
fi
[ $packages_only = 0 ] || exit 0

sh "$ROOT/scripts/fetch-duckdb.sh" "$ROOT/deps/duckdb"

BUILD_TYPE=${MXCP_BUILD_TYPE:-Release}
BUILD_DIR=${MXCP_BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE="$BUILD_TYPE" ${MXCP_CMAKE_ARGS:-} >/dev/null
if [ $build_deps = 1 ]; then
	# mxcp brings mxcp_python.so and its package; duckdb_version checks libduckdb.so.
	cmake --build "$BUILD_DIR" --target mxcp duckdb_version
else
	cmake --build "$BUILD_DIR"
fi

# `mxcp` on PATH, as `pip install mxcp` leaves it.
if [ "$BUILD_DIR" = build ]; then
	if [ -w /usr/local/bin ]; then
		ln -sf "$ROOT/build/mxcp" /usr/local/bin/mxcp
	else
		mkdir -p "$HOME/.local/bin"
		ln -sf "$ROOT/build/mxcp" "$HOME/.local/bin/mxcp"
	fi
fi
