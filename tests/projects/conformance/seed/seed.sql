-- The table test_tool_with_progress scans: 2,000,000 rows, 17 DuckDB row
-- groups, so the scan reports its progress in steps of about 6%.
-- Seeded with `mxcp query --file seed/seed.sql` before the project is
-- served (tests/e2e/http.test.mjs, tests/cli/test_fixture_tests.sh).
CREATE OR REPLACE TABLE readings AS
SELECT range AS id, (range * 7919) % 1000003 AS v
FROM range(2000000);
