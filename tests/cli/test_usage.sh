# Command-line conventions shared with MXCP: --version, --help on every
# command, usage errors exit 2, failures exit 1 with "Error: …" on stderr or
# the JSON envelope on stdout.
set -eu
. "$(dirname "$0")/lib.sh"

run --version
expect_rc 0
expect_out_contains "mxcp "

run --help
expect_rc 0
for cmd in init list validate run query; do
	expect_out_contains "  $cmd"
done
for cmd in init list validate run query; do
	run "$cmd" --help
	expect_rc 0 "$cmd --help"
	expect_out_contains "Usage: mxcp $cmd"
done

run frobnicate
expect_rc 2 "unknown command"
expect_err_contains "No such command 'frobnicate'"

run list --no-such-flag
expect_rc 2 "unknown option"

# outside any project
mkdir -p "$SCRATCH/empty"
cd "$SCRATCH/empty"
run list
expect_rc 1 "list outside a project"
expect_err_contains "Error: No mxcp-site.yml found in current directory or parents"
run list --json-output
expect_rc 1
expect_json '.' '{"status":"error","error":"No mxcp-site.yml found in current directory or parents"}'

# inside a project: bad --param forms are usage errors
run init p --bootstrap
cd p
run run tool hello_world --param nameWorld
expect_rc 2 "--param without ="
expect_err_contains "Parameter must be in format name=value or name=@file.json: nameWorld"
run run tool hello_world --param name=@missing.json
expect_rc 2 "--param @missing"
expect_err_contains "JSON file not found: missing.json"
printf '{not json' > bad.json
run run tool hello_world --param name=@bad.json
expect_rc 2 "--param @bad.json"
expect_err_contains "Invalid JSON in file bad.json"
printf '"From a file"' > name.json
run run tool hello_world --param name=@name.json
expect_rc 0
expect_out "Hello, From a file!"
run run widget hello_world
expect_rc 2 "bad endpoint type"
run run tool nope
expect_rc 1 "unknown tool"
expect_err_contains "Tool 'nope' not found"
run run tool hello_world
expect_rc 1 "missing required parameter"
expect_err_contains "Required parameter missing: name"
run run tool hello_world --param name=x --param extra=1
expect_rc 1 "unknown parameter"
expect_err_contains "Unknown parameter: extra"

# query
run query "SELECT 1 AS one, 'two' AS two"
expect_rc 0
expect_out_contains "one | two"
run query "SELECT \$x::INTEGER + 1 AS y" --param x=41 --json-output
expect_rc 0
expect_json '.result' '[{"y":42}]'
run query
expect_rc 2 "query without SQL"
run query "SELECT * FROM no_such_table"
expect_rc 1
expect_err_contains "Failed to execute SQL"
expect_err_contains "no_such_table"

# --readonly: writes fail, reads work
run query "CREATE TABLE t AS SELECT 1 AS a" --readonly
expect_rc 1 "write in read-only mode"
export MXCP_READONLY=1
run query "CREATE TABLE t AS SELECT 1 AS a"
expect_rc 1 "write with MXCP_READONLY"
unset MXCP_READONLY
run query "CREATE TABLE t AS SELECT 1 AS a"
expect_rc 0 "write"
run query "SELECT a FROM t" --readonly --json-output
expect_rc 0
expect_json '.result' '[{"a":1}]'

# MXCP_DUCKDB_THREADS: DuckDB's threads per query
MXCP_DUCKDB_THREADS=1 run query "SELECT current_setting('threads') AS t" --json-output
expect_rc 0
expect_json '.result' '[{"t":1}]'
MXCP_DUCKDB_THREADS=0 run query "SELECT 1"
expect_rc 1 "threads 0"
expect_err_contains "MXCP_DUCKDB_THREADS must be a whole number from 1 to 1024, not '0'"
done_testing
