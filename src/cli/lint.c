/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lint — `mxcp lint [--severity all|warning|info] [--strict]`: metadata
 * findings (quality/lint), each printed once as `file:line: severity:
 * location: message` with a one-line fix. `--severity` is a minimum level
 * and never hides errors (MXCP's drops them). Unlike MXCP, exits 1 when an
 * error-severity finding exists (with --strict: any warning too).
 */
#include "cli/common.h"

#include "model/project.h"
#include "quality/lint.h"

#include <stdio.h>
#include <string.h>

enum { OPT_SEVERITY = MX_OPT_FIRST_COMMAND_OPTION, OPT_STRICT };

static void print_help(void)
{
	printf("Usage: mxcp lint [OPTIONS]\n\n"
	       "  Check endpoints for missing but recommended metadata (descriptions,\n"
	       "  tests, examples, tags, annotations) and for safety hints.\n"
	       "  Exits 1 when an error is found (with --strict: any warning too).\n\n"
	       "Options:\n"
	       "  --severity [all|warning|info]  Minimum severity to report (errors are\n"
	       "                                 always reported)\n"
	       "  --strict                       Exit 1 on warnings as well\n"
	       "  --profile TEXT                 Profile name to use\n"
	       "  --project-dir DIR              Run in the project in DIR (default: MXCP_PROJECT_DIR,\n"
	       "                                 else the current folder and its parents)\n"
	       "  --json-output                  Output in JSON format\n"
	       "  --debug                        Show detailed debug information\n"
	       "  --help                         Show this message and exit.\n");
}

static int rank(const char *sev)
{
	return !strcmp(sev, "error") ? 0 : !strcmp(sev, "warning") ? 1 : 2;
}

int mx_cmd_lint(int argc, char **argv)
{
	static const struct option opts[] = {MX_CLI_COMMON_OPTIONS,
	                                     {"severity", required_argument, NULL, OPT_SEVERITY},
	                                     {"strict", no_argument, NULL, OPT_STRICT},
	                                     {0}};
	struct mx_cli cli = {.command = "lint"};
	int c, strict = 0, min_rank = 2;
	while ((c = mx_cli_getopt(&cli, argc, argv, "h", opts)) != -1) {
		switch (c) {
		case 'h': print_help(); return MX_EXIT_OK;
		case OPT_SEVERITY:
			if (!strcmp(optarg, "all") || !strcmp(optarg, "info"))
				min_rank = 2;
			else if (!strcmp(optarg, "warning"))
				min_rank = 1;
			else
				return mx_cli_usage_error(
				        &cli,
				        "Invalid value for '--severity': '%s' is not one of 'all', "
				        "'warning', 'info'.",
				        optarg);
			break;
		case OPT_STRICT: strict = 1; break;
		case '?': return mx_cli_bad_option(&cli, argv);
		default:
			if (!mx_cli_common_option(&cli, c, optarg))
				return mx_cli_usage_error(&cli, "No such option: %s", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return mx_cli_usage_error(&cli, "Got unexpected extra argument (%s)", argv[optind]);
	mx_cli_setup_logging(&cli);

	struct mx_project_options popt = {.profile = cli.profile, .readonly = 1};
	struct mx_project *p = NULL;
	struct mx_err err;
	if (mx_project_load(&popt, &p, &err))
		return mx_cli_fail(&cli, &err);
	json_t *all = mx_lint_project(p), *shown = json_array();
	size_t counts[3] = {0, 0, 0}, i;
	json_t *issue;
	json_array_foreach (all, i, issue) {
		int r = rank(json_string_value(json_object_get(issue, "severity")));
		counts[r]++;
		if (r <= min_rank)
			json_array_append(shown, issue);
	}
	int rc = counts[0] || (strict && counts[1]) ? MX_EXIT_FAIL : MX_EXIT_OK;

	if (cli.json_output) {
		mx_cli_print_ok(shown);
		shown = NULL;
	} else {
		int color = mx_cli_tty();
		static const char *const COLORS[] = {"\033[31m", "\033[33m", "\033[34m"};
		json_array_foreach (shown, i, issue) {
			const char *sev = json_string_value(json_object_get(issue, "severity"));
			const char *sug = json_string_value(json_object_get(issue, "suggestion"));
			printf("%s:%lld: %s%s%s: %s: %s\n", json_string_value(json_object_get(issue, "path")),
			       (long long)json_integer_value(json_object_get(issue, "line")),
			       color ? COLORS[rank(sev)] : "", sev, color ? "\033[0m" : "",
			       json_string_value(json_object_get(issue, "location")),
			       json_string_value(json_object_get(issue, "message")));
			if (sug)
				printf("    fix: %s\n", sug);
		}
		if (p->nendpoints == 0)
			printf("No endpoints were linted\n");
		else
			printf("%zu error%s, %zu warning%s, %zu info%s in %zu endpoint file%s\n", counts[0],
			       counts[0] == 1 ? "" : "s", counts[1], counts[1] == 1 ? "" : "s", counts[2],
			       counts[2] == 1 ? "" : "s", p->nendpoints, p->nendpoints == 1 ? "" : "s");
	}
	json_decref(shown);
	json_decref(all);
	mx_project_unref(p);
	return rc;
}
