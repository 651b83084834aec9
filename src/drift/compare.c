/* SPDX-License-Identifier: Apache-2.0 */
/*
 * compare — drift between two snapshots (see compare.h). Snapshots are small
 * (one entry per table and per endpoint file), so lookups are linear scans
 * over the other side's array; output order follows the current snapshot,
 * then what only the baseline has.
 */
#include "drift/compare.h"

#include "drift/snapshot.h"

#include <string.h>

/* Equal JSON, where two absent values are equal too (json_equal says no). */
static int same(const json_t *a, const json_t *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return json_equal((json_t *)a, (json_t *)b);
}

static const json_t *find_by(const json_t *arr, const char *(*key)(const json_t *), const char *want)
{
	size_t i;
	const json_t *v;
	json_array_foreach (arr, i, v) {
		const char *k = key(v);
		if (k && strcmp(k, want) == 0)
			return v;
	}
	return NULL;
}

static const char *table_key(const json_t *t)
{
	return json_string_value(json_object_get(t, "name"));
}

static const char *resource_key(const json_t *r)
{
	return json_string_value(json_object_get(json_object_get(r, "validation_results"), "path"));
}

static void bump(json_t *summary, const char *field)
{
	json_object_set_new(summary, field,
	                    json_integer(json_integer_value(json_object_get(summary, field)) + 1));
}

/* ------------------------------------------------------------------ tables */

static json_t *column_changes(const json_t *old_t, const json_t *new_t)
{
	const json_t *oc = json_object_get(old_t, "columns"), *nc = json_object_get(new_t, "columns");
	json_t *added = json_array(), *removed = json_array(), *modified = json_array();
	size_t i;
	const json_t *c;
	json_array_foreach (nc, i, c) {
		const char *name = table_key(c);
		const json_t *was = name ? find_by(oc, table_key, name) : NULL;
		if (was == NULL)
			json_array_append(added, (json_t *)c);
		else if (!same(json_object_get(was, "type"), json_object_get(c, "type")))
			json_array_append_new(modified, json_pack("{s:s, s:O, s:O}", "name", name, "old_type",
			                                          json_object_get(was, "type"), "new_type",
			                                          json_object_get(c, "type")));
	}
	json_array_foreach (oc, i, c) {
		const char *name = table_key(c);
		if (name && find_by(nc, table_key, name) == NULL)
			json_array_append(removed, (json_t *)c);
	}
	if (json_array_size(added) + json_array_size(removed) + json_array_size(modified) == 0) {
		json_decref(added);
		json_decref(removed);
		json_decref(modified);
		return NULL;
	}
	json_t *ch = json_pack("{s:s, s:s}", "name", table_key(new_t), "change_type", "modified");
	json_object_set_new(ch, "columns_added", added);
	json_object_set_new(ch, "columns_removed", removed);
	json_object_set_new(ch, "columns_modified", modified);
	return ch;
}

static void compare_tables(const json_t *base, const json_t *cur, json_t *out, json_t *summary)
{
	size_t i;
	const json_t *t;
	json_array_foreach (cur, i, t) {
		const char *name = table_key(t);
		if (name == NULL)
			continue;
		const json_t *was = find_by(base, table_key, name);
		json_t *ch = NULL;
		if (was == NULL) {
			ch = json_pack("{s:s, s:s, s:O}", "name", name, "change_type", "added",
			               "columns_added", json_object_get(t, "columns"));
			bump(summary, "tables_added");
		} else if ((ch = column_changes(was, t)) != NULL) {
			bump(summary, "tables_modified");
		}
		if (ch)
			json_array_append_new(out, ch);
	}
	json_array_foreach (base, i, t) {
		const char *name = table_key(t);
		if (name && find_by(cur, table_key, name) == NULL) {
			json_array_append_new(out, json_pack("{s:s, s:s, s:O}", "name", name, "change_type",
			                                     "removed", "columns_removed",
			                                     json_object_get(t, "columns")));
			bump(summary, "tables_removed");
		}
	}
}

/* --------------------------------------------------------------- resources */

/* "tool/<name>", "resource/<uri>", "prompt/<name>" from a definition. */
static json_t *endpoint_id(const json_t *r)
{
	const json_t *def = json_object_get(r, "definition");
	static const char *const kinds[][2] = {{"tool", "name"}, {"resource", "uri"}, {"prompt", "name"}};
	for (size_t i = 0; i < 3; i++) {
		const char *v =
		        json_string_value(json_object_get(json_object_get(def, kinds[i][0]), kinds[i][1]));
		if (v)
			return json_sprintf("%s/%s", kinds[i][0], v);
	}
	return NULL;
}

static int validation_differs(const json_t *a, const json_t *b)
{
	const json_t *va = json_object_get(a, "validation_results"),
	             *vb = json_object_get(b, "validation_results");
	return !same(json_object_get(va, "status"), json_object_get(vb, "status")) ||
	       !same(json_object_get(va, "message"), json_object_get(vb, "message"));
}

static int tests_differ(const json_t *a, const json_t *b)
{
	const json_t *ta = json_object_get(a, "test_results"), *tb = json_object_get(b, "test_results");
	if (ta == NULL || tb == NULL)
		return (ta == NULL) != (tb == NULL);
	if (!same(json_object_get(ta, "status"), json_object_get(tb, "status")) ||
	    !same(json_object_get(ta, "tests_run"), json_object_get(tb, "tests_run")))
		return 1;
	const json_t *la = json_object_get(ta, "tests"), *lb = json_object_get(tb, "tests");
	if (json_array_size(la) != json_array_size(lb))
		return 1;
	for (size_t i = 0; i < json_array_size(la); i++) {
		const json_t *x = json_array_get(la, i), *y = json_array_get(lb, i);
		if (!same(json_object_get(x, "name"), json_object_get(y, "name")) ||
		    !same(json_object_get(x, "status"), json_object_get(y, "status")))
			return 1;
	}
	return 0;
}

/* The endpoint body's top-level fields that differ (plus "mxcp" and the
 * kind itself when those differ). */
static json_t *definition_fields(const json_t *a, const json_t *b)
{
	json_t *fields = json_array();
	const json_t *da = json_object_get(a, "definition"), *db = json_object_get(b, "definition");
	static const char *const kinds[] = {"tool", "resource", "prompt"};
	const json_t *ba = NULL, *bb = NULL;
	for (size_t i = 0; i < 3; i++) {
		ba = ba ? ba : json_object_get(da, kinds[i]);
		bb = bb ? bb : json_object_get(db, kinds[i]);
	}
	if (!json_is_object(ba) || !json_is_object(bb)) {
		json_array_append_new(fields, json_string("definition"));
		return fields;
	}
	const char *k;
	const json_t *v;
	json_object_foreach ((json_t *)bb, k, v)
		if (!same(v, json_object_get(ba, k)))
			json_array_append_new(fields, json_string(k));
	json_object_foreach ((json_t *)ba, k, v)
		if (json_object_get(bb, k) == NULL)
			json_array_append_new(fields, json_string(k));
	return fields;
}

static json_t *resource_change(const char *path, const json_t *r, const char *type)
{
	json_t *ch = json_pack("{s:s}", "path", path);
	json_t *id = endpoint_id(r);
	if (id)
		json_object_set_new(ch, "endpoint", id);
	json_object_set_new(ch, "change_type", json_string(type));
	return ch;
}

static void compare_resources(const json_t *base, const json_t *cur, json_t *out, json_t *summary)
{
	size_t i;
	const json_t *r;
	json_array_foreach (cur, i, r) {
		const char *path = resource_key(r);
		if (path == NULL)
			continue;
		const json_t *was = find_by(base, resource_key, path);
		if (was == NULL) {
			json_t *ch = resource_change(path, r, "added");
			json_object_set_new(ch, "details", json_pack("{s:b}", "added_resource", 1));
			json_array_append_new(out, ch);
			bump(summary, "resources_added");
			continue;
		}
		int vchg = validation_differs(was, r), tchg = tests_differ(was, r);
		int dchg = !same(json_object_get(was, "definition"), json_object_get(r, "definition"));
		if (!vchg && !tchg && !dchg)
			continue;
		json_t *ch = resource_change(path, r, "modified");
		json_t *details = json_object();
		if (vchg) {
			json_object_set_new(ch, "validation_changed", json_true());
			json_object_set_new(
			        details, "validation_changes",
			        json_pack(
			                "{s:O?, s:O?}", "old_status",
			                json_object_get(json_object_get(was, "validation_results"), "status"),
			                "new_status",
			                json_object_get(json_object_get(r, "validation_results"), "status")));
		}
		if (tchg) {
			const json_t *ta = json_object_get(was, "test_results"),
			             *tb = json_object_get(r, "test_results");
			json_object_set_new(ch, "test_results_changed", json_true());
			json_object_set_new(details, "test_changes",
			                    json_pack("{s:O?, s:O?, s:O?, s:O?}", "old_status",
			                              json_object_get(ta, "status"), "new_status",
			                              json_object_get(tb, "status"), "old_tests_run",
			                              json_object_get(ta, "tests_run"), "new_tests_run",
			                              json_object_get(tb, "tests_run")));
		}
		if (dchg) {
			json_object_set_new(ch, "definition_changed", json_true());
			json_object_set_new(details, "definition_changes", definition_fields(was, r));
		}
		json_object_set_new(ch, "details", details);
		json_array_append_new(out, ch);
		bump(summary, "resources_modified");
	}
	json_array_foreach (base, i, r) {
		const char *path = resource_key(r);
		if (path && find_by(cur, resource_key, path) == NULL) {
			json_t *ch = resource_change(path, r, "removed");
			json_object_set_new(ch, "details", json_pack("{s:b}", "removed_resource", 1));
			json_array_append_new(out, ch);
			bump(summary, "resources_removed");
		}
	}
}

json_t *mx_drift_compare(const json_t *baseline, const json_t *current, const char *baseline_path)
{
	json_t *summary = json_pack("{s:i, s:i, s:i, s:i, s:i, s:i}", "tables_added", 0, "tables_removed", 0,
	                            "tables_modified", 0, "resources_added", 0, "resources_removed", 0,
	                            "resources_modified", 0);
	json_t *tables = json_array(), *resources = json_array();
	if (summary == NULL || tables == NULL || resources == NULL) {
		json_decref(summary);
		json_decref(tables);
		json_decref(resources);
		return NULL;
	}
	compare_tables(json_object_get(baseline, "tables"), json_object_get(current, "tables"), tables,
	               summary);
	compare_resources(json_object_get(baseline, "resources"), json_object_get(current, "resources"),
	                  resources, summary);
	char now[40];
	mx_drift_now_iso(now);
	int drift = json_array_size(tables) + json_array_size(resources) > 0;
	return json_pack("{s:i, s:s, s:s, s:O?, s:O?, s:b, s:o, s:o, s:o}", "version", 1, "generated_at", now,
	                 "baseline_snapshot_path", baseline_path, "current_snapshot_generated_at",
	                 json_object_get(current, "generated_at"), "baseline_snapshot_generated_at",
	                 json_object_get(baseline, "generated_at"), "has_drift", drift, "summary", summary,
	                 "table_changes", tables, "resource_changes", resources);
}

/* ------------------------------------------------------------------ report */

static long count(const json_t *summary, const char *k)
{
	return (long)json_integer_value(json_object_get(summary, k));
}

static const char *mark(const char *change_type)
{
	return strcmp(change_type, "added") == 0 ? "+" : strcmp(change_type, "removed") == 0 ? "-" : "~";
}

static void print_columns(FILE *fp, const json_t *cols, const char *sign)
{
	size_t i;
	const json_t *c;
	json_array_foreach (cols, i, c)
		fprintf(fp, "      %s %s (%s)\n", sign, json_string_value(json_object_get(c, "name")),
		        json_string_value(json_object_get(c, "type")));
}

void mx_drift_report_print(FILE *fp, const json_t *report)
{
	const json_t *summary = json_object_get(report, "summary");
	int drift = json_is_true(json_object_get(report, "has_drift"));
	fprintf(fp, "\n%s\n\n", drift ? "🔴 DRIFT DETECTED" : "✅ NO DRIFT DETECTED");
	fprintf(fp, "📊 Baseline: %s\n", json_string_value(json_object_get(report, "baseline_snapshot_path")));
	const char *bg = json_string_value(json_object_get(report, "baseline_snapshot_generated_at"));
	const char *cg = json_string_value(json_object_get(report, "current_snapshot_generated_at"));
	fprintf(fp, "   Baseline generated: %s\n   Current generated:  %s\n\n", bg ? bg : "?", cg ? cg : "?");
	fprintf(fp, "📈 Summary:\n");
	fprintf(fp, "  Tables: %ld added, %ld removed, %ld modified\n", count(summary, "tables_added"),
	        count(summary, "tables_removed"), count(summary, "tables_modified"));
	fprintf(fp, "  Resources: %ld added, %ld removed, %ld modified\n", count(summary, "resources_added"),
	        count(summary, "resources_removed"), count(summary, "resources_modified"));
	const json_t *tables = json_object_get(report, "table_changes");
	const json_t *resources = json_object_get(report, "resource_changes");
	size_t i;
	const json_t *ch;
	if (json_array_size(tables)) {
		fprintf(fp, "\n🗃️  Table Changes:\n");
		json_array_foreach (tables, i, ch) {
			const char *type = json_string_value(json_object_get(ch, "change_type"));
			fprintf(fp, "  %s %s (%s)\n", mark(type),
			        json_string_value(json_object_get(ch, "name")), type);
			if (strcmp(type, "modified") != 0)
				continue;
			print_columns(fp, json_object_get(ch, "columns_added"), "+");
			print_columns(fp, json_object_get(ch, "columns_removed"), "-");
			size_t j;
			const json_t *m;
			json_array_foreach (json_object_get(ch, "columns_modified"), j, m)
				fprintf(fp, "      ~ %s: %s → %s\n",
				        json_string_value(json_object_get(m, "name")),
				        json_string_value(json_object_get(m, "old_type")),
				        json_string_value(json_object_get(m, "new_type")));
		}
	}
	if (json_array_size(resources)) {
		fprintf(fp, "\n🔧 Resource Changes:\n");
		json_array_foreach (resources, i, ch) {
			const char *type = json_string_value(json_object_get(ch, "change_type"));
			const char *ep = json_string_value(json_object_get(ch, "endpoint"));
			fprintf(fp, "  %s %s%s%s%s (%s)\n", mark(type),
			        json_string_value(json_object_get(ch, "path")), ep ? " [" : "", ep ? ep : "",
			        ep ? "]" : "", type);
			if (json_is_true(json_object_get(ch, "validation_changed"))) {
				const json_t *vc =
				        json_object_get(json_object_get(ch, "details"), "validation_changes");
				fprintf(fp, "      validation: %s → %s\n",
				        json_string_value(json_object_get(vc, "old_status")),
				        json_string_value(json_object_get(vc, "new_status")));
			}
			if (json_is_true(json_object_get(ch, "test_results_changed")))
				fprintf(fp, "      test results changed\n");
			if (json_is_true(json_object_get(ch, "definition_changed"))) {
				const json_t *f =
				        json_object_get(json_object_get(ch, "details"), "definition_changes");
				fprintf(fp, "      definition changed:");
				size_t j;
				const json_t *name;
				json_array_foreach (f, j, name)
					fprintf(fp, "%s %s", j ? "," : "", json_string_value(name));
				fprintf(fp, "\n");
			}
		}
	}
	fprintf(fp, "\n");
}
