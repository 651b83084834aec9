#!/bin/sh
# bench/gen_project.sh DIR [N] — generate an MXCP project with N tools (default
# 200), each with three typed parameters, a return schema, a test and its own
# SQL file, over one seeded table. Used by bench/cli.sh.
set -eu
DIR=$1
N=${2:-200}
mkdir -p "$DIR/tools" "$DIR/sql"
cat >"$DIR/mxcp-site.yml" <<YML
mxcp: 1
project: bench
profile: default
profiles:
  default:
    duckdb:
      path: data/bench.duckdb
YML
i=0
while [ $i -lt "$N" ]; do
	cat >"$DIR/sql/tool_$i.sql" <<SQL
SELECT id, name, score FROM items WHERE score >= \$min_score AND name LIKE \$prefix || '%' ORDER BY id LIMIT \$limit
SQL
	cat >"$DIR/tools/tool_$i.yml" <<YML
mxcp: 1
tool:
  name: tool_$i
  description: Generated tool number $i for the list benchmark.
  tags: [bench, generated]
  annotations:
    readOnlyHint: true
  parameters:
    - name: min_score
      type: number
      description: Lowest score to include
      minimum: 0
      default: 0
    - name: prefix
      type: string
      description: Name prefix
      maxLength: 20
      default: ""
    - name: limit
      type: integer
      description: Row limit
      minimum: 1
      maximum: 1000
      default: 10
  return:
    type: array
    items:
      type: object
      properties:
        id: {type: integer, description: Item id}
        name: {type: string, description: Item name}
        score: {type: number, description: Item score}
  source:
    file: ../sql/tool_$i.sql
  tests:
    - name: some_rows
      arguments:
        - key: limit
          value: 5
      result_length: 5
YML
	i=$((i + 1))
done
