# Policies from the command line (tests/projects/policies): input denials,
# every output action, the anonymous user, `--user-context JSON` and
# `@file.json`, a rule that cannot be evaluated (denied, the rule named), and
# a condition that does not parse (a validate error at file:line:col).
set -eu
. "$(dirname "$0")/lib.sh"

proj=$(copy_project "$SRC/tests/projects/policies")
cd "$proj"

run validate
expect_rc 0 "validate policies"

# input: a non-admin may read only their own customer; admins read any
run run tool customer --param customer_id=3 --user-context '{"role":"admin"}' --json-output
expect_rc 0 "customer as admin"
expect_json '.result' '{"id":3,"name":"Customer 3","internal_notes":"pays late"}'
run run tool customer --param customer_id=3 --user-context '{"role":"user","customer_id":3}' --json-output
expect_rc 0 "customer as owner"
expect_json '.result' '{"id":3,"name":"Customer 3"}'
run run tool customer --param customer_id=3 --user-context '{"customer_id":4}'
expect_rc 1 "customer as someone else"
expect_out ''
[ "$(cat "$SCRATCH/err")" = "Error: Policy enforcement failed: You can only view your own data" ] ||
	fail "customer as someone else: stderr"
run run tool customer --param customer_id=3 --user-context '{"customer_id":4}' --json-output
expect_rc 1 "customer as someone else, JSON"
expect_json '.' '{"status":"error","error":"Policy enforcement failed: You can only view your own data"}'

# fail closed: the anonymous user has no customer_id, so the rule errors and denies
run run tool customer --param customer_id=3 --json-output
expect_rc 1 "customer as anonymous"
expect_json '.error' '"Policy enforcement failed: input[0] could not be evaluated (no such key: customer_id)"'
run run tool by_department --json-output
expect_rc 1 "by_department without a department"
expect_json '.error' '"Policy enforcement failed: input[0] could not be evaluated (no such key: department)"'
run run tool by_department --user-context '{"department":"sales"}'
expect_rc 0 "by_department in sales"
expect_out 'sales figures'
run run tool by_department --user-context '{"department":"ops"}' --json-output
expect_rc 1 "by_department in ops"
expect_json '.error' '"Policy enforcement failed: Sales only"'

# the anonymous user, and the default reason
run run tool members_only --json-output
expect_rc 1 "members_only as anonymous"
expect_json '.error' '"Policy enforcement failed: Access denied by policy"'
run run tool members_only --user-context '{}'
expect_rc 0 "members_only as a CLI user"
expect_out 'welcome'

# output: filter_sensitive_fields + mask_fields + filter_fields over rows
run run tool employees --json-output
expect_rc 0 "employees as anonymous"
expect_json '.result' '[{"id":1,"name":"Ann","email":"****"},{"id":2,"name":"Bob","email":"****"}]'
run run tool employees --user-context '{"role":"staff"}' --json-output
expect_rc 0 "employees as staff"
expect_json '.result' '[{"id":1,"name":"Ann","email":"****","phone":"555-0101"},{"id":2,"name":"Bob","email":"****","phone":"555-0102"}]'
run run tool employees --user-context @user.json --json-output
expect_rc 0 "employees as HR from a file"
expect_json '.result' '[{"id":1,"name":"Ann","email":"ann@example.com","phone":"555-0101","salary":120000},{"id":2,"name":"Bob","email":"bob@example.com","phone":"555-0102","salary":95000}]'

# sensitive members of nested objects and of array items
run run tool profile --json-output
expect_rc 0 "profile"
expect_json '.result' '{"name":"Ann","contact":{"email":"ann@example.com"},"accounts":[{"bank":"First"},{"bank":"Second"}]}'

# output deny on the response
run run tool report --param level=public --json-output
expect_rc 0 "public report"
expect_json '.result' '{"title":"Quarterly numbers","classification":"public"}'
run run tool report --param level=secret
expect_rc 1 "secret report as anonymous"
[ "$(cat "$SCRATCH/err")" = "Error: Output policy enforcement failed: Classified report" ] ||
	fail "secret report: stderr"
run run tool report --param level=secret --user-context '{"role":"admin"}' --json-output
expect_rc 0 "secret report as admin"
expect_json '.result.classification' '"secret"'

# a user context that is not JSON is a usage error
run run tool members_only --user-context '{nope'
expect_rc 2 "bad user context"

# a condition that does not parse: validate names the file, line, column and rule
bad=$(copy_project "$SRC/tests/projects/bad_policy")
cd "$bad"
run validate
expect_rc 1 "validate bad_policy"
expect_out_contains "tools/broken.yml:11:20: tool.policies.input[0].condition: ERROR: <input>:1:5: Syntax error: unexpected '>'"
expect_out_contains ' | id >> 3'
run validate --json-output
expect_rc 1 "validate bad_policy, JSON"
expect_json '.result.validated[0] | [.status, .path, .line, .column, .message]' \
	"[\"error\",\"tools/broken.yml\",11,20,\"tool.policies.input[0].condition: ERROR: <input>:1:5: Syntax error: unexpected '>'\\n | id >> 3\\n | ....^\"]"
run run tool broken --param id=1
expect_rc 1 "run an endpoint whose policy does not parse"
expect_err_contains "tool.policies.input[0].condition: ERROR: <input>:1:5: Syntax error"
done_testing
