# `mxcp init --bootstrap` in an empty folder gives a project that validates
# and runs; init refuses to nest projects.
set -eu
. "$(dirname "$0")/lib.sh"

cd "$SCRATCH"
run init hello --bootstrap
expect_rc 0 "init --bootstrap"
for f in mxcp-site.yml tools/hello-world.yml sql/hello-world.sql data/db-default.duckdb; do
	[ -f "hello/$f" ] || fail "init did not create $f"
done
for d in tools resources prompts evals python plugins sql drift audit data; do
	[ -d "hello/$d" ] || fail "init did not create folder $d"
done
[ "$(cat hello/mxcp-site.yml)" = "mxcp: 1
project: hello
profile: default" ] || fail "mxcp-site.yml: $(cat hello/mxcp-site.yml)"

cd hello
run validate
expect_rc 0 "validate after init"
expect_out_contains "✓ tools/hello-world.yml"

run run tool hello_world --param name=World
expect_rc 0 "run hello_world"
expect_out "Hello, World!"

run run tool hello_world --param name=World --json-output
expect_rc 0
expect_json '.' '{"status":"ok","result":"Hello, World!"}'

run list --json-output
expect_rc 0
expect_json '.result.status' '"ok"'
expect_json '[.result.endpoints[] | {kind, name, error}]' '[{"kind":"tool","name":"hello_world","error":""}]'

# the bootstrap's own test passes (checked through the same call path)
run run tool hello_world --param name=Alice
expect_out "Hello, Alice!"
run test --json-output
expect_rc 0 "mxcp test on the bootstrap"
expect_json '.result.status' '"ok"'
expect_json '.result.tests_run' '1'
# and lint finds no warning or error (infos — no tags, no default — are MXCP's bootstrap as it is)
run lint --severity info --json-output
expect_rc 0 "mxcp lint on the bootstrap"
expect_json '[.result[] | select(.severity != "info")] | length' '0'
run lint --strict
expect_rc 0 "mxcp lint --strict on the bootstrap"

# a project inside a project is refused
mkdir -p nested
run init nested
expect_rc 1 "init inside a project"
expect_err_contains "Cannot create a MXCP repository inside another one"

# --project and --profile
cd "$SCRATCH"
run init other --project sales --profile prod
expect_rc 0
[ -f other/data/db-prod.duckdb ] || fail "no db-prod.duckdb"
grep -q '^project: sales$' other/mxcp-site.yml || fail "project name not written"
grep -q '^profile: prod$' other/mxcp-site.yml || fail "profile not written"

# MXCP's question: a Claude Desktop server_config.json on yes (read from a
# pipe), none on no or without an answer; the snippet is printed either way
# and names the project with --project-dir, so it works from any folder.
cd "$SCRATCH"
printf 'y\n' | "$MXCP" init withcfg --bootstrap >"$SCRATCH/out" 2>"$SCRATCH/err" || fail "init with y"
expect_out_contains "Would you like to generate a Claude Desktop configuration file? [y/N]: "
expect_out_contains "✓ Generated server_config.json for Claude Desktop"
[ -f withcfg/server_config.json ] || fail "no server_config.json after y"
cp withcfg/server_config.json "$SCRATCH/out"
expect_json '.mcpServers.withcfg.args' "[\"serve\",\"--transport\",\"stdio\",\"--project-dir\",\"$SCRATCH/withcfg\"]"
expect_json '.mcpServers.withcfg.cwd' "\"$SCRATCH/withcfg\""
expect_json '.mcpServers.withcfg.command | test("mxcp$")' 'true'
printf 'n\n' | "$MXCP" init nocfg >"$SCRATCH/out" 2>"$SCRATCH/err" || fail "init with n"
expect_out_contains "Skipped Claude Desktop configuration generation"
expect_out_contains "\"--project-dir\","
[ ! -f nocfg/server_config.json ] || fail "server_config.json written after n"
"$MXCP" init noanswer </dev/null >"$SCRATCH/out" 2>"$SCRATCH/err" || fail "init without an answer"
[ ! -f noanswer/server_config.json ] || fail "server_config.json written without an answer"
printf 'maybe\nyes\n' | "$MXCP" init twice >"$SCRATCH/out" 2>"$SCRATCH/err" || fail "init, answered twice"
expect_out_contains "Error: invalid input"
[ -f twice/server_config.json ] || fail "no server_config.json after maybe, yes"

# The generated command, started in / as Claude Desktop starts it, serves.
set -- $(jq -r '.mcpServers.withcfg.args[]' withcfg/server_config.json)
(cd / && printf '%s\n' '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}' \
	'{"jsonrpc":"2.0","method":"notifications/initialized"}' \
	'{"jsonrpc":"2.0","id":2,"method":"tools/list"}' |
	"$MXCP" "$@" >"$SCRATCH/out" 2>"$SCRATCH/err") || fail "serve from / with --project-dir"
grep -q '"name":"hello_world"' "$SCRATCH/out" || fail "tools/list from / did not list hello_world"
TESTS=$((TESTS + 5))

# --project-dir without FOLDER is the folder to create
run init --project-dir "$SCRATCH/made/here"
expect_rc 0 "init --project-dir"
[ -f "$SCRATCH/made/here/mxcp-site.yml" ] || fail "init --project-dir did not create the project there"
done_testing
