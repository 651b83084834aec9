# Each fixture in tests/projects/<class>/ holds one kind of mistake and, in
# expected.txt, the exact lines `mxcp validate` must print for it (file,
# line, column, field and message) — and the exit code must be 1.
set -eu
. "$(dirname "$0")/lib.sh"

for dir in "$SRC"/tests/projects/*/; do
	name=$(basename "$dir")
	[ -f "$dir/expected.txt" ] || continue
	proj=$(copy_project "$dir")
	cd "$proj"
	run validate
	expect_rc 1 "$name: mxcp validate"
	exp=$(cat expected.txt)
	grep -F -- "$exp" "$SCRATCH/out" >/dev/null 2>&1 || grep -F -- "$exp" "$SCRATCH/err" >/dev/null 2>&1 ||
		fail "$name: expected the line
$exp"
	# the JSON form carries the same message and location
	run validate --json-output
	expect_rc 1 "$name: mxcp validate --json-output"
	cd "$SRC"
done
done_testing
