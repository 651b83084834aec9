# `mxcp test`, `mxcp lint` and `mxcp evals` on tests/projects/quality: every
# assertion's pass and failure message, errors, lint findings with their
# file:line, and evals against a stand-in LLM (tests/quality/fake_llm.mjs)
# speaking the Anthropic Messages and OpenAI Chat Completions protocols: a
# model that calls a forbidden tool, one that calls with wrong arguments, a
# malformed response, a 429 with Retry-After, a 429 that never ends, and a
# timeout.
set -eu
. "$(dirname "$0")/lib.sh"

proj=$(copy_project "$SRC/tests/projects/quality")
cd "$proj"

# ---- mxcp test
run test
expect_rc 1 "failures"
expect_out_contains "      Field 'name' has value Ada, expected Bob"
expect_out_contains "      Expected field 'age' not found in result"
expect_out_contains "      Field 'email' should not be present in result but was found"
expect_out_contains "      result_length assertion requires array result, got <class 'dict'>"
expect_out_contains "      Result does not contain expected text: 'Zed'"
expect_out_contains "      Array does not contain expected item: {'id': 9}"
expect_out_contains "      Array has 2 items, expected 3"
expect_out_contains "      Expected: {'id': 1, 'name': 'Bob', 'phone': '555'}"
expect_out_contains "      Got: {'id': 1, 'name': 'Ada', 'email': 'ada@example.com'}"
expect_out_contains "        \$.name: expected 'Bob', got 'Ada'"
expect_out_contains "        \$.phone: missing (expected '555')"
expect_out_contains "        \$.email: unexpected 'ada@example.com'"
expect_out_contains "  ! bad_argument — error"
expect_out_contains "      Error validating parameter 'id'"
expect_out_contains "2 passed, 9 failed (1 error)"

run test tool list_items --json-output
expect_rc 1
expect_json '.result | [.status, .tests_run, .no_tests]' '["failed",3,false]'
expect_json '[.result.tests[] | {name, status, error}]' '[{"name":"all_items","status":"passed","error":null},{"name":"missing_item","status":"failed","error":"Array does not contain expected item: {'"'"'id'"'"': 9}"},{"name":"wrong_length","status":"failed","error":"Array has 2 items, expected 3"}]'

run test tool lookup --json-output
expect_json '.result.status' '"error"'
expect_json '[.result.tests[] | select(.name == "passes") | .status]' '["passed"]'

run test tool delete_items --json-output
expect_rc 0 "no tests"
expect_json '.result' '{"status":"ok","tests_run":0,"tests":[],"no_tests":true}'

run test tool nope --json-output
expect_rc 1 "not found"
expect_json '.result.message' '"Endpoint not found: tool/nope"'

run test --json-output
expect_json '.result | [.status, .tests_run]' '["error",11]'
expect_json '[.result.endpoints[] | .endpoint]' '["tool/delete_items","tool/list_items","tool/lookup"]'

# ---- mxcp lint
run lint
expect_rc 1 "an error-severity finding"
expect_out_contains "tools/delete_items.yml:6: error: tool.parameters[0].description: Parameter 'itemId' is missing a description"
expect_out_contains "    fix: Add a 'description' field to explain what this parameter does"
expect_out_contains "tools/delete_items.yml:2: warning: tool.tests: Tool has no tests defined"
expect_out_contains "tools/delete_items.yml:9: warning: tool.return.description: Return type is missing a description"
expect_out_contains "tools/delete_items.yml:6: info: tool.parameters[0].name: Parameter 'itemId' is not snake_case"
expect_out_contains "tools/delete_items.yml:2: warning: tool.annotations.destructiveHint: Tool name suggests it is destructive ('delete') but destructiveHint is not set"
expect_out_contains "tools/lookup.yml:14: warning: tool.return: Sensitive field 'email' is returned with no output policy"
expect_out_contains "tools/list_items.yml:31: info: tool.tests[2].description: Test 'wrong_length' is missing a description"
expect_out_contains "1 error, 4 warnings, 5 infos in 3 endpoint files"
[ "$(grep -c 'Tool has no tags' "$SCRATCH/out")" = 1 ] || fail "each finding is printed once"

run lint --severity warning --json-output
expect_rc 1
expect_json '[.result[] | .severity] | unique' '["error","warning"]'
expect_json '[.result[] | select(.severity == "error")][0]' '{"severity":"error","path":"tools/delete_items.yml","location":"tool.parameters[0].description","message":"Parameter '"'"'itemId'"'"' is missing a description","suggestion":"Add a '"'"'description'"'"' field to explain what this parameter does","line":6}'

# ---- mxcp evals against the stand-in model
command -v node >/dev/null 2>&1 || fail "node is required for the stand-in LLM (scripts/setup.sh)"
node "$SRC/tests/quality/fake_llm.mjs" >"$SCRATCH/port" &
llm=$!
trap 'kill $llm 2>/dev/null; rm -rf "$SCRATCH"' EXIT
i=0
while [ ! -s "$SCRATCH/port" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
port=$(cat "$SCRATCH/port")
cat >"$SCRATCH/config.yml" <<CFG
mxcp: 1
models:
  default: claude-4-sonnet
  models:
    claude-4-sonnet: {type: claude, api_key: "\${FAKE_LLM_KEY}", base_url: "http://127.0.0.1:$port", timeout: 2, max_retries: 1}
    gpt-4o: {type: openai, api_key: "\${FAKE_LLM_KEY}", base_url: "http://127.0.0.1:$port/v1", timeout: 2, max_retries: 1}
    gpt-4.1: {type: openai, base_url: "http://127.0.0.1:$port/v1"}
    slowpoke: {type: claude, api_key: "\${FAKE_LLM_KEY}", base_url: "http://127.0.0.1:$port", timeout: 1, max_retries: 3}
    impatient: {type: openai, api_key: "\${FAKE_LLM_KEY}", base_url: "http://127.0.0.1:$port/v1", max_retries: 0}
    patient: {type: claude, api_key: "\${FAKE_LLM_KEY}", base_url: "http://127.0.0.1:$port", max_retries: 1}
CFG
export MXCP_CONFIG="$SCRATCH/config.yml" FAKE_LLM_KEY=test-key

for model in claude-4-sonnet gpt-4o; do
	run evals basic --model $model --json-output
	expect_rc 1 "$model: failures"
	expect_json '.result | [.suite, .model, .all_passed]' "[\"basic\",\"$model\",false]"
	expect_json '[.result.tests[] | {name, passed, failures}]' '[{"name":"looks_up","passed":true,"failures":[]},{"name":"wrong_args","passed":false,"failures":["Expected call to '"'"'lookup'"'"' with args {'"'"'id'"'"': 1} not found"]},{"name":"forbidden","passed":false,"failures":["Tool '"'"'delete_items'"'"' was called but should not have been","Forbidden text '"'"'deleted'"'"' found in response"]},{"name":"retried","passed":true,"failures":[]}]'
	expect_json '.result.tests[0].details' '{"response":"The tool said: {\"id\":1,\"name\":\"Ada\",\"email\":\"ada@example.com\"}","tool_calls":[{"tool":"lookup","arguments":{"id":1},"result":{"id":1,"name":"Ada","email":"ada@example.com"}}]}'
done

run evals good
expect_rc 0 "a passing suite"
expect_out_contains "  ✓ quotes_lookup"
expect_out_contains "1 passed, 0 failed"

run evals --json-output
expect_rc 1
expect_json '[.result.suites[] | {suite, status}]' '[{"suite":"basic","status":"failed"},{"suite":"broken","status":"failed"},{"suite":"good","status":"passed"}]'
expect_json '.result.suites[1].tests[0].error' '"Malformed response from the openai API: invalid token near '"'"'oops'"'"'"'

# A model that does not answer in time: the model's `timeout` bounds the
# request (1 s against the stand-in's 20 s; without it the default of 30 s
# would let the answer through), and a timeout is not retried.
printf 'mxcp: 1\nsuite: slow\ntests:\n  - name: stalls\n    prompt: slow please\n    assertions: {}\n' >evals/slow.yml
run evals slow --model slowpoke --json-output
expect_rc 1 "a timed-out model"
expect_json '.result | [.suite, .model, .all_passed]' '["slow","slowpoke",false]'
expect_json '.result.tests[0] | [.name, .passed]' '["stalls",false]'
expect_json '.result.tests[0].error | test("^Request to the claude API failed: Operation timed out after [0-9]+ milliseconds")' 'true'
stats() { node -e "fetch('http://127.0.0.1:$port/stats').then((r) => r.text()).then((t) => process.stdout.write(t))"; }
stats=$(stats)
[ "$stats" = '{"slow":1,"early":0}' ] || fail "a timed-out request was retried: $stats"
run evals slow --model slowpoke
expect_rc 1
expect_out_contains "Operation timed out"

# 429 until the retries run out: the status and the API's message.
printf 'mxcp: 1\nsuite: limited\ntests:\n  - name: throttled\n    prompt: ratelimit always\n    assertions: {}\n' >evals/limited.yml
run evals limited --model impatient --json-output
expect_rc 1 "rate limited"
expect_json '.result.tests[0].error' '"The openai API answered HTTP 429: {\"error\":{\"message\":\"slow down\"}}"'
rm evals/limited.yml

# Retry-After is waited for: 2 s (our own backoff would be 1 s). The
# stand-in answers a retry that comes sooner with another 429, which the
# one retry allowed could not get past.
printf 'mxcp: 1\nsuite: waits\ntests:\n  - name: after_retry\n    prompt: ratelimit 2s then item 1\n    assertions:\n      must_call: [{tool: lookup, args: {id: 1}}]\n' >evals/waits.yml
run evals waits --model patient --json-output
expect_rc 0 "passes after the retry"
stats=$(stats)
[ "$(printf '%s' "$stats" | jq .early)" = 0 ] || fail "Retry-After: 2 was not waited for: $stats"
rm evals/slow.yml evals/waits.yml

run evals nope --json-output
expect_rc 1
expect_json '.result.error' '"Eval suite '"'"'nope'"'"' not found"'

run evals good --model gpt-4.1
expect_rc 1 "no api key"
expect_err_contains "No API key configured for model 'gpt-4.1'"
if grep -q test-key "$SCRATCH/out" "$SCRATCH/err"; then fail "the API key was printed"; fi

run evals good --model nosuch
expect_err_contains "Model 'nosuch' not configured in user config"

printf 'mxcp: 1\nsuite: typo\ntests:\n  - name: t\n    prompt: hi\n    assertions: {must_cal: []}\n' >evals/typo.yml
run evals typo
expect_rc 1
expect_err_contains "evals/typo.yml:6:18: tests[0].assertions.must_cal: unknown key"
done_testing
