/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test — `mxcp test [tool|resource|prompt NAME]`: run the endpoints' `tests:`
 * (quality/test_runner) and report. Text: one line per test as it finishes
 * (coloured on a terminal, plain when piped), the failure message and, for
 * `result` mismatches, a path-by-path diff; then `N passed, N failed`.
 * JSON: MXCP's shape inside the usual envelope. Exit 1 unless every test
 * passed (MXCP: status ≠ ok).
 */
#include "cli/common.h"

#include "core/alloc.h"
#include "exec/invoke.h"
#include "model/project.h"
#include "quality/test_runner.h"

#include <stdio.h>
#include <string.h>

enum { OPT_HEADERS = MX_OPT_FIRST_COMMAND_OPTION, OPT_VERBOSE };

static void print_help(void)
{
	printf("Usage: mxcp test [OPTIONS] [{tool|resource|prompt} NAME]\n\n"
	       "  Run the tests defined in endpoint files (all endpoints, or one).\n\n"
	       "Options:\n"
	       "  -u, --user-context TEXT  User context as JSON or @file.json (overrides\n"
	       "                           every test's user_context)\n"
	       "  --request-headers TEXT   Request headers as a JSON object or @file.json\n"
	       "  --verbose                Also list the endpoints that have no tests\n"
	       "  --profile TEXT           Profile name to use\n"
	       "  --project-dir DIR        Run in the project in DIR (default: MXCP_PROJECT_DIR,\n"
	       "                           else the current folder and its parents)\n"
	       "  --json-output            Output in JSON format\n"
	       "  --readonly               Open the database read-only\n"
	       "  --debug                  Show detailed debug information\n"
	       "  --help                   Show this message and exit.\n");
}

struct report {
	int color;
	int verbose;
	int json;
	size_t passed, failed, errors;
};

#define C(r, code) ((r)->color ? (code) : "")
#define RESET(r) C(r, "\033[0m")

static void print_test(const struct report *r, const json_t *t)
{
	const char *status = json_string_value(json_object_get(t, "status"));
	const char *name = json_string_value(json_object_get(t, "name"));
	const char *error = json_string_value(json_object_get(t, "error"));
	double secs = json_real_value(json_object_get(t, "time"));
	if (!strcmp(status, "passed")) {
		/* piped too: a CI log names every test and its time */
		printf("  %s✓%s %s (%.2fs)\n", C(r, "\033[32m"), RESET(r), name, secs);
		return;
	}
	int is_error = !strcmp(status, "error");
	printf("  %s%s%s %s — %s (%.2fs)\n", C(r, is_error ? "\033[33m" : "\033[31m"), is_error ? "!" : "✗",
	       RESET(r), name, status, secs);
	/* indent every line of the message */
	const char *p = error ? error : "";
	while (*p) {
		const char *nl = strchr(p, '\n');
		int len = nl ? (int)(nl - p) : (int)strlen(p);
		printf("      %.*s\n", len, p);
		p += len + (nl ? 1 : 0);
	}
	const json_t *diff = json_object_get(t, "diff");
	if (json_array_size(diff)) {
		printf("      Diff (expected vs got):\n");
		size_t i;
		json_t *line;
		json_array_foreach (diff, i, line)
			printf("        %s\n", json_string_value(line));
	}
	const char *cause = json_string_value(json_object_get(t, "error_cause"));
	if (cause)
		printf("      Cause: %s\n", cause);
}

static void progress(const struct mx_endpoint *ep, const json_t *t, void *ctx)
{
	(void)ep;
	struct report *r = ctx;
	const char *status = json_string_value(json_object_get(t, "status"));
	if (!strcmp(status, "passed"))
		r->passed++;
	else if (!strcmp(status, "failed"))
		r->failed++;
	else
		r->errors++;
	if (!r->json) {
		print_test(r, t);
		fflush(stdout);
	}
}

static void print_header(const struct report *r, const char *id, const char *path)
{
	if (!r->json)
		printf("%s%s%s (%s)\n", C(r, "\033[1m"), id, RESET(r), path);
}

/* Remove our text-only "diff" before JSON output. */
static void strip_diffs(json_t *suite)
{
	size_t i;
	json_t *t;
	json_array_foreach (json_object_get(suite, "tests"), i, t)
		json_object_del(t, "diff");
}

static int parse_args(int argc, char **argv, struct mx_cli *cli, struct report *rep, json_t **user,
                      json_t **headers, int *rc)
{
	static const struct option opts[] = {MX_CLI_COMMON_OPTIONS,
	                                     {"user-context", required_argument, NULL, 'u'},
	                                     {"request-headers", required_argument, NULL, OPT_HEADERS},
	                                     {"verbose", no_argument, NULL, OPT_VERBOSE},
	                                     {0}};
	int c;
	while (*rc == 0 && (c = mx_cli_getopt(cli, argc, argv, "hu:", opts)) != -1) {
		switch (c) {
		case 'h': print_help(); return 1;
		case 'u':
			json_decref(*user);
			*user = NULL;
			*rc = mx_cli_json_arg(cli, "user context", optarg, user);
			break;
		case OPT_HEADERS:
			json_decref(*headers);
			*headers = NULL;
			*rc = mx_cli_json_arg(cli, "request headers", optarg, headers);
			if (*rc == 0 && !json_is_object(*headers))
				*rc = mx_cli_usage_error(cli, "Request headers must be a JSON object");
			break;
		case OPT_VERBOSE: rep->verbose = 1; break;
		case '?': *rc = mx_cli_bad_option(cli, argv); break;
		default:
			if (!mx_cli_common_option(cli, c, optarg))
				*rc = mx_cli_usage_error(cli, "No such option: %s", argv[optind - 1]);
		}
	}
	return *rc != 0;
}

int mx_cmd_test(int argc, char **argv)
{
	struct mx_cli cli = {.command = "test"};
	struct report rep = {0};
	json_t *user = NULL, *headers = NULL, *out = NULL;
	int rc = 0;
	if (parse_args(argc, argv, &cli, &rep, &user, &headers, &rc))
		goto done;
	int nargs = argc - optind;
	if (nargs == 1 || nargs > 2) {
		rc = nargs == 1 ? mx_cli_usage_error(&cli, "Missing argument 'NAME'.")
		                : mx_cli_usage_error(&cli, "Got unexpected extra argument (%s)",
		                                     argv[optind + 2]);
		goto done;
	}
	enum mx_endpoint_kind kind = MX_EP_TOOL;
	if (nargs == 2 && mx_endpoint_kind_parse(argv[optind], &kind)) {
		rc = mx_cli_usage_error(&cli,
		                        "Invalid value for 'ENDPOINT_TYPE': '%s' is not one of 'tool', "
		                        "'resource', 'prompt'.",
		                        argv[optind]);
		goto done;
	}
	const char *only = nargs == 2 ? argv[optind + 1] : NULL;
	mx_cli_setup_logging(&cli);
	rep.json = cli.json_output;
	rep.color = !cli.json_output && mx_cli_tty();

	struct mx_project_options popt = {.profile = cli.profile, .readonly = cli.readonly};
	struct mx_project *p = NULL;
	struct mx_err err;
	if (mx_project_load(&popt, &p, &err)) {
		rc = mx_cli_fail(&cli, &err);
		goto done;
	}
	struct mx_runtime *rt = NULL;
	struct mx_dbconn *conn = NULL;
	if (mx_runtime_open(p, &rt, &err) || mx_db_connect(mx_runtime_db(rt), &conn, &err)) {
		rc = mx_cli_fail(&cli, &err);
		goto close;
	}
	struct mx_test_options topt = {.cli_user_context = user,
	                               .request_headers = headers,
	                               .want_diff = !cli.json_output,
	                               .progress = progress,
	                               .progress_ctx = &rep};
	char id[2048];
	if (only) {
		const struct mx_endpoint *ep = mx_project_find(p, kind, only);
		if (ep == NULL) {
			/* MXCP: a suite error, not a command error */
			char msg[2048];
			snprintf(msg, sizeof msg, "Endpoint not found: %s/%s", mx_endpoint_kind_name(kind),
			         only);
			out = json_pack("{s:s, s:i, s:[], s:s}", "status", "error", "tests_run", 0, "tests",
			                "message", msg);
			if (!cli.json_output)
				fprintf(stderr, "Error: %s\n", msg);
		} else {
			print_header(&rep, mx_endpoint_id(ep, id, sizeof id), ep->relpath);
			out = mx_test_run_endpoint(rt, conn, ep, &topt);
			strip_diffs(out);
		}
	} else {
		out = json_pack("{s:s, s:i, s:[]}", "status", "ok", "tests_run", 0, "endpoints");
		json_t *eps = json_object_get(out, "endpoints");
		json_int_t run = 0;
		int has_error = (int)p->nfailures > 0, has_failed = 0;
		for (size_t i = 0; i < p->nfailures; i++) {
			json_array_append_new(eps, json_pack("{s:s, s:s, s:{s:s, s:s}}", "endpoint",
			                                     p->failures[i].path, "path",
			                                     p->failures[i].relpath, "test_results", "status",
			                                     "error", "message", p->failures[i].err.msg));
			if (!cli.json_output)
				printf("%s! %s%s: %s\n", C(&rep, "\033[33m"), p->failures[i].relpath,
				       RESET(&rep), p->failures[i].err.msg);
			rep.errors++;
		}
		for (size_t i = 0; i < p->nendpoints; i++) {
			const struct mx_endpoint *ep = p->endpoints[i];
			mx_endpoint_id(ep, id, sizeof id);
			if (json_array_size(ep->tests) || rep.verbose)
				print_header(&rep, id, ep->relpath);
			json_t *suite = mx_test_run_endpoint(rt, conn, ep, &topt);
			strip_diffs(suite);
			const char *st = json_string_value(json_object_get(suite, "status"));
			has_error |= !strcmp(st, "error");
			has_failed |= !strcmp(st, "failed");
			run += json_integer_value(json_object_get(suite, "tests_run"));
			json_array_append_new(eps, json_pack("{s:s, s:s, s:o}", "endpoint", id, "path",
			                                     ep->relpath, "test_results", suite));
		}
		json_object_set_new(out, "tests_run", json_integer(run));
		json_object_set_new(out, "status",
		                    json_string(has_error    ? "error"
		                                : has_failed ? "failed"
		                                             : "ok"));
	}
	const char *status = json_string_value(json_object_get(out, "status"));
	rc = strcmp(status, "ok") ? MX_EXIT_FAIL : MX_EXIT_OK;
	if (cli.json_output) {
		mx_cli_print_ok(out);
		out = NULL;
	} else if (json_object_get(out, "message") == NULL) {
		size_t bad = rep.failed + rep.errors;
		if (rep.passed + bad == 0 && rc == 0)
			printf("No tests defined\n");
		if (rep.errors)
			printf("\n%s%zu passed, %zu failed%s (%zu error%s)\n",
			       C(&rep, bad ? "\033[31m" : "\033[32m"), rep.passed, bad, RESET(&rep),
			       rep.errors, rep.errors == 1 ? "" : "s");
		else
			printf("\n%s%zu passed, %zu failed%s\n", C(&rep, bad ? "\033[31m" : "\033[32m"),
			       rep.passed, bad, RESET(&rep));
	}
close:
	mx_dbconn_close(conn);
	mx_runtime_close(rt);
	mx_project_unref(p);
done:
	json_decref(out);
	json_decref(user);
	json_decref(headers);
	return rc;
}
