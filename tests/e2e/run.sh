#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# tests/e2e/run.sh — end-to-end tests of `mxcp serve --transport stdio` with the
# official MCP TypeScript SDK client. Installs the pinned npm packages
# (package-lock.json) into tests/e2e/node_modules on first use or when the
# lock file changed — with `npm install`, since `npm ci` rejects a lock that
# lists only this platform's optional DuckDB binding — then runs every
# *.test.mjs with node's built-in test runner.
# Only the npm registry is contacted.
# Usage: MXCP=path/to/mxcp sh tests/e2e/run.sh [node --test options]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
: "${MXCP_SOURCE_DIR:=$(cd "$here/../.." && pwd)}"
export MXCP_SOURCE_DIR
: "${MXCP:=$MXCP_SOURCE_DIR/build/mxcp}"
case $MXCP in
/*) ;;
*) MXCP=$(pwd)/$MXCP ;;
esac
export MXCP
command -v node >/dev/null 2>&1 || { echo "e2e: node (>= 18) is required" >&2; exit 2; }
command -v npm >/dev/null 2>&1 || { echo "e2e: npm is required" >&2; exit 2; }

cd "$here"
stamp=node_modules/.mxcp-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
	# A lock per install keeps two concurrent runs (release and ASan builds)
	# from installing over each other.
	exec 9>"$here/.npm-install.lock"
	flock 9
	if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
		echo "e2e: installing the pinned npm packages" >&2
		npm install --no-audit --no-fund --no-save --loglevel=error >&2
		echo "$want" >"$stamp"
	fi
	flock -u 9
fi
# --test-force-exit: a test file ends when its tests do, even if a failed one
# left a handle open (its servers are killed on exit, lib.mjs)
exec node --test --test-force-exit "$@" ./*.test.mjs
