# Python endpoints on the embedded CPython (exec/python/), on
# tests/projects/python: calls through `mxcp run` and `mxcp test` (the same
# call path as serve: types, conversion both ways, db.execute on the
# project's database, @on_init), MXCP's error texts, `validate` judging the
# module, the function and its signature with file:line, stdout kept for
# the program (print() goes to the log), and a project without Python that
# never maps libpython.
set -eu
. "$(dirname "$0")/lib.sh"

proj=$(copy_project "$SRC/tests/projects/python")
cd "$proj"
mkdir -p "$HOME/.mxcp"
cat >"$HOME/.mxcp/config.yml" <<'YML'
mxcp: 1
projects:
  pyfix:
    profiles:
      default:
        secrets:
          - name: api
            type: custom_service
            parameters: {token: abc}
        plugin:
          config:
            demo_cfg: {greeting: hi}
YML

run run tool add_one --param n=41 --json-output
expect_rc 0 "plain function"
expect_json '.result' '{"x":42}'

# db.execute on the table the @on_init hook made; the parameter binds as INTEGER
run run tool items --param limit=2 --json-output
expect_rc 0 "db.execute"
expect_json '.result' '[{"id":0,"name":"item 0"},{"id":1,"name":"item 1"}]'

# a `format: date` parameter arrives as datetime.date; date and Decimal results as JSON
run run tool when --param day=2024-02-28 --json-output
expect_rc 0 "date argument"
expect_json '.result' '{"type":"date","next":"2024-02-29","price":1.5}'

# async def, awaited on the event loop (mcp.info/progress are logged without a client)
run run tool slow_async --param seconds=0.01 --json-output
expect_rc 0 "async function"
expect_json '.result' '{"slept":0.01}'

# an exception is the call's error, in MXCP's words (the exception's text)
run run tool fail --param message=boom
expect_rc 1 "exception"
expect_err_contains "boom"

# config.get_secret / get_setting read the active profile and mxcp-site.yml
run run tool secret --param name=api --json-output
expect_rc 0 "config"
expect_json '.result.secret' '{"token":"abc"}'
expect_json '.result.project' '"pyfix"'

# the plugin: its @udf method is a DuckDB function <method>_<plugin>, made
# with the user config's plugin.config, on every connection
run run tool secret --param name=api --json-output
expect_json '.result.plugins' '["demo"]'
run query "SELECT greet_demo('Ann') AS g" --json-output
expect_rc 0 "plugin UDF"
expect_out_contains '"g": "hi Ann"'

# the user context of `mxcp run --user-context`
run run tool whoami --user-context '{"username":"ann","user_id":"u1"}' --json-output
expect_rc 0 "user context"
expect_json '.result' '{"user":"ann"}'
run run tool whoami --json-output
expect_json '.result' '{"user":null}'

# reload_duckdb outside a server: MXCP's error
run run tool request_reload --param marker="$SCRATCH/marker"
expect_rc 1 "reload_duckdb from the CLI"
expect_err_contains "This function can only be called from within MXCP server endpoints."
[ ! -f "$SCRATCH/marker" ] || fail "the payload ran outside a server"

# MXCP's CapabilityMapper: exact (URI-style) keys, dotted paths, scope strings, booleans
run run tool caps --json-output
expect_json '.result' '["manage","read","verified","write"]'

# print() goes to the log, never to stdout (stdio serves JSON-RPC there)
run run tool chatty --json-output --debug
expect_rc 0 "print"
expect_json '.result' '"done"'
expect_err_contains "this goes to the log, not stdout"

# mxcp test runs Python endpoints through the same path
run test tool add_one
expect_rc 0 "mxcp test"
expect_out_contains "1 passed"

run validate
expect_rc 0 "validate"

# validate: a declared parameter the function does not take
mkdir -p tools_bad
cat >tools/mismatch.yml <<'YML'
mxcp: 1
tool:
  name: add_one_bad
  description: parameters that do not match
  language: python
  source:
    file: ../python/more.py
  parameters:
    - name: nope
      type: integer
      description: not a parameter of the function
YML
cat >python/more.py <<'PY'
def add_one_bad(n: int) -> int:
    return n + 1
PY
run validate tools/mismatch.yml
expect_rc 1 "signature mismatch"
expect_out_contains "tools/mismatch.yml:9"
expect_out_contains "parameter 'nope' is not a parameter of the Python function"
expect_out_contains "more.py:1"

# a function that is not in the module, named as MXCP names it
sed -i 's/name: add_one_bad/name: missing_function/' tools/mismatch.yml
run validate tools/mismatch.yml
expect_rc 1 "missing function"
expect_out_contains "Function 'missing_function' not found in python/more.py"

# a module that does not import: the Python file and line
sed -i 's/name: missing_function/name: add_one_bad/' tools/mismatch.yml
printf 'def broken(:\n' >>python/more.py
run validate tools/mismatch.yml
expect_rc 1 "syntax error"
expect_out_contains "more.py:3"
expect_out_contains "invalid syntax"
rm tools/mismatch.yml python/more.py

# mxcp.runtime outside an execution: MXCP's RuntimeError (at import time here)
printf 'from mxcp.runtime import db\nrows = db.execute("SELECT 1")\n' >python/at_import.py
run run tool add_one --param n=1 --json-output
expect_rc 0 "a module that fails does not stop the others"
expect_err_contains "No execution context available - function not called from MXCP executor"
rm python/at_import.py

# MCP content a tool returns (mxcp.content) prints as the MCP block, not
# as the executor's internal marker
cproj=$(copy_project "$SRC/tests/projects/conformance")
cd "$cproj"
run run tool test_image_content --json-output
expect_rc 0 "image content"
expect_json '.result | [.type, .mimeType]' '["image","image/png"]'
run run tool test_multiple_content_types --json-output
expect_rc 0 "a list of content"
expect_json '[.result[] | .type? // "string"]' '["string","image","resource"]'
grep -q __mxcp_content__ "$SCRATCH/out" && fail "a content marker reached the output"
cd "$proj"

# A project without Python never loads the interpreter: no libpython in the
# process while it serves. A call is answered once the server has started
# (initialize may be answered before the interpreter loads).
maps_of() { # project dir -> prints how many libpython mappings the serving process has
	rm -f "$SCRATCH/fifo" "$SCRATCH/serve.out"
	mkfifo "$SCRATCH/fifo"
	(cd "$1" && exec "$MXCP" serve --transport stdio <"$SCRATCH/fifo" >"$SCRATCH/serve.out" 2>"$SCRATCH/serve.err") &
	spid=$!
	exec 8>"$SCRATCH/fifo"
	printf '%s\n' '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}' \
		'{"jsonrpc":"2.0","method":"notifications/initialized"}' \
		'{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"no_such_tool","arguments":{}}}' >&8
	i=0
	while ! grep -q '"id":2' "$SCRATCH/serve.out" 2>/dev/null && [ $i -lt 300 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	grep -q '"id":2' "$SCRATCH/serve.out" || fail "the server did not answer a call: $(cat "$SCRATCH/serve.err")"
	grep -c libpython "/proc/$spid/maps" || true
	exec 8>&-
	wait $spid || true
}
sqlonly=$(copy_project "$SRC/tests/projects/e2e")
n=$(maps_of "$sqlonly")
[ "$n" = 0 ] || fail "a project without Python mapped libpython ($n mappings)"
n=$(maps_of "$proj")
[ "$n" -gt 0 ] || fail "the Python project did not map libpython"
TESTS=$((TESTS + 2))

echo "ok: $TESTS python checks"
