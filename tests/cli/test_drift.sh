# `mxcp drift-snapshot` / `mxcp drift-check` (shared/spec/mxcp.md §9): a
# snapshot, then exactly one table change and one endpoint change reported
# (text and JSON, exit 1); no change → exit 0; missing baseline → MXCP's
# error; --force, --dry-run and --baseline.
set -eu
. "$(dirname "$0")/lib.sh"

P="$SCRATCH/proj"
mkdir -p "$P"
cp -r "$SRC/tests/projects/audit/." "$P/"
sed -i 's|path: ":memory:"|path: data/db.duckdb|' "$P/mxcp-site.yml"
cd "$P"
run query "CREATE TABLE orders(id INTEGER, amount INTEGER, note VARCHAR); CREATE TABLE stale(x INTEGER)"
expect_rc 0 "seed"

run drift-check
expect_rc 1 "drift-check without a baseline"
expect_err_contains "Failed to load baseline snapshot: Snapshot file not found: $P/drift/drift-default.json"

run drift-snapshot --dry-run
expect_rc 0 "dry run"
expect_out_contains "Would write drift snapshot to $P/drift/drift-default.json (2 table(s), 6 resource(s))"
[ ! -e drift/drift-default.json ] || fail "--dry-run wrote the snapshot"

run drift-snapshot
expect_rc 0 "snapshot"
expect_out_contains "Drift snapshot written to $P/drift/drift-default.json"
jq -e '.version == 1 and (.tables | map(.name)) == ["orders", "stale"]
       and .tables[0].columns == [{"name":"id","type":"INTEGER"},{"name":"amount","type":"INTEGER"},{"name":"note","type":"VARCHAR"}]
       and (.resources | map(.validation_results.path)) == ["prompts/greet.yml","resources/vault.yml","tools/explode.yml","tools/login.yml","tools/slow.yml","tools/transfer.yml"]
       and (.resources | all(.validation_results.status == "ok" and .test_results.status == "ok"))
       and (.resources | map(.test_results.tests_run)) == [1,1,0,1,1,1]
       and .resources[2].test_results == {"status":"ok","tests_run":0,"no_tests":true}
       and (.resources[0].test_results.tests | map([.name, .status])) == [["hello","passed"]]
       and .resources[3].definition.tool.name == "login"' drift/drift-default.json >/dev/null ||
	fail "snapshot layout: $(cat drift/drift-default.json)"

run drift-snapshot
expect_rc 1 "snapshot over an existing one"
expect_err_contains "Drift snapshot already exists at $P/drift/drift-default.json. Use --force to overwrite."

run drift-check
expect_rc 0 "no change"
expect_out_contains "✅ NO DRIFT DETECTED"
expect_out_contains "  Tables: 0 added, 0 removed, 0 modified"
expect_out_contains "  Resources: 0 added, 0 removed, 0 modified"

# One table change (a column added, one removed, one retyped) and one
# endpoint change (its SQL).
run query "ALTER TABLE orders ADD COLUMN region VARCHAR; ALTER TABLE orders DROP COLUMN note; ALTER TABLE orders ALTER amount TYPE DOUBLE"
expect_rc 0 "alter"
sed -i 's/length($password) > 0 AS ok/length($password) > 1 AS ok/' tools/login.yml

run drift-check
expect_rc 1 "drift"
expect_out_contains "🔴 DRIFT DETECTED"
expect_out_contains "  Tables: 0 added, 0 removed, 1 modified"
expect_out_contains "  Resources: 0 added, 0 removed, 1 modified"
expect_out_contains "  ~ orders (modified)"
expect_out_contains "      + region (VARCHAR)"
expect_out_contains "      - note (VARCHAR)"
expect_out_contains "      ~ amount: INTEGER → DOUBLE"
expect_out_contains "  ~ tools/login.yml [tool/login] (modified)"
expect_out_contains "      definition changed: source"

run drift-check --json-output
expect_rc 1 "drift, JSON"
expect_json '.result | [.version, .has_drift, .summary]' \
	'[1,true,{"tables_added":0,"tables_removed":0,"tables_modified":1,"resources_added":0,"resources_removed":0,"resources_modified":1}]'
expect_json '.result.table_changes' \
	'[{"name":"orders","change_type":"modified","columns_added":[{"name":"region","type":"VARCHAR"}],"columns_removed":[{"name":"note","type":"VARCHAR"}],"columns_modified":[{"name":"amount","old_type":"INTEGER","new_type":"DOUBLE"}]}]'
expect_json '.result.resource_changes' \
	'[{"path":"tools/login.yml","endpoint":"tool/login","change_type":"modified","definition_changed":true,"details":{"definition_changes":["source"]}}]'
expect_json '.result | [.baseline_snapshot_path, (.baseline_snapshot_generated_at | type), (.current_snapshot_generated_at | type)]' \
	"[\"$P/drift/drift-default.json\",\"string\",\"string\"]"

# Added and removed: a table and an endpoint each; an endpoint that no
# longer validates.
run query "DROP TABLE stale; CREATE TABLE fresh(y INTEGER)"
rm tools/explode.yml
sed -i 's/name: greet/name: greet2/' prompts/greet.yml
cat >tools/broken.yml <<'YML'
mxcp: 1
tool:
  name: broken
  description: Reads a table that does not exist.
  source:
    code: SELECT * FROM no_such_table
YML
run drift-check --json-output
expect_rc 1 "added and removed"
expect_json '.result.summary' \
	'{"tables_added":1,"tables_removed":1,"tables_modified":1,"resources_added":1,"resources_removed":1,"resources_modified":2}'
expect_json '[.result.table_changes[] | [.name, .change_type]]' '[["fresh","added"],["orders","modified"],["stale","removed"]]'
expect_json '[.result.resource_changes[] | [.path, .endpoint, .change_type]]' \
	'[["prompts/greet.yml","prompt/greet2","modified"],["tools/broken.yml","tool/broken","added"],["tools/login.yml","tool/login","modified"],["tools/explode.yml","tool/explode","removed"]]'
expect_json '.result.resource_changes[0].details.definition_changes' '["name"]'

# A new baseline with --force, and --baseline pointing at it elsewhere.
run drift-snapshot --force
expect_rc 0 "--force"
mv drift/drift-default.json "$SCRATCH/base.json"
run drift-check --baseline "$SCRATCH/base.json"
expect_rc 0 "--baseline, no change"
expect_out_contains "✅ NO DRIFT DETECTED"
run drift-check --force
expect_rc 2 "drift-check takes no --force"

# A baseline of another snapshot version is named as MXCP names it.
jq '.version = 2' "$SCRATCH/base.json" > "$SCRATCH/v2.json"
run drift-check --baseline "$SCRATCH/v2.json"
expect_rc 1 "--baseline of version 2"
expect_err_contains "Failed to load baseline snapshot: Unsupported snapshot version: 2"
run drift-check --baseline "$SCRATCH/v2.json" --json-output
expect_rc 1
expect_json '.error' '"Failed to load baseline snapshot: Unsupported snapshot version: 2"'
jq '.version = "1.0"' "$SCRATCH/base.json" > "$SCRATCH/vs.json"
run drift-check --baseline "$SCRATCH/vs.json"
expect_err_contains "Unsupported snapshot version: 1.0"
jq 'del(.tables)' "$SCRATCH/base.json" > "$SCRATCH/notables.json"
run drift-check --baseline "$SCRATCH/notables.json"
expect_rc 1 "a baseline without tables"
expect_err_contains "expected version 1 with tables and resources"

echo "test_drift: $TESTS commands ok"
