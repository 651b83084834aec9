#!/bin/sh
# scripts/setup.sh — install everything mxcp needs on a fresh Debian machine, then build.
# Idempotent: a second run only checks what is there and rebuilds incrementally.
#   apt -dev packages, DuckDB 1.4.4 (header + shared library) from the npm registry
#   into deps/duckdb, a release build in build/, and `mxcp` on PATH (/usr/local/bin).
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

APT_PKGS="build-essential cmake ninja-build pkg-config clang-format \
  libjansson-dev libyaml-dev libcmocka-dev libpython3-dev libpcre2-dev \
  libssl-dev libcurl4-openssl-dev libmicrohttpd-dev valgrind jq \
  prometheus nginx nghttp2-client wrk python3 python3-numpy python3-pandas python3-jinja2 \
  libsqlite3-dev libpq-dev postgresql systemd curl redis-server libhiredis-dev"
# Node.js and npm usually come with the machine (not from Debian, whose npm
# package conflicts with them); install Debian's only when there are none.
command -v npm >/dev/null 2>&1 || APT_PKGS="$APT_PKGS nodejs npm"

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

sh "$ROOT/scripts/fetch-duckdb.sh" "$ROOT/deps/duckdb"

BUILD_TYPE=${MXCP_BUILD_TYPE:-Release}
BUILD_DIR=${MXCP_BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE="$BUILD_TYPE" ${MXCP_CMAKE_ARGS:-} >/dev/null
cmake --build "$BUILD_DIR"

# `mxcp` on PATH, as `pip install mxcp` leaves it.
if [ "$BUILD_DIR" = build ]; then
	if [ -w /usr/local/bin ]; then
		ln -sf "$ROOT/build/mxcp" /usr/local/bin/mxcp
	else
		mkdir -p "$HOME/.local/bin"
		ln -sf "$ROOT/build/mxcp" "$HOME/.local/bin/mxcp"
	fi
fi
