# Every valid fixture project (tests/projects/*/ without an expected.txt) and
# the bundled example (examples/) has endpoint `tests:`, and they all pass
# under `mxcp test`. The one exception is `quality`, whose tests fail on
# purpose (test_quality.sh checks each failure's message and diff).
set -eu
. "$(dirname "$0")/lib.sh"

# check_project DIR: `mxcp test` in a copy of DIR exits 0 having run tests.
# A project with seed/seed.sql (the example, conformance) is seeded first.
check_project() {
	name=$1
	cd "$2"
	if [ -f seed/seed.sql ]; then
		rm -rf data
		run query --file seed/seed.sql
		expect_rc 0 "$name: seed/seed.sql"
	fi
	run test --json-output
	[ "$rc" = 0 ] || fail "$name: mxcp test exited $rc: $(jq -c '[.result.endpoints[]? | select(.test_results.status != "ok") | {endpoint, tests: [.test_results.tests[]? | select(.status != "passed") | {name, error}]}]' "$SCRATCH/out" 2>/dev/null)"
	expect_json '.result.status' '"ok"'
	ran=$(jq '.result.tests_run' "$SCRATCH/out")
	[ "$ran" -gt 0 ] || fail "$name: no endpoint has tests"
	printf '%s: %s tests passed\n' "$name" "$ran"
	cd "$SCRATCH"
}

checked=0
for dir in "$SRC"/tests/projects/*/; do
	name=$(basename "$dir")
	[ -f "$dir/expected.txt" ] && continue # exists to be invalid (test_errors.sh)
	[ "$name" = quality ] && continue # fails on purpose (test_quality.sh)
	check_project "$name" "$(copy_project "$dir")"
	checked=$((checked + 1))
done
[ "$checked" -ge 7 ] || fail "only $checked fixture projects found"

check_project examples "$(copy_project "$SRC/examples")"

# The deliberate failures of `quality` read as failures, not as a crash.
cd "$(copy_project "$SRC/tests/projects/quality")"
run test
expect_rc 1 "quality fails on purpose"
expect_out_contains "Diff (expected vs got):"
done_testing
