# The built-in SQL tools against hostile SQL, over stdio: DuckDB's file
# sandbox (nothing outside sql_tools.allowed_directories / allowed_paths,
# the endpoints' SQL included), statements that change settings or state
# refused by the kind DuckDB's parser gives them, and --readonly meaning
# that nothing a client sends writes anywhere.
set -eu
. "$(dirname "$0")/lib.sh"

cd "$SCRATCH"
printf 'secret\n42\n' >outside.csv
mkdir -p p/tools p/data && cd p
printf 'id,name\n1,ann\n2,bob\n' >data/people.csv
cat >tools/one.yml <<'YML'
mxcp: 1
tool:
  name: one
  description: One.
  return: {type: integer}
  source: {code: "SELECT 1 AS n"}
YML

site() { # site EXTRA-SQL_TOOLS-LINES...
	{
		printf 'mxcp: 1\nproject: demo\nprofile: dev\nprofiles:\n  dev:\n    duckdb: {path: db/dev.duckdb}\n'
		printf 'sql_tools:\n'
		for line in "$@"; do printf '  %s\n' "$line"; done
	} >mxcp-site.yml
}

# sql_calls [SERVE-ARGS...] -- SQL...: one execute_sql_query call per SQL
# (ids 1, 2, …) over stdio; the responses, one line each, in $SCRATCH/out.
sql_calls() {
	args=""
	while [ "$1" != "--" ]; do
		args="$args $1"
		shift
	done
	shift
	{
		printf '%s\n' '{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}'
		printf '%s\n' '{"jsonrpc":"2.0","method":"notifications/initialized"}'
		i=1
		for q in "$@"; do
			jq -cn --arg q "$q" --argjson i "$i" \
				'{jsonrpc:"2.0",id:$i,method:"tools/call",params:{name:"execute_sql_query",arguments:{sql:$q}}}'
			i=$((i + 1))
		done
	} >"$SCRATCH/in"
	set +e
	# shellcheck disable=SC2086
	"$MXCP" serve --transport stdio $args <"$SCRATCH/in" >"$SCRATCH/out" 2>"$SCRATCH/err"
	rc=$?
	set -e
	TESTS=$((TESTS + 1))
	expect_rc 0 "serve$args"
}

# answer ID: the text of call ID's first content item; error ID likewise,
# and it must be an error.
answer() {
	jq -r --argjson i "$1" 'select(.id == $i) | .result.content[0].text' "$SCRATCH/out"
}
expect_answer() { # expect_answer ID JSON-TEXT
	got=$(answer "$1")
	[ "$got" = "$2" ] || fail "call $1: expected $2, got $got"
}
expect_refused() { # expect_refused ID SUBSTRING
	got=$(jq -r --argjson i "$1" 'select(.id == $i) | [.result.isError, .result.content[0].text] | @tsv' "$SCRATCH/out")
	case "$got" in
	true*"$2"*) ;;
	*) fail "call $1: expected an error containing [$2], got [$got]" ;;
	esac
}

# ---- the defaults: no file at all, no settings, writes to the database only
site 'enabled: true'
sql_calls -- \
	"SELECT * FROM read_csv('/etc/passwd')" \
	"SELECT * FROM read_csv('$SCRATCH/outside.csv')" \
	"SELECT * FROM read_csv('data/people.csv')" \
	"COPY (SELECT 1 AS a) TO 'written.csv'" \
	"SET threads = 1" \
	"SET enable_external_access = true" \
	"CREATE TABLE t AS SELECT 7 AS a; SELECT a FROM t" \
	"ATTACH 'other.duckdb' AS o" \
	"INSTALL httpfs" \
	"BEGIN TRANSACTION" \
	"PRAGMA enable_profiling" \
	"CALL enable_logging()" \
	"EXPLAIN ANALYZE SELECT 1" \
	"SELECT 1 AS a; USE system"
expect_refused 1 'Permission Error: Cannot access file "/etc/passwd"'
expect_refused 1 'sql_tools.allowed_directories'
expect_refused 2 "Permission Error"
expect_refused 3 "Permission Error"
expect_refused 4 "Permission Error"
[ ! -e written.csv ] || fail "COPY TO wrote outside the sandbox"
expect_refused 5 "SET statement refused: SET, RESET and USE would change DuckDB's settings"
expect_refused 6 "SET statement refused"
expect_answer 7 '{"a":7}'
expect_refused 8 "ATTACH statement refused"
[ ! -e other.duckdb ] || fail "ATTACH created a file"
expect_refused 9 "LOAD statement refused"
expect_refused 10 "TRANSACTION statement refused"
expect_refused 11 "PRAGMA statement refused"
expect_refused 12 "CALL statement refused"
expect_refused 13 "EXPLAIN statement refused"
expect_refused 14 "statement 2 of 2 (SET) refused"
expect_err_contains "SQL tools: DuckDB reaches 0 folder(s) and 0 file(s)"

# ---- an endpoint's SQL shares the sandbox: a file outside fails at startup, saying where to allow it
cat >tools/people.yml <<'YML'
mxcp: 1
tool:
  name: people
  description: People, from the project's CSV file.
  return: {type: array, items: {type: object}}
  source: {code: "SELECT * FROM read_csv('data/people.csv') ORDER BY id"}
YML
run serve --transport stdio </dev/null
expect_rc 1 "an endpoint reading outside the sandbox"
expect_err_contains "tools/people.yml"
expect_err_contains 'Permission Error: Cannot access file "data/people.csv"'
expect_err_contains "sql_tools.allowed_directories and allowed_paths in mxcp-site.yml, for the endpoints' SQL too"

# ---- a folder allowed: endpoints and clients read it, and nothing else
site 'enabled: true' 'allowed_directories: [data]' "allowed_paths: [$SCRATCH/outside.csv]"
sql_calls -- \
	"SELECT name FROM read_csv('data/people.csv') WHERE id = 2" \
	"SELECT name FROM read_csv('$SCRATCH/p/data/people.csv') WHERE id = 1" \
	"SELECT * FROM read_csv('/etc/passwd')" \
	"SELECT count(*) AS n FROM read_text('mxcp-site.yml')" \
	"SELECT count(*) AS n FROM read_text('data/../mxcp-site.yml')" \
	"COPY (SELECT 1 AS a) TO 'data/written.csv'" \
	"SELECT count(*) AS n FROM read_csv('$SCRATCH/outside.csv')"
expect_answer 1 '{"name":"bob"}'
expect_answer 2 '{"name":"ann"}'
expect_refused 3 "Permission Error"
expect_refused 4 "Permission Error"
expect_refused 5 "Permission Error"
expect_answer 6 '{"Count":1}'
[ -f data/written.csv ] || fail "COPY TO an allowed folder (read-write) wrote nothing"
expect_answer 7 '{"n":1}'
rm data/written.csv
printf '%s\n' '{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}' \
	'{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"people","arguments":{}}}' >"$SCRATCH/in"
set +e
"$MXCP" serve --transport stdio <"$SCRATCH/in" >"$SCRATCH/out" 2>"$SCRATCH/err"
rc=$?
set -e
expect_rc 0 "the endpoint in an allowed folder"
got=$(jq -c 'select(.id == 1) | .result.structuredContent.result | map(.name)' "$SCRATCH/out")
[ "$got" = '["ann","bob"]' ] || fail "the endpoint reads the project's CSV: got $got"

# ---- --readonly: SELECT only, nothing written anywhere, no side effects from inside a SELECT
for how in flag env; do
	if [ $how = flag ]; then
		ro=--readonly
	else
		ro=""
		export MXCP_READONLY=1
	fi
	sql_calls $ro -- \
		"COPY (SELECT 1 AS a) TO 'data/ro.csv'" \
		"SELECT name FROM read_csv('data/people.csv') WHERE id = 1" \
		"CREATE TEMP TABLE shadow AS SELECT 1 AS a" \
		"SELECT 1 AS a; EXPORT DATABASE 'data/dump'" \
		"SELECT * FROM enable_logging(storage = 'file', storage_config = {'path': 'data/logs'})" \
		"SELECT * FROM system.main.\"Enable_Logging\"()" \
		"SELECT * FROM query('SELECT 1')" \
		"SELECT setseed(0.5)" \
		"SET threads = 1" \
		"SELECT a FROM t" \
		"PRAGMA show_tables" \
		"SHOW TABLES"
	expect_refused 1 "only SELECT statements run"
	expect_answer 2 '{"name":"ann"}'
	expect_refused 3 "only SELECT statements run"
	expect_refused 4 "SQL refused: the database is read-only (--readonly or the profile's duckdb.readonly), so only SELECT statements run"
	expect_refused 5 "enable_logging() refused: the database is read-only"
	expect_refused 6 "enable_logging() refused"
	expect_refused 7 "query() refused"
	expect_refused 8 "setseed() refused"
	expect_refused 9 "only SELECT statements run"
	expect_answer 10 '{"a":7}'
	expect_refused 11 "a PRAGMA is one: read with SELECT * FROM pragma_…() instead"
	expect_answer 12 '{"name":"t"}'
	expect_err_contains "read-only: SELECT statements only"
	[ ! -e data/ro.csv ] && [ ! -e data/dump ] && [ ! -e data/logs ] ||
		fail "a read-only server wrote a file ($how)"
done
unset MXCP_READONLY

# ---- --sql-tools true serves them in the sandbox too; false: MXCP's behaviour, nothing changes
site 'enabled: false' 'allowed_directories: [data]'
sql_calls --sql-tools true -- "SELECT * FROM read_csv('$SCRATCH/outside.csv')"
expect_refused 1 "Permission Error"
cat >tools/outside.yml <<YML
mxcp: 1
tool:
  name: outside
  description: A file outside the project.
  return: {type: array, items: {type: object}}
  source: {code: "SELECT * FROM read_csv('$SCRATCH/outside.csv')"}
YML
run run tool outside --json-output
expect_rc 0 "without the SQL tools an endpoint reads what the process can"
expect_json '.result' '[{"secret":42}]'
rm tools/outside.yml

# ---- external_access: true: no sandbox (MXCP's behaviour, said at start)
site 'enabled: true' 'external_access: true'
sql_calls -- "SELECT * FROM read_csv('$SCRATCH/outside.csv')" "SET threads = 1"
expect_answer 1 '{"secret":42}'
expect_refused 2 "SET statement refused"
expect_err_contains "sql_tools.external_access is true, so their SQL reaches every file and URL"

# ---- the settings are checked where they are written
site 'enabled: true' 'allowed_directories: data'
run validate
expect_rc 1 "allowed_directories must be a list"
expect_err_contains "mxcp-site.yml:9:24: sql_tools.allowed_directories: expected a list of strings, got string 'data'"
site 'enabled: true' 'external_access: true' 'allowed_paths: [x.csv]'
run validate
expect_rc 1 "a list beside external_access: true"
expect_err_contains "mxcp-site.yml:10:18: sql_tools.allowed_paths: has no effect with external_access: true"
done_testing
