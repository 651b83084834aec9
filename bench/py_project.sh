#!/bin/sh
# bench/py_project.sh DIR [sql|python] — the project of bench/python.sh.
#   sql:    the tool `inc_sql` (SELECT $n + 1 AS x, one integer parameter,
#           returns an object) over data/bench.duckdb, nothing else;
#   python: the same, plus Python tools in python/bench_tools.py:
#           `inc`  — def inc(n: int) -> dict: return {"x": n + 1};
#           `spin` — a pure-Python loop until the thread has used `ms`
#                    milliseconds of CPU (the slow CPU-bound tool);
#           `rows` — a list of 100 {"id", "name", "score"} dicts built in
#                    Python (the leak check: 100 objects converted per call).
set -eu
DIR=$1
KIND=${2:-python}
mkdir -p "$DIR/tools" "$DIR/data"
cat >"$DIR/mxcp-site.yml" <<'YML'
mxcp: 1
project: pybench
profile: default
profiles:
  default:
    duckdb:
      path: data/bench.duckdb
YML
cat >"$DIR/tools/inc_sql.yml" <<'YML'
mxcp: 1
tool:
  name: inc_sql
  description: Add one to an integer, in SQL.
  parameters:
    - name: n
      type: integer
      description: The integer
  return:
    type: object
    properties:
      x: {type: integer}
  source:
    code: SELECT $n + 1 AS x
YML
[ "$KIND" = python ] || exit 0
mkdir -p "$DIR/python"
cat >"$DIR/python/bench_tools.py" <<'PY'
import time


def inc(n: int) -> dict:
    return {"x": n + 1}


def spin(ms: int) -> dict:
    end = time.thread_time() + ms / 1000
    n = 0
    while time.thread_time() < end:
        for _ in range(10000):
            n += 1
    return {"n": n}


def rows(n: int) -> list:
    return [{"id": n + i, "name": f"item {i}", "score": i * 0.5} for i in range(100)]
PY
cat >"$DIR/tools/inc.yml" <<'YML'
mxcp: 1
tool:
  name: inc
  description: Add one to an integer, in Python.
  language: python
  source:
    file: ../python/bench_tools.py
  parameters:
    - name: n
      type: integer
      description: The integer
  return:
    type: object
    properties:
      x: {type: integer}
YML
cat >"$DIR/tools/spin.yml" <<'YML'
mxcp: 1
tool:
  name: spin
  description: Burn `ms` milliseconds of CPU in a Python loop.
  language: python
  source:
    file: ../python/bench_tools.py
  parameters:
    - name: ms
      type: integer
      description: CPU milliseconds
  return:
    type: object
    properties:
      n: {type: integer}
YML
cat >"$DIR/tools/rows.yml" <<'YML'
mxcp: 1
tool:
  name: rows
  description: A 100-row list built in Python.
  language: python
  source:
    file: ../python/bench_tools.py
  parameters:
    - name: n
      type: integer
      description: The first id
  return:
    type: array
    items:
      type: object
      properties:
        id: {type: integer}
        name: {type: string}
        score: {type: number}
YML
