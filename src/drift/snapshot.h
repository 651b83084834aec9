/* SPDX-License-Identifier: Apache-2.0 */
/*
 * snapshot — MXCP's drift snapshot (shared/spec/mxcp.md §9): what the
 * database and the endpoints look like now, as one JSON document written to
 * the profile's `drift.path` and compared later by compare.h.
 *
 *   {"version": 1, "generated_at": "<ISO UTC>",
 *    "tables": [{"name", "columns": [{"name", "type"}]}],      (by name)
 *    "resources": [{"validation_results": {"status", "path", "message"?},
 *                   "test_results": {…}, "definition": {…}}]}  (by path)
 *
 * Tables are information_schema's tables and views of schema `main`, with
 * each column's data_type. Resources are every endpoint file the project
 * found: validated against the database as `mxcp validate` does, the file's
 * definition as JSON (mx_endpoint_definition); a file that failed to load has
 * only its validation_results. test_results: the test runner is not wired in
 * yet, so an endpoint without tests gets MXCP's
 * {"status":"ok","tests_run":0,"no_tests":true} and one with tests
 * {"status":"ok","tests_run":0,"message":"<n> test(s) not run: …"}.
 *
 * Single-threaded (CLI); the caller brings the project and the runtime.
 */
#ifndef MX_DRIFT_SNAPSHOT_H
#define MX_DRIFT_SNAPSHOT_H

#include "core/err.h"
#include "exec/invoke.h"
#include "model/project.h"

#include <jansson.h>

#define MX_DRIFT_SNAPSHOT_VERSION 1

/* Build the snapshot of p on rt's database. New reference in *out. */
int mx_drift_snapshot_generate(struct mx_project *p, struct mx_runtime *rt, json_t **out, struct mx_err *err);

/* Write snap to path (indent 2), creating the folder; atomically (temp file
 * + rename), so a reader never sees half a baseline. */
int mx_drift_snapshot_write(const char *path, const json_t *snap, struct mx_err *err);

/* Read a baseline. MX_ENOTFOUND "Snapshot file not found: <path>";
 * MX_EINVAL for invalid JSON or a document that is not a version-1
 * snapshot. Baselines from older MXCP ("message": "No tests defined"
 * without no_tests) are accepted as they are. */
int mx_drift_snapshot_load(const char *path, json_t **out, struct mx_err *err);

/* "YYYY-MM-DDTHH:MM:SS.ffffff+00:00", the way MXCP writes generated_at. */
void mx_drift_now_iso(char out[40]);

#endif
