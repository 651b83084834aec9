/* SPDX-License-Identifier: Apache-2.0 */
/*
 * log_cleanup — `mxcp log-cleanup [--older-than 30d] [--dry-run]`: apply
 * the retention period (audit.retention_days, default 90) to the audit
 * trail; see src/audit/cleanup.c for how files are rewritten safely.
 * Output follows MXCP: "Total records deleted: N" / JSON {"status":
 * "success|dry_run", "message", "deleted_per_schema"}; a profile without
 * audit is skipped (its message, exit 0, JSON status "skipped").
 */
#include "cli/log.h"

#include "audit/cleanup.h"
#include "audit/writer.h"

#include <stdio.h>
#include <string.h>

enum { OPT_OLDER = MX_OPT_FIRST_COMMAND_OPTION, OPT_DRY, OPT_JSON2 };

#define SCHEMA_KEY "mxcp.audit:v1"

static void print_help(void)
{
	printf("Usage: mxcp log-cleanup [OPTIONS]\n\n"
	       "  Delete audit records older than the retention period\n"
	       "  (profiles.<p>.audit.retention_days, default 90 days).\n\n"
	       "Options:\n"
	       "  --older-than AGE       Override the retention (e.g. 30d, 12h)\n"
	       "  --dry-run              Count what would be deleted; change nothing\n"
	       "  --json, --json-output  Output in JSON format\n"
	       "  --profile TEXT         Profile name to use\n"
	       "  --project-dir DIR      Run in the project in DIR (default: MXCP_PROJECT_DIR,\n"
	       "                         else the current folder and its parents)\n"
	       "  --debug                Show detailed debug information\n"
	       "  --help                 Show this message and exit.\n");
}

int mx_cmd_log_cleanup(int argc, char **argv)
{
	static const struct option opts[] = {MX_CLI_COMMON_OPTIONS,
	                                     {"json", no_argument, NULL, OPT_JSON2},
	                                     {"older-than", required_argument, NULL, OPT_OLDER},
	                                     {"dry-run", no_argument, NULL, OPT_DRY},
	                                     {0}};
	struct mx_cli cli = {.command = "log-cleanup"};
	int dry = 0, rc = 0, c;
	int64_t age = -1;
	const char *older = NULL;
	while (rc == 0 && (c = mx_cli_getopt(&cli, argc, argv, "h", opts)) != -1) {
		switch (c) {
		case 'h': print_help(); return MX_EXIT_OK;
		case OPT_JSON2: cli.json_output = 1; break;
		case OPT_DRY: dry = 1; break;
		case OPT_OLDER:
			older = optarg;
			if (mx_cli_parse_age(optarg, &age))
				rc = mx_cli_usage_error(
				        &cli, "Invalid time format. Use format like '10m', '2h', '1d': %s",
				        optarg);
			break;
		default: rc = mx_cli_other_option(&cli, c, argv);
		}
	}
	if (rc)
		return rc;
	if (optind < argc)
		return mx_cli_usage_error(&cli, "Got unexpected extra argument (%s)", argv[optind]);
	mx_cli_setup_logging(&cli);

	struct mx_site_config *site = NULL;
	struct mx_profile_settings ps;
	const char *profile = NULL;
	struct mx_err err;
	if (mx_cli_audit_settings(&cli, &site, &profile, &ps, &err)) {
		if (site != NULL && strstr(err.msg, "not enabled") != NULL) {
			/* MXCP: nothing to clean is not a failure, so a retention cron
			 * job keeps passing on a profile without audit. */
			char msg[256];
			snprintf(msg, sizeof msg, "Audit logging is not enabled for profile '%s'", profile);
			if (cli.json_output)
				mx_cli_print_ok(json_pack("{s:s, s:s, s:{}}", "status", "skipped", "message",
				                          msg, "deleted_per_schema"));
			else
				printf("%s\n", msg);
			mx_site_free(site);
			return MX_EXIT_OK;
		}
		rc = mx_cli_fail(&cli, &err);
		mx_site_free(site);
		return rc;
	}
	char rule[64];
	if (age < 0) {
		age = ps.audit_retention_days * 86400000;
		snprintf(rule, sizeof rule, "retention: %lld days", (long long)ps.audit_retention_days);
	} else {
		snprintf(rule, sizeof rule, "older than %s", older);
	}
	if (!cli.json_output) {
		printf("%s\n", dry ? "DRY RUN: Analyzing what would be deleted...\n"
		                   : "Applying retention policies...");
		fflush(stdout);
	}
	struct mx_audit_cleanup_result res;
	if (mx_audit_cleanup(ps.audit_path, mx_audit_now_ms() - age, dry, &res, &err)) {
		rc = mx_cli_fail(&cli, &err);
	} else if (cli.json_output) {
		char msg[128];
		snprintf(msg, sizeof msg, "%s %lld records", dry ? "Would delete" : "Deleted",
		         (long long)res.deleted);
		mx_cli_print_ok(json_pack(
		        "{s:s, s:s, s:{s:I}, s:I, s:I}", "status", dry ? "dry_run" : "success", "message",
		        msg, "deleted_per_schema", SCHEMA_KEY, (json_int_t)res.deleted, "files_removed",
		        (json_int_t)res.files_removed, "files_rewritten", (json_int_t)res.files_rewritten));
	} else if (dry && res.deleted == 0) {
		printf("No records would be deleted.\n");
	} else if (dry) {
		printf("  %s (%s): %lld records\n\nTotal records that would be deleted: %lld\n\n"
		       "Run without --dry-run to actually delete these records.\n",
		       SCHEMA_KEY, rule, (long long)res.deleted, (long long)res.deleted);
	} else if (res.deleted == 0) {
		printf("No records were deleted.\n");
	} else {
		printf("\nDeleted records by schema:\n  %s: %lld records\n\nTotal records deleted: %lld\n",
		       SCHEMA_KEY, (long long)res.deleted, (long long)res.deleted);
	}
	mx_site_free(site);
	return rc;
}
