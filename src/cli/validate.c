/* SPDX-License-Identifier: Apache-2.0 */
/*
 * validate — `mxcp validate [ENDPOINT_FILE]`: every problem at once, each
 * with file:line:col and the field. Unlike MXCP, exits 1 when anything is
 * invalid, so CI can gate on it.
 */
#include "cli/common.h"

#include "exec/invoke.h"
#include "exec/validate.h"
#include "model/project.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void print_help(void)
{
	printf("Usage: mxcp validate [OPTIONS] [ENDPOINT]\n\n"
	       "  Validate one endpoint file (a path such as tools/my_tool.yml) or all of\n"
	       "  them: YAML shape, types, prompt templates, and SQL prepared against the\n"
	       "  profile's database. Exits 1 when any endpoint is invalid.\n\n"
	       "Options:\n"
	       "  --profile TEXT     Profile name to use\n"
	       "  --project-dir DIR  Run in the project in DIR (default: MXCP_PROJECT_DIR,\n"
	       "                     else the current folder and its parents)\n"
	       "  --json-output      Output in JSON format\n"
	       "  --readonly         Open the database read-only\n"
	       "  --debug            Show detailed debug information\n"
	       "  --help             Show this message and exit.\n");
}

struct outcome {
	json_t *validated;
	size_t nerrors;
	size_t nok;
};

static void record(struct outcome *o, const struct mx_cli *cli, const char *relpath, const struct mx_err *e)
{
	json_t *item = json_pack("{s:s, s:s}", "status", e ? "error" : "ok", "path", relpath);
	if (e) {
		json_object_set_new(item, "message", json_string(e->msg));
		if (e->line > 0) {
			json_object_set_new(item, "line", json_integer(e->line));
			json_object_set_new(item, "column", json_integer(e->col));
		}
		o->nerrors++;
	} else {
		o->nok++;
	}
	json_array_append_new(o->validated, item);
	if (cli->json_output)
		return;
	int tty = mx_cli_tty();
	if (e == NULL) {
		printf("  %s✓%s %s\n", mx_cli_color(tty, MX_CLI_GREEN), mx_cli_color(tty, MX_CLI_RESET),
		       relpath);
		return;
	}
	printf("  %s✗%s %s", mx_cli_color(tty, MX_CLI_RED), mx_cli_color(tty, MX_CLI_RESET), relpath);
	if (e->line > 0)
		printf(":%d:%d", e->line, e->col);
	printf(": ");
	mx_cli_print_indented(e->msg, 4);
	printf("\n");
}

int mx_cmd_validate(int argc, char **argv)
{
	static const struct option opts[] = {MX_CLI_COMMON_OPTIONS, {0}};
	struct mx_cli cli = {.command = "validate"};
	int c;
	while ((c = mx_cli_getopt(&cli, argc, argv, "h", opts)) != -1) {
		if (c == 'h') {
			print_help();
			return MX_EXIT_OK;
		}
		if (c == '?')
			return mx_cli_bad_option(&cli, argv);
		if (!mx_cli_common_option(&cli, c, optarg))
			return mx_cli_usage_error(&cli, "No such option: %s", argv[optind - 1]);
	}
	const char *only = optind < argc ? argv[optind++] : NULL;
	if (optind < argc)
		return mx_cli_usage_error(&cli, "Got unexpected extra argument (%s)", argv[optind]);
	mx_cli_setup_logging(&cli);

	struct mx_project_options popt = {.profile = cli.profile, .readonly = cli.readonly};
	struct mx_project *p = NULL;
	struct mx_err err;
	if (mx_project_load(&popt, &p, &err))
		return mx_cli_fail(&cli, &err);
	char only_path[PATH_MAX] = "";
	if (only && realpath(only, only_path) == NULL) {
		mx_project_unref(p);
		return mx_cli_failf(&cli, "Endpoint file not found: %s", only);
	}

	struct mx_runtime *rt = NULL;
	struct mx_dbconn *conn = NULL;
	if (mx_runtime_open(p, &rt, &err) || mx_db_connect(mx_runtime_db(rt), &conn, &err)) {
		mx_runtime_close(rt);
		mx_project_unref(p);
		return mx_cli_fail(&cli, &err);
	}

	struct outcome o = {.validated = json_array()};
	if (!cli.json_output && !only)
		printf("Validating %s (profile %s)\n", p->site->project, p->profile);
	for (size_t i = 0; i < p->nfailures; i++)
		if (!only || strcmp(only_path, p->failures[i].path) == 0)
			record(&o, &cli, p->failures[i].relpath, &p->failures[i].err);
	for (size_t i = 0; i < p->nendpoints; i++) {
		const struct mx_endpoint *ep = p->endpoints[i];
		if (only && strcmp(only_path, ep->path) != 0)
			continue;
		struct mx_err verr;
		int rc = mx_validate_endpoint(ep, conn, &verr);
		record(&o, &cli, ep->relpath, rc ? &verr : NULL);
	}
	mx_dbconn_close(conn);
	mx_runtime_close(rt);
	mx_project_unref(p);

	size_t total = o.nok + o.nerrors;
	int status = o.nerrors ? MX_EXIT_FAIL : MX_EXIT_OK;
	if (only && total == 0) {
		json_decref(o.validated);
		return mx_cli_failf(&cli, "%s is not an endpoint file of this project (or it is disabled)",
		                    only);
	}
	if (cli.json_output) {
		json_t *result;
		if (only) {
			result = json_incref(json_array_get(o.validated, 0));
		} else {
			result = json_pack("{s:s, s:O}", "status", o.nerrors ? "error" : "ok", "validated",
			                   o.validated);
			if (total == 0) {
				json_object_set_new(result, "status", json_string("error"));
				json_object_set_new(result, "message", json_string("No endpoints found"));
			}
		}
		mx_cli_print_ok(result);
	} else if (total == 0) {
		printf("No endpoints found\n");
	} else {
		int tty = mx_cli_tty();
		printf("\n%s%zu valid%s, %s%zu invalid%s\n", mx_cli_color(tty, MX_CLI_GREEN), o.nok,
		       mx_cli_color(tty, MX_CLI_RESET), mx_cli_color(tty && o.nerrors, MX_CLI_RED), o.nerrors,
		       mx_cli_color(tty && o.nerrors, MX_CLI_RESET));
	}
	json_decref(o.validated);
	return status;
}
