# The bundled example project (examples/) seeds, validates, and answers
# every kind of endpoint with exact values.
set -eu
. "$(dirname "$0")/lib.sh"

proj=$(copy_project "$SRC/examples")
rm -rf "$proj/data"
cd "$proj"
run query --file seed/seed.sql
expect_rc 0 "seed"
run validate
expect_rc 0 "validate"
expect_out_contains "8 valid, 0 invalid"

run run tool search_products --param query=o --param max_price=50 --json-output
expect_rc 0
expect_json '[.result[] | .product_id]' '[20,21]'
expect_json '.result[0]' '{"product_id":20,"name":"SQL for analysts","category":"books","price":39.9,"in_stock":true}'

# the Python tool: db.execute, the plugin's SQL function, the @on_init hook's best sellers
run run tool recommend_products --param customer_id=5 --json-output
expect_rc 0 "python tool"
expect_json '.result' '[{"product_id":21,"name":"The art of DuckDB","category":"books","price":45,"label":"$45.00"}]'
run query "SELECT price_label_shop(1200) AS label" --json-output
expect_rc 0 "plugin UDF"
expect_json '.result[0].label' '"$1,200.00"'

run run tool search_products --param query=o --param category=toys
expect_rc 1 "enum violation"
expect_err_contains "Invalid value for category. Must be one of: ['hardware', 'books', 'services']"

run run tool search_products --param query=
expect_rc 1 "minLength"
expect_err_contains "Error validating parameter 'query'"

run run tool get_customer --param customer_id=4 --json-output
expect_rc 0
expect_json '.result | {name, signed_up, orders, spent}' '{"name":"Katherine Johnson","signed_up":"2024-02-29","orders":2,"spent":1200}'

run run tool get_customer --param customer_id=99
expect_rc 1 "object return with no row"
expect_err_contains "No results returned"

run run tool sales_by_month --param start_date=2024-01-01 --param end_date=2024-03-31 --json-output
expect_rc 0
expect_json '.result' '[{"month":"2024-01-01","orders":2,"revenue":208.8},{"month":"2024-02-01","orders":1,"revenue":59.5},{"month":"2024-03-01","orders":2,"revenue":1999.98}]'

printf '["pending"]' > statuses.json
run run tool sales_by_month --param start_date=2024-03-01 --param end_date=2024-04-30 --param statuses=@statuses.json --json-output
expect_rc 0
expect_json '[.result[] | .orders]' '[1,1]'

run run tool sales_by_month --param start_date=2024-02-30 --param end_date=2024-03-31
expect_rc 1 "impossible date"
expect_err_contains "Error validating parameter 'start_date'"

run run tool order_count --json-output
expect_rc 0
expect_json '.result' '2'

run run resource 'customers://{customer_id}' --param customer_id=2 --json-output
expect_rc 0
expect_json '.result' '{"customer_id":2,"name":"Grace Hopper","country":"US","tier":"silver"}'

run run resource 'catalog://categories' --json-output
expect_rc 0
expect_json '.result' '[{"category":"books","products":2},{"category":"hardware","products":3},{"category":"services","products":1}]'

run run prompt customer_summary --param customer_id=3 --param tone=formal --json-output
expect_rc 0
expect_json '[.result[] | .role]' '["system","user"]'
expect_json '.result[1].prompt' '"Write a formal summary of customer 3.\nCover: orders, spending."'

printf '[]' > nofocus.json
run run prompt customer_summary --param customer_id=3 --param focus=@nofocus.json --json-output
expect_json '.result[1].prompt' '"Write a friendly summary of customer 3.\nKeep it to one paragraph."'
# The example's own `tests:` pass, through the served call path.
run test
expect_rc 0 "mxcp test"
expect_out_contains "10 passed, 0 failed"
run test --json-output
expect_json '.result | [.status, .tests_run]' '["ok",10]'
# drift snapshots carry the real test results (run through the test runner)
run drift-snapshot --json-output
expect_rc 0 "drift-snapshot"
jq -c '[.resources[] | {p: .validation_results.path, s: .test_results.status, n: .test_results.tests_run}]' drift/drift-default.json >"$SCRATCH/out"
expect_json '.' '[{"p":"prompts/customer_summary.yml","s":"ok","n":1},{"p":"resources/categories.yml","s":"ok","n":1},{"p":"resources/customer.yml","s":"ok","n":1},{"p":"tools/get_customer.yml","s":"ok","n":1},{"p":"tools/order_count.yml","s":"ok","n":1},{"p":"tools/recommend_products.yml","s":"ok","n":2},{"p":"tools/sales_by_month.yml","s":"ok","n":1},{"p":"tools/search_products.yml","s":"ok","n":2}]'
run drift-check
expect_rc 0 "drift-check without changes"
# lint gates CI on errors: the example has none
run lint
expect_rc 0 "mxcp lint on the example"
expect_out_contains "0 errors,"
run lint --json-output
expect_json '[.result[] | select(.severity == "error")] | length' '0'
done_testing
