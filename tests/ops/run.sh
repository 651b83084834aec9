#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# tests/ops/run.sh — operations tests of `mxcp serve --transport streamable-http`:
# /metrics checked by promtool and scraped by a real Prometheus server, two
# stateless instances behind nginx, /health and /ready, and the admin unix
# socket (MXCP_ADMIN_ENABLED) with every transport, and vault:// references
# against a stand-in that speaks Vault's HTTP API. Needs Debian's
# prometheus and nginx packages (scripts/setup.sh installs them) and the npm
# packages of tests/e2e (installed here on first use, as tests/e2e/run.sh does).
# Exits 77 (skipped) when the binary has no HTTP transport.
# Usage: MXCP=path/to/mxcp sh tests/ops/run.sh [node --test options]
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
for tool in node promtool prometheus; do
	command -v $tool >/dev/null 2>&1 || { echo "ops: $tool is required (scripts/setup.sh)" >&2; exit 2; }
done
[ -x "${NGINX:=$(command -v nginx || echo /usr/sbin/nginx)}" ] || { echo "ops: nginx is required (scripts/setup.sh)" >&2; exit 2; }
export NGINX
if "$MXCP" serve --help 2>&1 | grep -q 'only stdio'; then
	echo "ops: this mxcp has no HTTP transport yet; skipped" >&2
	exit 77
fi
e2e=$MXCP_SOURCE_DIR/tests/e2e
if [ ! -d "$e2e/node_modules/@modelcontextprotocol/sdk" ] || [ ! -d "$e2e/node_modules/@duckdb/node-api" ]; then
	exec 9>"$e2e/.npm-install.lock"
	flock 9
	[ -d "$e2e/node_modules/@modelcontextprotocol/sdk" ] ||
		(cd "$e2e" && npm install --no-audit --no-fund --no-save --loglevel=error >&2)
	flock -u 9
fi
cd "$here"
# --test-force-exit: a test file ends when its tests do, even if a failed one
# left a handle open (its servers are killed on exit, lib.mjs)
exec node --test --test-force-exit --test-concurrency=1 "$@" ./*.test.mjs
