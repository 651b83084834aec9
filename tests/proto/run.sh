#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# tests/proto/run.sh — runs the MCP transcript cases (tests/proto/cases/*.txt)
# against `$MXCP serve --transport stdio` with the node driver (driver.mjs).
# Usage: MXCP=path/to/mxcp sh tests/proto/run.sh [-v] [case-name-substring...]
# Exit status 0 when every case passes. See tests/proto/README.md.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
: "${MXCP_SOURCE_DIR:=$(cd "$here/../.." && pwd)}"
export MXCP_SOURCE_DIR
if [ -z "${MXCP:-}" ]; then
	echo "run.sh: set MXCP to the mxcp binary (e.g. MXCP=build-dbg/mxcp)" >&2
	exit 2
fi
case $MXCP in
/*) ;;
*) MXCP=$(pwd)/$MXCP ;;
esac
export MXCP
if ! command -v node >/dev/null 2>&1; then
	echo "run.sh: node (>= 18) is required" >&2
	exit 2
fi
exec node "$here/driver.mjs" "$@"
