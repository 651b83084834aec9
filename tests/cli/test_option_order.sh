# Options go anywhere among a command's arguments, as Click takes them:
# every command with positionals is run with its options after them (and
# --help last), and every command takes --project-dir / MXCP_PROJECT_DIR.
set -eu
. "$(dirname "$0")/lib.sh"

cd "$SCRATCH"
"$MXCP" init p --bootstrap </dev/null >/dev/null 2>&1 || fail "init"
cd p

# validate ENDPOINT, then each option
run validate tools/hello-world.yml --json-output
expect_rc 0 "validate ENDPOINT --json-output"
expect_json '.result' '{"status":"ok","path":"tools/hello-world.yml"}'
for opt in --debug --readonly "--profile default" --json-output; do
	# shellcheck disable=SC2086
	run validate tools/hello-world.yml $opt
	expect_rc 0 "validate ENDPOINT $opt"
done
run validate tools/hello-world.yml --help
expect_rc 0 "validate ENDPOINT --help"
expect_out_contains "Usage: mxcp validate"

# run TYPE NAME, then options
run run tool hello_world --param name=After --json-output --readonly --profile default
expect_rc 0 "run TYPE NAME options"
expect_json '.result' '"Hello, After!"'
run run tool --param name=Mid hello_world --json-output
expect_rc 0 "run with an option between its positionals"
expect_json '.result' '"Hello, Mid!"'
run run tool hello_world --help
expect_rc 0
expect_out_contains "Usage: mxcp run"

# query SQL, then options
run query "SELECT 1 AS one" --json-output --readonly --debug
expect_rc 0 "query SQL options"
expect_json '.result' '[{"one":1}]'

# test TYPE NAME, then options
run test tool hello_world --json-output --readonly
expect_rc 0 "test TYPE NAME options"
expect_json '.result.tests_run' '1'

# init FOLDER, then options
cd "$SCRATCH"
run init q --bootstrap --profile dev --project qq
expect_rc 0 "init FOLDER options"
grep -q '^project: qq$' q/mxcp-site.yml || fail "init FOLDER --project: not written"

# evals SUITE, then options: not a usage error (the suite does not exist)
cd "$SCRATCH/p"
run evals no_such_suite --json-output
[ "$rc" != 2 ] || fail "evals SUITE --json-output is a usage error"

# commands without positionals: options in any order, --help last
for cmd in list lint drift-snapshot drift-check log log-cleanup serve dbt-config; do
	run "$cmd" --help
	expect_rc 0 "$cmd --help"
done

# --project-dir and MXCP_PROJECT_DIR, from another folder, in every command
cd /
run list --json-output --project-dir "$SCRATCH/p"
expect_rc 0 "list --project-dir"
expect_json '[.result.endpoints[].name]' '["hello_world"]'
run validate tools/hello-world.yml --project-dir "$SCRATCH/p" --json-output
expect_rc 0 "validate ENDPOINT --project-dir (ENDPOINT relative to the project)"
run --project-dir "$SCRATCH/p" run tool hello_world --param name=Dir
expect_rc 0 "--project-dir before the command"
expect_out "Hello, Dir!"
MXCP_PROJECT_DIR="$SCRATCH/p" run query "SELECT 2 AS two" --json-output
expect_rc 0 "MXCP_PROJECT_DIR"
expect_json '.result' '[{"two":2}]'
MXCP_PROJECT_DIR=/nonexistent run run tool hello_world --param name=x --project-dir "$SCRATCH/p"
expect_rc 0 "--project-dir wins over MXCP_PROJECT_DIR"
for cmd in test lint drift-snapshot log-cleanup dbt-config; do
	run "$cmd" --project-dir "$SCRATCH/p" --json-output
	[ "$rc" != 2 ] || fail "$cmd --project-dir is a usage error"
	if grep -q "No mxcp-site.yml" "$SCRATCH/out" "$SCRATCH/err"; then fail "$cmd --project-dir: project not found"; fi
done
run list --project-dir "$SCRATCH/nope"
expect_rc 1 "a --project-dir that does not exist"
expect_err_contains "--project-dir $SCRATCH/nope: No such file or directory"

# unknown options: did you mean
run list --jsonoutput
expect_rc 2
expect_err_contains "No such option: --jsonoutput Did you mean --json-output?"
run validate tools/hello-world.yml --profile
expect_rc 2
expect_err_contains "Option '--profile' requires an argument."
run valdiate
expect_rc 2
expect_err_contains "No such command 'valdiate'. Did you mean 'validate'?"
done_testing
