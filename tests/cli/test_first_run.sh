# First-run friction: what a new user meets before anything works — a
# mistyped profile, a stdio server at a terminal, a database held by a
# server, SQL whose parameters do not match, numbers in a query's table.
set -eu
. "$(dirname "$0")/lib.sh"

cd "$SCRATCH"
"$MXCP" init p --bootstrap </dev/null >/dev/null 2>&1 || fail "init"
cd p

# --- profiles: a mistyped one is an error naming mxcp-site.yml and the
# profiles there, before any database file is created
cat >> mxcp-site.yml <<'YML'
profiles:
  prod:
    duckdb:
      path: data/prod.duckdb
YML
run list --profile prdo
expect_rc 1 "unknown profile"
expect_err_contains "Profile 'prdo' not found in $SCRATCH/p/mxcp-site.yml (profiles: default, prod). Did you mean 'prod'?"
[ ! -e data/db-prdo.duckdb ] || fail "an unknown profile created data/db-prdo.duckdb"
MXCP_PROFILE=staging run run tool hello_world --param name=x --json-output
expect_rc 1 "unknown MXCP_PROFILE"
expect_json '.error | test("Profile .staging. not found in .*mxcp-site.yml \\(profiles: default, prod\\)")' 'true'
[ ! -e data/db-staging.duckdb ] || fail "an unknown profile created a database"
for cmd in validate test drift-snapshot log log-cleanup dbt-config; do
	run "$cmd" --profile prdo
	expect_rc 1 "$cmd with an unknown profile"
	expect_err_contains "Profile 'prdo' not found"
done
# declared profiles work: the site's `profile:` (no `profiles:` needed) and those under `profiles:`
run run tool hello_world --param name=x --profile default
expect_rc 0 "the site's profile"
run query "SELECT 1" --profile prod
expect_rc 0 "a declared profile"
# a profile the user config declares for the project exists too
mkdir -p "$HOME/.mxcp"
cat > "$HOME/.mxcp/config.yml" <<'YML'
mxcp: 1
projects:
  p:
    profiles:
      local: {}
YML
run query "SELECT 1" --profile local
expect_rc 0 "a profile of the user config"
rm "$HOME/.mxcp/config.yml"

# --- a database held by `mxcp serve`: mxcp's --readonly, not DuckDB's -readonly
hold_db() { # hold_db [serve flags]: a stdio server that keeps the database until released
	mkfifo "$SCRATCH/hold.$$" 2>/dev/null || true
	"$MXCP" serve --transport stdio "$@" <"$SCRATCH/hold.$$" >/dev/null 2>"$SCRATCH/serve.err" &
	SERVER=$!
	exec 7>"$SCRATCH/hold.$$"
	for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
		grep -q "stdio" "$SCRATCH/serve.err" 2>/dev/null && break
		sleep 0.25
	done
	sleep 0.5
}
release_db() {
	exec 7>&-
	wait "$SERVER" || true
}
hold_db
run run tool hello_world --param name=x
expect_rc 1 "run while the server holds the database"
expect_err_contains "another process holds it (a running \`mxcp serve\`?)"
expect_err_contains "\`mxcp serve --readonly\` and run this command with --readonly"
if grep -q -- " -readonly" "$SCRATCH/err"; then fail "DuckDB's -readonly advice is shown"; fi
run validate
expect_rc 1 "validate while the server holds the database"
expect_err_contains "run this command with --readonly"
release_db
hold_db --readonly
run query "SELECT 1"
expect_rc 1 "a read-write query while a read-only server holds the database"
expect_err_contains "both must be read-only"
if grep -q -- "-readonly parameter" "$SCRATCH/err"; then fail "DuckDB's -readonly advice is shown"; fi
run query "SELECT 41 + 1 AS n" --readonly --json-output
expect_rc 0 "read-only beside a read-only server"
expect_json '.result' '[{"n":42}]'
release_db

# --- serve: --debug logs each call (never a sensitive value); a stdio server
# at a terminal says what it waits for; HTTP prints MXCP's start banner
A=$(copy_project "$SRC/tests/projects/audit")
cd "$A"
INIT='{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}'
printf '%s\n' "$INIT" '{"jsonrpc":"2.0","method":"notifications/initialized"}' \
	'{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"login","arguments":{"user":"ann","password":"hunter2-SECRET"}}}' \
	'{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"nope","arguments":{}}}' |
	"$MXCP" serve --transport stdio --debug >"$SCRATCH/out" 2>"$SCRATCH/err" || fail "serve --debug"
TESTS=$((TESTS + 1))
expect_err_contains 'DEBUG tools/call login: success in '
expect_err_contains '(request 7, stdio) args {"password":"[REDACTED]","user":"ann"}'
expect_err_contains 'DEBUG tools/call nope: error in '
if grep -q "hunter2" "$SCRATCH/err"; then fail "a sensitive value reached the log"; fi
printf '%s\n' "$INIT" '{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"login","arguments":{"user":"ann","password":"x"}}}' |
	MXCP_LOG_LEVEL=DEBUG "$MXCP" serve --transport stdio >"$SCRATCH/out" 2>"$SCRATCH/err" || fail "serve, MXCP_LOG_LEVEL=DEBUG"
expect_err_contains 'DEBUG tools/call login: success'
printf '%s\n' "$INIT" '{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"login","arguments":{"user":"ann","password":"x"}}}' |
	"$MXCP" serve --transport stdio >"$SCRATCH/out" 2>"$SCRATCH/err" || fail "serve"
if grep -q "tools/call login" "$SCRATCH/err"; then fail "a call logged without --debug"; fi

# stdin a terminal (script(1) gives the server a pty): it says what it waits for
cd "$SCRATCH/p"
if command -v script >/dev/null 2>&1; then
	printf '\004' | script -qec "\"$MXCP\" serve --transport stdio" /dev/null >"$SCRATCH/out" 2>&1 || true
	TESTS=$((TESTS + 1))
	expect_out_contains "waiting for JSON-RPC messages on stdin, one per line"
	expect_out_contains "Ctrl-D stops the server"
fi
printf '' | "$MXCP" serve --transport stdio >"$SCRATCH/out" 2>"$SCRATCH/err"
if grep -q "waiting for JSON-RPC" "$SCRATCH/err"; then fail "the terminal hint shown with stdin a pipe"; fi

# HTTP: MXCP's banner on stdout
PORT=$((20000 + $$ % 20000))
"$MXCP" serve --port "$PORT" >"$SCRATCH/out" 2>"$SCRATCH/err" &
SERVER=$!
for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
	grep -q "Press Ctrl+C to stop" "$SCRATCH/out" 2>/dev/null && break
	sleep 0.25
done
kill -TERM "$SERVER"
wait "$SERVER" || true
TESTS=$((TESTS + 1))
expect_out_contains "🚀 MXCP Server Starting"
expect_out_contains "   • Project: p"
expect_out_contains "   • Profile: default"
expect_out_contains "   • Transport: streamable-http"
expect_out_contains "   • Port: $PORT"
expect_out_contains "   • Mode: Read-write"
expect_out_contains "   • Tools: 1"
expect_out_contains "   Listening on http://localhost:$PORT/mcp"

# --- validate: MXCP's parameter-mismatch text first, then where and what to do
cd "$SCRATCH/p"
cat > tools/sales.yml <<'YML'
mxcp: 1
tool:
  name: sales
  description: Sales by region
  parameters:
    - name: region
      type: string
      description: Region
    - name: year
      type: integer
      description: Year
  source:
    code: |
      SELECT 1 AS n
      WHERE $year > 2000
        AND $month = 1
YML
cat > tools/sales2.yml <<'YML'
mxcp: 1
tool:
  name: sales2
  description: Sales by region
  parameters:
    - name: region
      type: string
      description: Region
  source:
    file: ../sql/sales2.sql
YML
printf -- '-- sales\nSELECT 1 AS n\n' > sql/sales2.sql
run validate tools/sales.yml --json-output
expect_rc 1 "parameter mismatch (inline SQL)"
expect_json '.result.message | split("\n")[0]' "\"Parameter mismatch: missing={'month'}, extra={'region'}\""
expect_json '.result.message | split("\n")[1]' '"  - parameter '"'"'region'"'"' (tools/sales.yml:6) is declared but not used in the SQL (tools/sales.yml:14): remove it or use $region"'
expect_json '.result.message | split("\n")[2]' '"  - the SQL uses $month (tools/sales.yml:16), which is not a declared parameter: add it under parameters: or remove it from the SQL"'
expect_json '[.result.line, .result.column]' '[6,7]'
run validate tools/sales2.yml
expect_rc 1 "parameter mismatch (SQL file)"
expect_out_contains "✗ tools/sales2.yml:6:7: Parameter mismatch: missing=set(), extra={'region'}"
expect_out_contains "      - parameter 'region' (tools/sales2.yml:6) is declared but not used in the SQL (sql/sales2.sql:1): remove it or use \$region"
# piped: no colour; at a terminal: coloured marks, like test and lint
if grep -q "$(printf '\033')" "$SCRATCH/out"; then fail "colour when piped"; fi
if command -v script >/dev/null 2>&1; then
	script -qec "\"$MXCP\" validate" /dev/null >"$SCRATCH/out" 2>&1 || true
	grep -q "$(printf '\033\\[31m')✗" "$SCRATCH/out" || fail "validate at a terminal: no red ✗"
	grep -q "$(printf '\033\\[32m')✓" "$SCRATCH/out" || fail "validate at a terminal: no green ✓"
	script -qec "\"$MXCP\" list" /dev/null >"$SCRATCH/out" 2>&1 || true
	grep -q "$(printf '\033\\[32m')✓" "$SCRATCH/out" || fail "list at a terminal: no green ✓"
fi
rm tools/sales.yml tools/sales2.yml sql/sales2.sql

# --- piped `mxcp test` names every test and its time (CI logs)
cd "$SCRATCH/p"
run test
expect_rc 0 "mxcp test, piped"
expect_out_contains "✓ greets_world ("
grep -q "✓ greets_world ([0-9.]*s)" "$SCRATCH/out" || fail "no time for the passed test"

# --- query: floats as their shortest round-trip text
run query "SELECT 0.3::DOUBLE AS x, 0.1::DOUBLE + 0.2::DOUBLE AS y, 2.0::DOUBLE AS z"
expect_rc 0
expect_out_contains "0.3 | 0.30000000000000004 | 2.0"

# --- an integer parameter's bound reads as an integer
cat > tools/count.yml <<'YML'
mxcp: 1
tool:
  name: count
  description: Count
  parameters:
    - name: n
      type: integer
      description: How many
      minimum: 1
  source:
    code: SELECT $n AS n
YML
run run tool count --param n=0
expect_rc 1 "below an integer minimum"
expect_err_contains "Value must be >= 1"
if grep -q "1.0" "$SCRATCH/err"; then fail "an integer bound printed as a float"; fi
rm tools/count.yml

# --- a mistyped tool: did you mean
run run tool hello_wrld --param name=x
expect_rc 1
expect_err_contains "Tool 'hello_wrld' not found. Did you mean 'hello_world'?"

# --- mxcp log: its help says table at a terminal, JSON lines when piped
run log --help
expect_out_contains "a table when stdout is a terminal; JSON lines"
done_testing
