# Every DuckDB type a user meets round-trips through a tool to JSON
# (tests/projects/types/tools/all_types.yml), asserted value by value.
set -eu
. "$(dirname "$0")/lib.sh"

proj=$(copy_project "$SRC/tests/projects/types")
cd "$proj"
run run tool all_types --json-output
expect_rc 0 "run all_types"
expect_json '.result | to_entries | map(select(.key | test("^(tinyint|smallint|utinyint|usmallint|uinteger|ubigint|hugeint_small|hugeint_big|uhugeint_big)$"))) | from_entries' \
	'{"tinyint":-128,"smallint":32767,"utinyint":255,"usmallint":65535,"uinteger":4294967295,"ubigint":"18446744073709551615","hugeint_small":42,"hugeint_big":"170141183460469231731687303715884105727","uhugeint_big":"340282366920938463463374607431768211455"}'
expect_json '.result.integer' '2147483647'
# jq reads numbers as doubles, so check the exact int64 text itself
expect_out_contains '"bigint": -9223372036854775808,'
expect_json '[.result.decimal_small, .result.decimal_wide, .result.float, .result.double, .result.double_nan, .result.double_inf]' \
	'[123.45,1234567890123.4568,1.5,2.25,null,null]'
expect_json '[.result.varchar, .result.boolean]' '["héllo ✓",true]'
expect_json '[.result.date, .result.time, .result.time_frac, .result.timestamp, .result.timestamp_us, .result.timestamptz]' \
	'["2024-02-29","12:34:56","01:02:03.250000","2024-01-02T03:04:05","2024-01-02T03:04:05.123456","2024-01-02T03:04:05Z"]'
expect_json '[.result.interval, .result.interval_zero]' '["P1Y2M3DT4H5M6.5S","PT0S"]'
expect_json '[.result.uuid, .result.blob]' '["550e8400-e29b-41d4-a716-446655440000","qrtoaQ=="]'
expect_json '[.result.list, .result.array, .result.struct]' '[[1,2,null],["a","b"],{"x":1,"y":"a","z":[true]}]'
expect_json '[.result.map, .result.map_int_keys, .result.enum]' '[{"k":1,"j":2},{"1":"one"},"happy"]'
# JSON columns come out as their JSON text, as MXCP returns them
expect_json '[.result.json, .result.null_value]' '["{\"a\": [1, 2], \"b\": null}",null]'
expect_json '.result | keys | length' '37'
done_testing
