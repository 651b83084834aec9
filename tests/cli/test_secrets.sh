# DuckDB secret injection (MXCP's behaviour): every secret of the active
# profile in the user config with parameters becomes
# `CREATE TEMPORARY SECRET name (TYPE type, KEY 'value', …)` on each
# connection, a map parameter a DuckDB MAP; a secret DuckDB cannot create
# (an unknown type) is skipped and the rest still work; quotes in values
# stay data. On tests/projects/secrets.
set -eu
. "$(dirname "$0")/lib.sh"

proj=$(copy_project "$SRC/tests/projects/secrets")
cd "$proj"

# No user config: no secrets.
run run tool secret_strings --json-output
expect_rc 0
expect_json '.result' '[]'

cat >"$HOME/config.yml" <<'YML'
mxcp: 1
projects:
  vault_demo:
    profiles:
      default:
        secrets:
          - name: api_token
            type: http
            parameters:
              BEARER_TOKEN: "it's-${TOKEN_PART}"
          - name: headers
            type: http
            parameters:
              EXTRA_HTTP_HEADERS:
                Authorization: "Bearer abc"
                X-Team: blue
          - name: for_python_only
            type: custom_service
            parameters:
              key: value
          - name: no_parameters
            type: http
      other:
        secrets:
          - name: other_profile
            type: http
            parameters:
              BEARER_TOKEN: nope
YML
export MXCP_CONFIG="$HOME/config.yml" TOKEN_PART=xyz

run run tool secret_strings --json-output
expect_rc 0 "an unknown secret type does not fail the call"
expect_json '[.result[].name]' '["api_token","headers"]'
expect_json '[.result[].type] | unique' '["http"]'
expect_json '.result[0].secret_string | test("bearer_token=it.s-xyz")' 'true'
expect_json '.result[0].secret_string | contains("bearer_token=it'"'"'s-xyz")' 'true'
expect_json '.result[1].secret_string | contains("extra_http_headers={Authorization=Bearer abc, X-Team=blue}")' 'true'

# The skipped one is said at debug level, naming it.
run --debug run tool secret_strings --json-output
expect_rc 0
expect_err_contains "Could not create secret 'for_python_only' in DuckDB"

# Every connection has them: the test runner and `mxcp query` too.
run query "SELECT count(*) AS n FROM duckdb_secrets()" --json-output
expect_rc 0
expect_json '.result[0].n' '2'

# Another profile's secrets are not created.
cat >>mxcp-site.yml <<'YML'
  other:
    duckdb:
      path: ":memory:"
YML
run run tool secret_strings --profile other --json-output
expect_rc 0
expect_json '[.result[].name]' '["other_profile"]'

done_testing
