# tests/cli/lib.sh — helpers for the command-level tests (sourced, POSIX sh).
# Each test drives the real binary ($MXCP, set by CTest) in a scratch folder
# and asserts on stdout, stderr and the exit code; a failure says what was
# expected and what came out.
set -u
: "${MXCP:=$(pwd)/build/mxcp}"
: "${MXCP_SOURCE_DIR:=$(pwd)}"
SRC=$MXCP_SOURCE_DIR
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/mxcp-cli-XXXXXX")
trap 'rm -rf "$SCRATCH"' EXIT
# Never read the developer's own ~/.mxcp/config.yml.
export HOME="$SCRATCH/home"
mkdir -p "$HOME"
unset MXCP_CONFIG MXCP_CONFIG_PATH MXCP_PROFILE MXCP_READONLY MXCP_DUCKDB_PATH MXCP_DEBUG 2>/dev/null || true
TESTS=0

fail() {
	printf 'FAIL: %s\n' "$*" >&2
	if [ -f "$SCRATCH/out" ]; then
		printf -- '--- stdout\n' >&2
		cat "$SCRATCH/out" >&2
		printf -- '--- stderr\n' >&2
		cat "$SCRATCH/err" >&2
	fi
	exit 1
}

# run CMD...: runs mxcp with the args; sets $rc, files $SCRATCH/out and $SCRATCH/err.
run() {
	set +e
	"$MXCP" "$@" >"$SCRATCH/out" 2>"$SCRATCH/err"
	rc=$?
	set -e
	TESTS=$((TESTS + 1))
}

expect_rc() {
	[ "$rc" = "$1" ] || fail "${2:-command}: expected exit code $1, got $rc"
}

expect_out() {
	got=$(cat "$SCRATCH/out")
	[ "$got" = "$1" ] || fail "${2:-stdout}: expected
$1
got
$got"
}

expect_out_contains() {
	grep -qF -- "$1" "$SCRATCH/out" || fail "${2:-stdout}: expected to contain [$1]"
}

expect_err_contains() {
	grep -qF -- "$1" "$SCRATCH/err" || fail "${2:-stderr}: expected to contain [$1]"
}

# expect_json FILTER EXPECTED: jq -c FILTER on stdout must print EXPECTED.
expect_json() {
	got=$(jq -c "$1" "$SCRATCH/out" 2>&1) || fail "stdout is not JSON: $got"
	[ "$got" = "$2" ] || fail "jq '$1': expected
$2
got
$got"
}

# A copy of a fixture project in the scratch folder; prints its path.
copy_project() {
	dest="$SCRATCH/$(basename "$1")"
	cp -R "$1" "$dest"
	printf '%s' "$dest"
}

done_testing() {
	printf 'ok: %s checks\n' "$TESTS"
}
