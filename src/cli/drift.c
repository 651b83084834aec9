/* SPDX-License-Identifier: Apache-2.0 */
/*
 * drift — `mxcp drift-snapshot [--force] [--dry-run] [--json-output]` and
 * `mxcp drift-check [--baseline PATH] [--json-output] [--readonly]`
 * (shared/spec/mxcp.md §9; the snapshot and report in src/drift/).
 *
 * drift-snapshot writes the profile's drift.path (refusing to overwrite
 * without --force); drift-check builds the same snapshot in memory, compares
 * it with the baseline and exits 1 when anything drifted, 0 when nothing did.
 */
#include "cli/common.h"

#include "core/err.h"
#include "drift/compare.h"
#include "drift/snapshot.h"
#include "exec/invoke.h"
#include "model/project.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

enum { OPT_FORCE = MX_OPT_FIRST_COMMAND_OPTION, OPT_DRY_RUN, OPT_BASELINE };

/* Load the project and build its snapshot (project returned for paths). */
static int current_snapshot(struct mx_cli *cli, struct mx_project **p, json_t **snap, struct mx_err *err)
{
	struct mx_project_options popt = {.profile = cli->profile, .readonly = cli->readonly};
	struct mx_runtime *rt = NULL;
	int rc = mx_project_load(&popt, p, err);
	if (rc == 0)
		rc = mx_runtime_open(*p, &rt, err);
	if (rc == 0)
		rc = mx_drift_snapshot_generate(*p, rt, snap, err);
	mx_runtime_close(rt);
	return rc;
}

/* Parse the options of either command; returns -1 after --help. */
static int parse(int argc, char **argv, struct mx_cli *cli, int *force, int *dry_run, const char **baseline,
                 void (*help)(void))
{
	static const struct option opts[] = {MX_CLI_COMMON_OPTIONS,
	                                     {"force", no_argument, NULL, OPT_FORCE},
	                                     {"dry-run", no_argument, NULL, OPT_DRY_RUN},
	                                     {"baseline", required_argument, NULL, OPT_BASELINE},
	                                     {0}};
	int is_check = strcmp(cli->command, "drift-check") == 0, c;
	while ((c = mx_cli_getopt(cli, argc, argv, "h", opts)) != -1) {
		switch (c) {
		case 'h': help(); return -1;
		case OPT_FORCE:
		case OPT_DRY_RUN:
			if (is_check)
				return mx_cli_usage_error(cli, "No such option: %s", argv[optind - 1]);
			*(c == OPT_FORCE ? force : dry_run) = 1;
			break;
		case OPT_BASELINE:
			if (!is_check)
				return mx_cli_usage_error(cli, "No such option: %s", argv[optind - 1]);
			*baseline = optarg;
			break;
		case '?': return mx_cli_bad_option(cli, argv);
		default:
			if (!mx_cli_common_option(cli, c, optarg))
				return mx_cli_usage_error(cli, "No such option: %s", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return mx_cli_usage_error(cli, "Got unexpected extra argument (%s)", argv[optind]);
	mx_cli_setup_logging(cli);
	return 0;
}

/* ----------------------------------------------------------- drift-snapshot */

static void snapshot_help(void)
{
	printf("Usage: mxcp drift-snapshot [OPTIONS]\n\n"
	       "  Generate a drift snapshot of the current state (database tables and\n"
	       "  columns, every endpoint's definition and validation) and write it to\n"
	       "  the profile's drift.path, the baseline for `mxcp drift-check`.\n\n"
	       "Options:\n"
	       "  --profile TEXT     Profile name to use\n"
	       "  --project-dir DIR  Run in the project in DIR (default: MXCP_PROJECT_DIR,\n"
	       "                     else the current folder and its parents)\n"
	       "  --force            Overwrite existing snapshot file\n"
	       "  --dry-run          Show what would be done without writing the snapshot file\n"
	       "  --json-output      Output in JSON format\n"
	       "  --readonly         Open the database read-only\n"
	       "  --debug            Show detailed debug information\n"
	       "  --help             Show this message and exit.\n");
}

int mx_cmd_drift_snapshot(int argc, char **argv)
{
	struct mx_cli cli = {.command = "drift-snapshot"};
	int force = 0, dry_run = 0;
	const char *baseline = NULL;
	int rc = parse(argc, argv, &cli, &force, &dry_run, &baseline, snapshot_help);
	if (rc)
		return rc < 0 ? MX_EXIT_OK : rc;
	struct mx_project *p = NULL;
	json_t *snap = NULL;
	struct mx_err err;
	int status = MX_EXIT_FAIL;
	if (current_snapshot(&cli, &p, &snap, &err)) {
		status = mx_cli_fail(&cli, &err);
		goto out;
	}
	const char *path = p->settings.drift_path;
	if (!dry_run && !force && access(path, F_OK) == 0) {
		status = mx_cli_failf(&cli, "Drift snapshot already exists at %s. Use --force to overwrite.",
		                      path);
		goto out;
	}
	if (!dry_run && mx_drift_snapshot_write(path, snap, &err)) {
		status = mx_cli_fail(&cli, &err);
		goto out;
	}
	size_t ntables = json_array_size(json_object_get(snap, "tables"));
	size_t nres = json_array_size(json_object_get(snap, "resources"));
	if (cli.json_output) {
		mx_cli_print_ok(
		        json_pack("{s:s, s:b, s:O}", "path", path, "dry_run", dry_run, "snapshot", snap));
	} else if (dry_run) {
		printf("Would write drift snapshot to %s (%zu table(s), %zu resource(s)):\n", path, ntables,
		       nres);
		mx_cli_print_json(snap);
	} else {
		printf("✅ Drift snapshot written to %s\n   %zu table(s), %zu resource(s)\n", path, ntables,
		       nres);
	}
	status = MX_EXIT_OK;
out:
	json_decref(snap);
	mx_project_unref(p);
	return status;
}

/* -------------------------------------------------------------- drift-check */

static void check_help(void)
{
	printf("Usage: mxcp drift-check [OPTIONS]\n\n"
	       "  Compare the current state with the baseline snapshot (the profile's\n"
	       "  drift.path, or --baseline) and report tables and endpoints that were\n"
	       "  added, removed or changed. Exits 1 when drift is found, 0 otherwise.\n\n"
	       "Options:\n"
	       "  --profile TEXT     Profile name to use\n"
	       "  --project-dir DIR  Run in the project in DIR (default: MXCP_PROJECT_DIR,\n"
	       "                     else the current folder and its parents)\n"
	       "  --baseline TEXT    Path to the baseline snapshot (default: the profile's drift.path)\n"
	       "  --json-output      Output in JSON format\n"
	       "  --readonly         Open the database read-only\n"
	       "  --debug            Show detailed debug information\n"
	       "  --help             Show this message and exit.\n");
}

int mx_cmd_drift_check(int argc, char **argv)
{
	struct mx_cli cli = {.command = "drift-check"};
	int force = 0, dry_run = 0;
	const char *baseline_path = NULL;
	int rc = parse(argc, argv, &cli, &force, &dry_run, &baseline_path, check_help);
	if (rc)
		return rc < 0 ? MX_EXIT_OK : rc;
	struct mx_project *p = NULL;
	json_t *snap = NULL, *baseline = NULL, *report = NULL;
	struct mx_err err;
	int status = MX_EXIT_FAIL;
	if (current_snapshot(&cli, &p, &snap, &err)) {
		status = mx_cli_fail(&cli, &err);
		goto out;
	}
	const char *path = baseline_path ? baseline_path : p->settings.drift_path;
	if (mx_drift_snapshot_load(path, &baseline, &err)) {
		status = mx_cli_failf(&cli, "Failed to load baseline snapshot: %s", err.msg);
		goto out;
	}
	report = mx_drift_compare(baseline, snap, path);
	if (report == NULL) {
		status = mx_cli_failf(&cli, "out of memory");
		goto out;
	}
	int drift = json_is_true(json_object_get(report, "has_drift"));
	if (cli.json_output)
		mx_cli_print_ok(json_incref(report));
	else
		mx_drift_report_print(stdout, report);
	status = drift ? MX_EXIT_FAIL : MX_EXIT_OK;
out:
	json_decref(report);
	json_decref(baseline);
	json_decref(snap);
	mx_project_unref(p);
	return status;
}
