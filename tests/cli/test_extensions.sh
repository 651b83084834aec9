# DuckDB extensions as MXCP handles them: the listed ones are installed and
# loaded (INSTALL name [FROM repo]; LOAD name) and known ones autoload when a
# statement needs them; MXCP_OFFLINE (air-gapped servers) installs nothing,
# and a listed extension that is not installed is an error naming
# mxcp-site.yml:line:col with the fix. DuckDB's own advice for a missing
# extension (SET autoinstall_known_extensions…) becomes mxcp's.
set -eu
. "$(dirname "$0")/lib.sh"

mkdir -p "$SCRATCH/p"
cd "$SCRATCH/p"
cat >mxcp-site.yml <<'YML'
mxcp: 1
project: ext
profile: default
profiles:
  default:
    duckdb:
      path: ":memory:"
YML

# json and parquet are linked into DuckDB: they autoload on use
run query "SELECT json_extract_string('{\"a\": \"b\"}', '\$.a') AS v" --json-output
expect_rc 0 "autoload of a linked extension"
expect_out_contains '"v": "b"'

# offline, a statement that needs httpfs: mxcp's advice, not DuckDB's SET
export MXCP_OFFLINE=1
run query "SELECT * FROM read_json('https://example.com/x.json')"
expect_rc 1 "missing extension offline"
expect_err_contains "Add 'httpfs' to \`extensions:\` in mxcp-site.yml"
if grep -q "autoinstall_known_extensions" "$SCRATCH/err"; then fail "DuckDB's SET advice is still shown"; fi

# offline, a listed extension that is not installed: where it is listed, and the fix
cat >>mxcp-site.yml <<'YML'
extensions:
  - json
  - name: httpfs
YML
run validate
expect_rc 1 "listed extension offline"
expect_err_contains "mxcp-site.yml:10:5: extensions: 'httpfs' is not installed, and MXCP_OFFLINE keeps mxcp from installing it"
unset MXCP_OFFLINE
echo "ok: $TESTS extension checks"
