/* SPDX-License-Identifier: Apache-2.0 */
/*
 * log — `mxcp log`: query the audit trail (src/audit/query.c does the
 * DuckDB work), export it to CSV or DuckDB, or check its hash chain.
 * Output: with --json / --json-output MXCP's {"status":"ok","result":
 * {"count":N,"records":[…]}}; otherwise an aligned table on a terminal and
 * one JSON object per line when stdout is a pipe (`| jq …`).
 */
#include "cli/log.h"

#include "audit/query.h"
#include "audit/writer.h"
#include "core/alloc.h"
#include "config/user.h"
#include "core/json.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum {
	OPT_TOOL = MX_OPT_FIRST_COMMAND_OPTION,
	OPT_RESOURCE,
	OPT_PROMPT,
	OPT_TYPE,
	OPT_STATUS,
	OPT_POLICY,
	OPT_USER,
	OPT_SINCE,
	OPT_LIMIT,
	OPT_CSV,
	OPT_DUCKDB,
	OPT_VERIFY,
	OPT_JSON2,
};

#define MAX_NAMES 16

static void print_help(void)
{
	printf("Usage: mxcp log [OPTIONS]\n\n"
	       "  Query the audit trail (the profile's audit.path and its rotated files,\n"
	       "  and files written by MXCP). Newest first.\n\n"
	       "  Output: a table when stdout is a terminal; JSON lines (one record per\n"
	       "  line, for jq) when it is piped or redirected; --json prints MXCP's\n"
	       "  JSON envelope either way.\n\n"
	       "Options:\n"
	       "  --tool NAME            Filter by tool name (repeatable)\n"
	       "  --resource URI         Filter by resource URI (repeatable)\n"
	       "  --prompt NAME          Filter by prompt name (repeatable)\n"
	       "  --type [tool|resource|prompt]\n"
	       "  --status [success|error]\n"
	       "  --policy [allow|deny|warn|n/a]\n"
	       "  --user ID              Filter by user id\n"
	       "  --since AGE            Only records from the last AGE (10s, 5m, 2h, 1d)\n"
	       "  --limit N              Maximum number of records (default 100)\n"
	       "  --export-csv FILE      Write the matching records (no limit) to CSV\n"
	       "  --export-duckdb FILE   Write them to a DuckDB file (table logs, view audit_logs)\n"
	       "  --verify               Check the tamper-evident hash chain\n"
	       "  --json, --json-output  Output in JSON format\n"
	       "  --profile TEXT         Profile name to use\n"
	       "  --project-dir DIR      Run in the project in DIR (default: MXCP_PROJECT_DIR,\n"
	       "                         else the current folder and its parents)\n"
	       "  --debug                Show detailed debug information\n"
	       "  --help                 Show this message and exit.\n");
}

/* ------------------------------------------------------------------ shared */

int mx_cli_parse_age(const char *s, int64_t *ms)
{
	char *end = NULL;
	if (s == NULL || *s < '0' || *s > '9')
		return MX_EUSAGE;
	long long n = strtoll(s, &end, 10);
	int64_t unit = 0;
	if (end && end[0] && !end[1]) {
		switch (end[0]) {
		case 's': unit = 1000; break;
		case 'm': unit = 60000; break;
		case 'h': unit = 3600000; break;
		case 'd': unit = 86400000; break;
		default: break;
		}
	}
	if (unit == 0 || n < 0 || n > INT64_MAX / unit)
		return MX_EUSAGE;
	*ms = n * unit;
	return 0;
}

int mx_cli_audit_settings(const struct mx_cli *cli, struct mx_site_config **site, const char **profile_out,
                          struct mx_profile_settings *ps, struct mx_err *err)
{
	char root[PATH_MAX];
	int rc;
	*site = NULL;
	if ((rc = mx_site_find_root(NULL, root, sizeof root, err)) != 0 ||
	    (rc = mx_site_load(root, site, err)) != 0)
		return rc;
	const char *profile = cli->profile;
	const char *env = getenv("MXCP_PROFILE");
	if (profile == NULL && env != NULL && *env)
		profile = env;
	if (profile == NULL)
		profile = (*site)->profile;
	*profile_out = profile;
	struct mx_user_config *user = NULL;
	if ((rc = mx_user_load((*site)->project, profile, &user, err)) == 0)
		rc = mx_site_check_profile(*site, profile, user->profile_declared, err);
	mx_user_free(user);
	if (rc != 0 || (rc = mx_site_profile_settings(*site, profile, ps, err)) != 0)
		return rc;
	if (!ps->audit_enabled)
		return mx_err_set(
		        err, MX_EINVAL,
		        "Audit logging is not enabled for profile '%s'. Enable it in mxcp-site.yml under "
		        "profiles.%s.audit.enabled",
		        profile, profile);
	return 0;
}

/* ------------------------------------------------------------------ output */

static const char *cell_text(const json_t *v, char *buf, size_t sz)
{
	if (v == NULL || json_is_null(v))
		return "-";
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_number(v)) {
		snprintf(buf, sz, "%.3gms", json_number_value(v));
		if (json_number_value(v) >= 1000)
			snprintf(buf, sz, "%.0fms", json_number_value(v));
		return buf;
	}
	return "?";
}

/* The table a person reads at a terminal. */
static void print_table(const json_t *rows)
{
	static const char *const cols[] = {"timestamp",       "type",   "name", "status", "duration_ms",
	                                   "policy_decision", "user_id"};
	static const char *const heads[] = {"TIMESTAMP", "TYPE",   "NAME", "STATUS",
	                                    "DURATION",  "POLICY", "USER"};
	enum { NC = sizeof cols / sizeof cols[0] };
	size_t width[NC];
	char buf[64];
	size_t i;
	json_t *row;
	if (json_array_size(rows) == 0) {
		printf("No audit records found matching the criteria.\n");
		return;
	}
	for (size_t c = 0; c < NC; c++)
		width[c] = strlen(heads[c]);
	json_array_foreach (rows, i, row)
		for (size_t c = 0; c < NC; c++) {
			size_t w = strlen(cell_text(json_object_get(row, cols[c]), buf, sizeof buf));
			width[c] = w > width[c] ? w : width[c];
		}
	for (size_t c = 0; c < NC; c++)
		printf("%s%-*s", c ? "  " : "", (int)width[c], heads[c]);
	printf("\n");
	json_array_foreach (rows, i, row) {
		for (size_t c = 0; c < NC; c++)
			printf("%s%-*s", c ? "  " : "", (int)width[c],
			       cell_text(json_object_get(row, cols[c]), buf, sizeof buf));
		printf("\n");
	}
	printf("\nTotal records: %zu\n", json_array_size(rows));
}

/* A row for --json: our field names plus MXCP's, so consumers of either work. */
static json_t *json_record(json_t *row)
{
	json_t *r = json_deep_copy(row);
	json_t *bc = json_object();
	static const char *const alias[][2] = {{"caller", "caller_type"},
	                                       {"type", "operation_type"},
	                                       {"name", "operation_name"},
	                                       {"status", "operation_status"}};
	for (size_t k = 0; k < sizeof alias / sizeof alias[0]; k++)
		json_object_set(r, alias[k][1], json_object_get(row, alias[k][0]));
	json_t *pd = json_object_get(row, "policy_decision");
	static const char *const bck[] = {"operation_type", "operation_name", "operation_status"};
	for (size_t k = 0; k < 3; k++) {
		json_t *v = json_object_get(r, bck[k]);
		if (v && !json_is_null(v))
			json_object_set(bc, bck[k], v);
	}
	if (json_is_string(pd) && strcmp(json_string_value(pd), "n/a") != 0)
		json_object_set(bc, "policy_decision", pd);
	json_object_set_new(r, "business_context", bc);
	return r;
}

static int do_verify(const struct mx_cli *cli, const char *path)
{
	struct mx_audit_verify_result v;
	struct mx_err err;
	if (mx_audit_verify(path, &v, &err))
		return mx_cli_fail(cli, &err);
	if (cli->json_output) {
		json_t *res = json_pack("{s:s, s:I, s:I, s:b}", "status", v.ok ? "intact" : "broken",
		                        "records", (json_int_t)v.records, "files", (json_int_t)v.files,
		                        "continues_earlier_chain", v.anchored);
		if (!v.ok)
			json_object_set_new(res, "first_broken",
			                    json_pack("{s:s, s:I, s:s}", "file", v.broken_file, "line",
			                              (json_int_t)v.broken_line, "reason", v.reason));
		if (v.ok) {
			mx_cli_print_ok(res);
		} else {
			json_t *env = json_pack("{s:s, s:s, s:o}", "status", "error", "error",
			                        "Audit chain is broken", "result", res);
			mx_cli_print_json(env);
			json_decref(env);
		}
	} else if (v.ok) {
		printf("Audit chain intact: %lld record(s) in %zu file(s)%s\n", (long long)v.records, v.files,
		       v.anchored ? " (continuing a chain from records no longer present)" : "");
	} else {
		printf("Audit chain broken at %s:%lld: %s\n", v.broken_file, (long long)v.broken_line,
		       v.reason);
		printf("(%lld record(s) before it verified)\n", (long long)v.records);
	}
	return v.ok ? MX_EXIT_OK : MX_EXIT_FAIL;
}

static int one_of(const char *v, const char *const *words)
{
	for (; *words; words++)
		if (strcmp(v, *words) == 0)
			return 1;
	return 0;
}

int mx_cmd_log(int argc, char **argv)
{
	static const struct option opts[] = {MX_CLI_COMMON_OPTIONS,
	                                     {"json", no_argument, NULL, OPT_JSON2},
	                                     {"tool", required_argument, NULL, OPT_TOOL},
	                                     {"resource", required_argument, NULL, OPT_RESOURCE},
	                                     {"prompt", required_argument, NULL, OPT_PROMPT},
	                                     {"type", required_argument, NULL, OPT_TYPE},
	                                     {"status", required_argument, NULL, OPT_STATUS},
	                                     {"policy", required_argument, NULL, OPT_POLICY},
	                                     {"user", required_argument, NULL, OPT_USER},
	                                     {"since", required_argument, NULL, OPT_SINCE},
	                                     {"limit", required_argument, NULL, OPT_LIMIT},
	                                     {"export-csv", required_argument, NULL, OPT_CSV},
	                                     {"export-duckdb", required_argument, NULL, OPT_DUCKDB},
	                                     {"verify", no_argument, NULL, OPT_VERIFY},
	                                     {0}};
	static const char *const types[] = {"tool", "resource", "prompt", NULL};
	static const char *const statuses[] = {"success", "error", NULL};
	static const char *const policies[] = {"allow", "deny", "warn", "n/a", NULL};
	struct mx_cli cli = {.command = "log"};
	struct mx_audit_filter f = {.limit = 100};
	const char *tools[MAX_NAMES], *resources[MAX_NAMES], *prompts[MAX_NAMES];
	const char *csv = NULL, *duck = NULL;
	int verify = 0, rc = 0, c;
	int64_t age = 0;
	f.tools = tools;
	f.resources = resources;
	f.prompts = prompts;
	while (rc == 0 && (c = mx_cli_getopt(&cli, argc, argv, "h", opts)) != -1) {
		switch (c) {
		case 'h': print_help(); return MX_EXIT_OK;
		case OPT_JSON2: cli.json_output = 1; break;
		case OPT_TOOL:
		case OPT_RESOURCE:
		case OPT_PROMPT: {
			size_t *n = c == OPT_TOOL       ? &f.ntools
			            : c == OPT_RESOURCE ? &f.nresources
			                                : &f.nprompts;
			const char **arr = c == OPT_TOOL ? tools : c == OPT_RESOURCE ? resources : prompts;
			if (*n >= MAX_NAMES)
				rc = mx_cli_usage_error(&cli, "At most %d names per filter", MAX_NAMES);
			else
				arr[(*n)++] = optarg;
			break;
		}
		case OPT_TYPE:
			if (!one_of(optarg, types))
				rc = mx_cli_usage_error(
				        &cli,
				        "Invalid value for '--type': '%s' is not one of 'tool', "
				        "'resource', 'prompt'.",
				        optarg);
			f.type = optarg;
			break;
		case OPT_STATUS:
			if (!one_of(optarg, statuses))
				rc = mx_cli_usage_error(&cli,
				                        "Invalid value for '--status': '%s' is not one of "
				                        "'success', 'error'.",
				                        optarg);
			f.status = optarg;
			break;
		case OPT_POLICY:
			if (!one_of(optarg, policies))
				rc = mx_cli_usage_error(
				        &cli,
				        "Invalid value for '--policy': '%s' is not one of 'allow', "
				        "'deny', 'warn', 'n/a'.",
				        optarg);
			f.policy = optarg;
			break;
		case OPT_USER: f.user = optarg; break;
		case OPT_SINCE:
			if (mx_cli_parse_age(optarg, &age))
				rc = mx_cli_usage_error(
				        &cli, "Invalid time format. Use format like '10m', '2h', '1d': %s",
				        optarg);
			break;
		case OPT_LIMIT: {
			char *end = NULL;
			long long n = strtoll(optarg, &end, 10);
			if (end == optarg || *end || n < 0)
				rc = mx_cli_usage_error(
				        &cli, "Invalid value for '--limit': '%s' is not a valid integer.",
				        optarg);
			f.limit = n;
			break;
		}
		case OPT_CSV: csv = optarg; break;
		case OPT_DUCKDB: duck = optarg; break;
		case OPT_VERIFY: verify = 1; break;
		default: rc = mx_cli_other_option(&cli, c, argv);
		}
	}
	if (rc)
		return rc;
	if (optind < argc)
		return mx_cli_usage_error(&cli, "Got unexpected extra argument (%s)", argv[optind]);
	mx_cli_setup_logging(&cli);
	if (age > 0)
		f.since_ms = mx_audit_now_ms() - age;

	struct mx_site_config *site = NULL;
	struct mx_profile_settings ps;
	const char *profile = NULL;
	struct mx_err err;
	if (mx_cli_audit_settings(&cli, &site, &profile, &ps, &err)) {
		rc = mx_cli_fail(&cli, &err);
		mx_site_free(site);
		return rc;
	}
	if (verify) {
		rc = do_verify(&cli, ps.audit_path);
	} else if (csv || duck) {
		int64_t n = 0;
		const char *out = duck ? duck : csv;
		int e = duck ? mx_audit_export_duckdb(ps.audit_path, &f, duck, &n, &err)
		             : mx_audit_export_csv(ps.audit_path, &f, csv, &n, &err);
		if (e)
			rc = mx_cli_fail(&cli, &err);
		else if (cli.json_output)
			mx_cli_print_ok(json_pack("{s:I, s:s, s:s}", "exported", (json_int_t)n, "format",
			                          duck ? "duckdb" : "csv", "path", out));
		else
			printf("Exported %lld records to %s\n", (long long)n, out);
	} else {
		json_t *rows = NULL;
		if (mx_audit_query(ps.audit_path, &f, &rows, &err)) {
			rc = mx_cli_fail(&cli, &err);
		} else if (cli.json_output) {
			json_t *recs = json_array();
			size_t i;
			json_t *row;
			json_array_foreach (rows, i, row)
				json_array_append_new(recs, json_record(row));
			mx_cli_print_ok(json_pack("{s:I, s:o}", "count", (json_int_t)json_array_size(rows),
			                          "records", recs));
		} else if (mx_cli_tty()) {
			print_table(rows);
		} else {
			size_t i;
			json_t *row;
			json_array_foreach (rows, i, row)
				mx_json_print(stdout, row, MX_JSON_COMPACT);
			fflush(stdout);
		}
		json_decref(rows);
	}
	mx_site_free(site);
	return rc;
}
