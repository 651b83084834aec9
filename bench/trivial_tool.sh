#!/bin/sh
# bench/trivial_tool.sh DIR — write the `trivial` tool (SELECT $n + 1, one
# integer parameter) into the project at DIR: the call every server-side
# benchmark measures, so the servers are measured and not DuckDB.
set -eu
mkdir -p "$1/tools"
cat >"$1/tools/trivial.yml" <<'YML'
mxcp: 1
tool:
  name: trivial
  description: Add one to an integer.
  parameters:
    - name: n
      type: integer
      description: The integer
  return:
    type: integer
  source:
    code: SELECT $n + 1 AS n
YML
