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
done_testing
