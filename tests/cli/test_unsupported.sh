# Configuration that used to be refused is served quietly now: a profile's
# `telemetry` block (docs/telemetry.md; only `serve` exports, other
# commands say nothing about it) and Python plugins (a command that does not
# run the project, such as `list`, does not load them). On a copy of
# tests/projects/secrets.
set -eu
. "$(dirname "$0")/lib.sh"

proj=$(copy_project "$SRC/tests/projects/secrets")
cd "$proj"

run list
expect_rc 0
[ ! -s "$SCRATCH/err" ] || fail "a plain project warns: $(cat "$SCRATCH/err")"

cat >"$HOME/config.yml" <<'YML'
mxcp: 1
projects:
  vault_demo:
    profiles:
      default:
        telemetry:
          enabled: true
          endpoint: http://127.0.0.1:4318
YML
export MXCP_CONFIG="$HOME/config.yml"
run run tool secret_strings --json-output
expect_rc 0
grep -q "telemetry" "$SCRATCH/err" && fail "a telemetry block warns: $(cat "$SCRATCH/err")"
unset MXCP_CONFIG
MXCP_TELEMETRY_ENABLED=1 run list
expect_rc 0
grep -q "telemetry" "$SCRATCH/err" && fail "MXCP_TELEMETRY_ENABLED warns: $(cat "$SCRATCH/err")"

printf 'plugin:\n  - name: str_secret\n    module: my_plugin\n    config: rot1\n' >>mxcp-site.yml
run list
expect_rc 0
expect_out_contains "secret_strings"
grep -q "not available in this build" "$SCRATCH/err" && fail "a plugin is said unsupported: $(cat "$SCRATCH/err")"

done_testing
