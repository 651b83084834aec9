#!/bin/sh
# tests/cli/test_cold_start.sh — what a start loads, and when it answers
# (docs/design.md "Startup"): `mxcp --version` maps no DuckDB; a stdio
# server of a project without HTTP or auth maps neither libmicrohttpd,
# libcurl, SQLite nor libpq (nor the modules that link them) while an HTTP
# server maps the transport's; over stdio a call sent with initialize waits
# for the database and is answered; a start that fails once the client may
# have been answered (an endpoint's SQL, the database) fails as before:
# the same message, the same exit status, no call answered.
. "$(dirname "$0")/lib.sh"

INIT='{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}'
INITED='{"jsonrpc":"2.0","method":"notifications/initialized"}'
LIST='{"jsonrpc":"2.0","id":2,"method":"tools/list"}'
CALL='{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"add","arguments":{"a":1,"b":2}}}'

# --- no DuckDB for --version: the library is loaded on first use
TESTS=$((TESTS + 1))
out=$(LD_DEBUG=files "$MXCP" --version 2>&1) || fail "mxcp --version"
case $out in *libduckdb*) fail "mxcp --version loaded libduckdb.so" ;; esac
case $out in *"mxcp 0.1.0 (DuckDB v"*) ;; *) fail "mxcp --version: $out" ;; esac

# --- the libraries a stdio server maps
P=$(copy_project "$SRC/tests/projects/e2e")
cd "$P"
mkfifo "$SCRATCH/in"
"$MXCP" serve --transport stdio <"$SCRATCH/in" >"$SCRATCH/out" 2>"$SCRATCH/err" &
SERVER=$!
exec 8>"$SCRATCH/in"
printf '%s\n' "$INIT" "$INITED" "$CALL" >&8
i=0
while ! grep -q '"id":3' "$SCRATCH/out" 2>/dev/null && [ $i -lt 300 ]; do
	sleep 0.1
	i=$((i + 1))
done
TESTS=$((TESTS + 1))
grep -q '"id":3' "$SCRATCH/out" || fail "the call sent with initialize was not answered"
grep -q '"structuredContent":{"sum":3}' "$SCRATCH/out" || fail "the call's answer"
maps=$(cat "/proc/$SERVER/maps")
exec 8>&-
wait "$SERVER" || fail "stdio server exit status"
TESTS=$((TESTS + 1))
case $maps in *libduckdb*) ;; *) fail "the serving process has no libduckdb mapping: is /proc readable?" ;; esac
for lib in libmicrohttpd libcurl libpq libsqlite3 libgnutls mxcp_http.so mxcp_fetch.so mxcp_oauth_store.so; do
	case $maps in *"$lib"*) fail "a stdio server without HTTP or auth mapped $lib" ;; esac
done

# --- an HTTP server loads its transport
PORT=$((20000 + $$ % 20000))
"$MXCP" serve --port "$PORT" >"$SCRATCH/out" 2>"$SCRATCH/err" &
SERVER=$!
i=0
while ! grep -q "Press Ctrl+C to stop" "$SCRATCH/out" 2>/dev/null && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
maps=$(cat "/proc/$SERVER/maps" 2>/dev/null || true)
kill -TERM "$SERVER"
wait "$SERVER" || true
TESTS=$((TESTS + 1))
grep -q "Press Ctrl+C to stop" "$SCRATCH/out" || fail "the HTTP server did not start"
for lib in libmicrohttpd mxcp_http.so; do
	case $maps in *"$lib"*) ;; *) fail "the HTTP server has no $lib mapping" ;; esac
done
for lib in libcurl libpq libsqlite3; do
	case $maps in *"$lib"*) fail "an HTTP server without auth mapped $lib" ;; esac
done

# --- a start that fails after the first answers: as before
cat >tools/broken.yml <<'YML'
mxcp: 1
tool:
  name: broken
  description: Reads a table that does not exist.
  source:
    code: SELECT count(*) FROM no_such_table
YML
set +e
printf '%s\n' "$INIT" "$INITED" "$LIST" "$CALL" | "$MXCP" serve --transport stdio >"$SCRATCH/out" 2>"$SCRATCH/err"
rc=$?
set -e
TESTS=$((TESTS + 1))
expect_rc 1 "an endpoint whose SQL does not prepare"
expect_err_contains "Server startup failed!"
expect_err_contains "Found 1 endpoint(s) with errors"
expect_err_contains "no_such_table"
if grep -q '"id":3' "$SCRATCH/out"; then fail "a call was answered by a server that refused to start"; fi
rm tools/broken.yml

mkdir -p "$SCRATCH/isdir.duckdb"
set +e
printf '%s\n' "$INIT" "$INITED" "$LIST" "$CALL" |
	MXCP_DUCKDB_PATH="$SCRATCH/isdir.duckdb" "$MXCP" serve --transport stdio >"$SCRATCH/out" 2>"$SCRATCH/err"
rc=$?
set -e
TESTS=$((TESTS + 1))
expect_rc 1 "a database that cannot open"
expect_err_contains "Error: Cannot open DuckDB database '$SCRATCH/isdir.duckdb'"
if grep -q '"id":3' "$SCRATCH/out"; then fail "a call was answered without a database"; fi
done_testing
