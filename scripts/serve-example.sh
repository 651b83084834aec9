#!/bin/sh
# scripts/serve-example.sh — set up (idempotently) and serve the bundled example
# project in examples/. Until the MCP server lands this shows the project the
# way a client would see it: the endpoint list, then a few calls.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
sh "$ROOT/scripts/setup.sh"
cd "$ROOT/examples"
MXCP="$ROOT/build/mxcp"
# Seed the example database on first use (data/ is not committed).
if [ ! -f data/shop.duckdb ]; then
	"$MXCP" query --file seed/seed.sql >/dev/null
fi
"$MXCP" validate
"$MXCP" list
echo
echo '$ mxcp run tool search_products --param query=o --param max_price=100'
"$MXCP" run tool search_products --param query=o --param max_price=100
echo '$ mxcp run resource "customers://{customer_id}" --param customer_id=4'
"$MXCP" run resource 'customers://{customer_id}' --param customer_id=4
echo '$ mxcp run prompt customer_summary --param customer_id=1'
"$MXCP" run prompt customer_summary --param customer_id=1
