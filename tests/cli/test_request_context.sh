# The request-context SQL functions (get_username(), get_user_email(),
# get_user_provider(), get_user_external_token(), get_request_header(name),
# get_request_headers_json()) under `mxcp run` and `mxcp test`, fed by
# --user-context, a test's user_context and --request-headers; on
# tests/projects/request_context.
set -eu
. "$(dirname "$0")/lib.sh"

proj=$(copy_project "$SRC/tests/projects/request_context")
cd "$proj"

run validate
expect_rc 0 "the functions exist when SQL is prepared"

# ---- mxcp run
run run tool whoami --json-output
expect_rc 0
expect_json '.result' '{"username":null,"email":null,"provider":null,"external_token":null}'

run run tool whoami --user-context '{"username":"ann","email":"ann@example.com","external_token":"tok"}' --json-output
expect_rc 0
expect_json '.result' '{"username":"ann","email":"ann@example.com","provider":"cli","external_token":null}'

run run tool whoami -u '{"role":"admin"}' --json-output
expect_json '.result | [.username, .email, .provider]' '["cli_user",null,"cli"]'

run run tool team --json-output
expect_json '.result' '{"team":null,"headers":null}'

run run tool team --request-headers '{"x-team":"blue","X-Other":"1"}' --json-output
expect_rc 0
expect_json '.result.team' '"blue"'
expect_json '.result.headers | fromjson' '{"x-team":"blue","X-Other":"1"}'
expect_json '.result.headers' '"{\"x-team\": \"blue\", \"X-Other\": \"1\"}"'

printf '{"x-team": "green"}' >headers.json
run run tool team --request-headers @headers.json --json-output
expect_json '.result.team' '"green"'

run run tool team --request-headers '["x-team"]'
expect_rc 2 "headers must be an object"
expect_err_contains "Request headers must be a JSON object"

# ---- mxcp test: the fixture's own tests, then ones that need the options
run test
expect_rc 0 "the fixture's tests"
expect_out_contains "4 passed, 0 failed"

cat >tools/needs_context.yml <<'YML'
mxcp: 1
tool:
  name: needs_context
  description: passes only with --request-headers and --user-context
  return: {type: object}
  source:
    code: SELECT get_request_header('x-team') AS team, get_username() AS username, get_user_provider() AS provider
  tests:
    - name: from_the_command_line
      arguments: []
      result: {team: blue, username: cli-ann, provider: cli}
YML
run test tool needs_context --request-headers '{"x-team":"blue"}' --user-context '{"username":"cli-ann"}'
expect_rc 0 "--request-headers and --user-context reach the SQL"
expect_out_contains "1 passed, 0 failed"

run test tool needs_context --json-output
expect_rc 1 "without them"
expect_json '.result.tests[0].status' '"failed"'
done_testing
