#!/bin/sh
# scripts/serve-example.sh — set up (idempotently), seed and serve the bundled
# example project in examples/ over MCP on stdin/stdout (`mxcp serve
# --transport stdio`), the way Claude Desktop or the MCP Inspector launch it.
# Logs go to stderr; stdout carries protocol messages only. End with Ctrl-D
# (end of input) or Ctrl-C.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
sh "$ROOT/scripts/setup.sh" >&2
cd "$ROOT/examples"
MXCP="$ROOT/build/mxcp"
# Seed the example database on first use (data/ is not committed).
if [ ! -f data/shop.duckdb ]; then
	"$MXCP" query --file seed/seed.sql >/dev/null
fi
echo "mxcp: serving examples/ over MCP on stdin/stdout (Ctrl-D or Ctrl-C to stop)" >&2
exec "$MXCP" serve --transport stdio
