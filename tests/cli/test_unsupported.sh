# What the configuration asks for and this build cannot do is said on
# stderr, not silently dropped: OpenTelemetry export (profile
# `telemetry.enabled`, MXCP_TELEMETRY_ENABLED); the command itself still
# runs. On a copy of tests/projects/secrets.
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
expect_err_contains "config.yml: telemetry is enabled for profile 'default', but OpenTelemetry export is not available in this build"

MXCP_TELEMETRY_ENABLED=false run list
expect_rc 0
grep -q "telemetry" "$SCRATCH/err" && fail "MXCP_TELEMETRY_ENABLED=false still warns"
unset MXCP_CONFIG
MXCP_TELEMETRY_ENABLED=1 run list
expect_err_contains "MXCP_TELEMETRY_ENABLED: telemetry is enabled for profile 'default'"

done_testing
