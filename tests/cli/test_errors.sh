# Each fixture in tests/projects/<class>/ holds one kind of mistake and, in
# expected.txt, the exact lines `mxcp validate` must print for it (file,
# line, column, field and message) — and the exit code must be 1. The JSON
# form (--json-output) must carry the same one error: file, line, column
# and message as fields.
set -eu
. "$(dirname "$0")/lib.sh"

checked=0
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
	# The JSON form: one error, at the same place, with the same message
	# (a project that does not load at all is a top-level error naming the
	# file's absolute path; an endpoint's error is an entry of `validated`).
	run validate --json-output
	expect_rc 1 "$name: mxcp validate --json-output"
	errors=$(jq -r 'if .status == "error" then .error
		else (.result.status as $s | if $s != "error" then "result.status is \($s)" else
			(.result.validated[] | select(.status == "error") | "\(.path):\(.line):\(.column): \(.message)") end) end' \
		"$SCRATCH/out") || fail "$name: --json-output is not JSON"
	n=$(jq '[if .status == "error" then 1 else .result.validated[] | select(.status == "error") end] | length' "$SCRATCH/out")
	[ "$n" -eq 1 ] || fail "$name: --json-output: expected one error, got $n:
$errors"
	case $errors in
	"$exp"* | */"$exp"*) ;;
	*) fail "$name: --json-output: expected the error
$exp
got
$errors" ;;
	esac
	cd "$SRC"
	checked=$((checked + 1))
done
[ "$checked" -ge 8 ] || fail "only $checked fixture projects with an expected.txt found"
done_testing
