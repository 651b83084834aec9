#!/bin/sh
# scripts/fetch-duckdb.sh — DuckDB 1.4.4 C API header + shared library from the npm registry.
# `npm pack` runs no install scripts, so nothing reaches beyond the registry.
# Without npm (the container image's build stage), curl fetches the same
# tarballs from the registry (npm_config_registry, as npm reads it); the
# checksums below are checked either way.
set -eu
DEST=${1:-deps/duckdb}
mkdir -p "$DEST/include" "$DEST/lib" "$DEST/dl"
cd "$DEST/dl"
if [ -f ../lib/libduckdb.so ] && [ -f ../include/duckdb.h ] && [ -f ok-1.4.4 ]; then
	exit 0
fi
if [ ! -f duckdb-1.4.4.tgz ] || [ ! -f duckdb-node-bindings-linux-x64-1.4.4-r.4.tgz ]; then
	if command -v npm >/dev/null 2>&1; then
		npm pack --silent @duckdb/node-bindings-linux-x64@1.4.4-r.4 duckdb@1.4.4 >/dev/null
	else
		registry=${npm_config_registry:-https://registry.npmjs.org}
		registry=${registry%/}
		curl -fsSL -o duckdb.part "$registry/duckdb/-/duckdb-1.4.4.tgz"
		mv duckdb.part duckdb-1.4.4.tgz
		curl -fsSL -o bindings.part "$registry/@duckdb/node-bindings-linux-x64/-/node-bindings-linux-x64-1.4.4-r.4.tgz"
		mv bindings.part duckdb-node-bindings-linux-x64-1.4.4-r.4.tgz
	fi
fi
sha256sum -c --quiet <<SUMS
5bb967dcbcd517670ba5f169f238fb9d6787e53752c60ebe24386169d76941ed  duckdb-1.4.4.tgz
732fac4dc6b8f198870b9c4bb6ddf13544466daca00ad28ba2f1d80de5d7aa4b  duckdb-node-bindings-linux-x64-1.4.4-r.4.tgz
SUMS
tar xzf duckdb-node-bindings-linux-x64-1.4.4-r.4.tgz --strip-components=1 -C ../lib package/libduckdb.so package/LICENSE
tar xzf duckdb-1.4.4.tgz --strip-components=5 -C ../include package/src/duckdb/src/include/duckdb.h
touch ok-1.4.4
