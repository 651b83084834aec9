/* SPDX-License-Identifier: Apache-2.0 */
/*
 * compare — a drift report between a baseline snapshot and the current one
 * (shared/spec/mxcp.md §9), in MXCP's layout:
 *
 *   {"version":1, "generated_at", "baseline_snapshot_path",
 *    "current_snapshot_generated_at", "baseline_snapshot_generated_at",
 *    "has_drift", "summary": {tables_added, tables_removed, tables_modified,
 *    resources_added, resources_removed, resources_modified},
 *    "table_changes": [{name, change_type, columns_added?, columns_removed?,
 *                       columns_modified?: [{name, old_type, new_type}]}],
 *    "resource_changes": [{path, endpoint?, change_type, validation_changed?,
 *                          test_results_changed?, definition_changed?, details?}]}
 *
 * Tables are matched by name; resources by validation_results.path. A
 * resource is modified when its validation (status, message), its test
 * results (status, tests_run, the ordered (name, status) list) or its
 * definition differ; details say which: validation_changes {old_status,
 * new_status}, test_changes {old_status, new_status, old_tests_run,
 * new_tests_run}, and (our addition) definition_changes, the endpoint's
 * top-level fields that differ (e.g. ["source", "parameters"]).
 * Pure functions of their inputs; any thread.
 */
#ifndef MX_DRIFT_COMPARE_H
#define MX_DRIFT_COMPARE_H

#include <jansson.h>
#include <stdio.h>

/* The report (new reference; NULL when out of memory). */
json_t *mx_drift_compare(const json_t *baseline, const json_t *current, const char *baseline_path);

/* MXCP's human report: 🔴 DRIFT DETECTED / ✅ NO DRIFT DETECTED, counts,
 * then +/-/~ lists. */
void mx_drift_report_print(FILE *fp, const json_t *report);

#endif
