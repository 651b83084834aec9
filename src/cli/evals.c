/* SPDX-License-Identifier: Apache-2.0 */
/*
 * evals — `mxcp evals [SUITE] [--model M] [--user-context …] [--verbose]`:
 * run one eval suite or all of them (quality/evals) and report. One suite:
 * MXCP's suite object; all: {"suites":[{suite, path, status, tests,
 * error}], "elapsed_time"} with each suite's real status (MXCP reports every
 * suite as failed). Exit 1 when any test fails or errs, or a suite cannot
 * run (unknown suite, no model).
 */
#include "cli/common.h"

#include "core/alloc.h"
#include "core/fetch.h"
#include "core/time.h"
#include "exec/invoke.h"
#include "model/project.h"
#include "quality/evals.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

enum { OPT_MODEL = MX_OPT_FIRST_COMMAND_OPTION, OPT_VERBOSE };

static void print_help(void)
{
	printf("Usage: mxcp evals [OPTIONS] [SUITE_NAME]\n\n"
	       "  Run LLM evaluation suites: send each prompt with the project's tools to\n"
	       "  a model, run the tool calls it makes, and check the assertions.\n\n"
	       "Options:\n"
	       "  -u, --user-context TEXT  User context as JSON or @file.json (overrides\n"
	       "                           every test's user_context)\n"
	       "  -m, --model TEXT         Model to use (overrides the suite's model)\n"
	       "  --verbose                Show each turn of the conversations\n"
	       "  --profile TEXT           Profile name to use\n"
	       "  --project-dir DIR        Run in the project in DIR (default: MXCP_PROJECT_DIR,\n"
	       "                           else the current folder and its parents)\n"
	       "  --json-output            Output in JSON format\n"
	       "  --debug                  Show detailed debug information\n"
	       "  --help                   Show this message and exit.\n");
}

struct counts {
	size_t passed, failed;
	int color;
};

static void print_suite(struct counts *c, const json_t *r, const char *path)
{
	printf("%s%s%s (%s, model %s)\n", c->color ? "\033[1m" : "",
	       json_string_value(json_object_get(r, "suite")), c->color ? "\033[0m" : "", path,
	       json_string_value(json_object_get(r, "model")));
	size_t i;
	json_t *t;
	json_array_foreach (json_object_get(r, "tests"), i, t) {
		const char *name = json_string_value(json_object_get(t, "name"));
		double secs = json_real_value(json_object_get(t, "time"));
		if (json_is_true(json_object_get(t, "passed"))) {
			c->passed++;
			printf("  %s✓%s %s (%.2fs)\n", c->color ? "\033[32m" : "", c->color ? "\033[0m" : "",
			       name, secs);
			continue;
		}
		c->failed++;
		const char *error = json_string_value(json_object_get(t, "error"));
		printf("  %s✗%s %s — %s\n", c->color ? "\033[31m" : "", c->color ? "\033[0m" : "", name,
		       error ? "error" : "failed");
		if (error)
			printf("      %s\n", error);
		size_t j;
		json_t *f;
		json_array_foreach (json_object_get(t, "failures"), j, f)
			printf("      %s\n", json_string_value(f));
	}
}

/* Run one suite; returns its result object, or NULL with err (no model). */
static json_t *run_suite(struct mx_runtime *rt, struct mx_dbconn *conn, const struct mx_project *p,
                         const struct mx_eval_suite *s, const char *model_override,
                         const struct mx_eval_options *eopt, struct mx_err *err)
{
	struct mx_eval_model m;
	const char *suite_model = json_string_value(json_object_get(s->def, "model"));
	if (mx_eval_model_resolve(p, model_override, suite_model, &m, err))
		return NULL;
	json_t *r = mx_eval_run_suite(rt, conn, s, &m, eopt);
	mx_eval_model_free(&m);
	return r;
}

int mx_cmd_evals(int argc, char **argv)
{
	static const struct option opts[] = {MX_CLI_COMMON_OPTIONS,
	                                     {"user-context", required_argument, NULL, 'u'},
	                                     {"model", required_argument, NULL, 'm'},
	                                     {"verbose", no_argument, NULL, OPT_VERBOSE},
	                                     {0}};
	struct mx_cli cli = {.command = "evals"};
	json_t *user = NULL;
	const char *model = NULL;
	struct mx_eval_options eopt = {0};
	int rc = 0, c;
	while (rc == 0 && (c = mx_cli_getopt(&cli, argc, argv, "hu:m:", opts)) != -1) {
		switch (c) {
		case 'h': print_help(); goto done;
		case 'u':
			json_decref(user);
			user = NULL;
			rc = mx_cli_json_arg(&cli, "user context", optarg, &user);
			break;
		case 'm': model = optarg; break;
		case OPT_VERBOSE: eopt.verbose = 1; break;
		default: rc = mx_cli_other_option(&cli, c, argv);
		}
	}
	if (rc)
		goto done;
	if (argc - optind > 1) {
		rc = mx_cli_usage_error(&cli, "Got unexpected extra argument (%s)", argv[optind + 1]);
		goto done;
	}
	const char *only = optind < argc ? argv[optind] : NULL;
	mx_cli_setup_logging(&cli);
	eopt.cli_user_context = user;
	double t0 = mx_mono_s();

	struct mx_project_options popt = {.profile = cli.profile, .readonly = cli.readonly};
	struct mx_project *p = NULL;
	struct mx_err err;
	if (mx_project_load(&popt, &p, &err)) {
		rc = mx_cli_fail(&cli, &err);
		goto done;
	}
	struct mx_eval_suites suites;
	mx_evals_discover(p, &suites, &err);
	struct mx_runtime *rt = NULL;
	struct mx_dbconn *conn = NULL;
	if (mx_runtime_open(p, &rt, &err) || mx_db_connect(mx_runtime_db(rt), &conn, &err)) {
		rc = mx_cli_fail(&cli, &err);
		goto close;
	}
	mx_fetch_global_init();
	struct counts cnt = {.color = !cli.json_output && mx_cli_tty()};
	json_t *out = NULL;
	if (only) {
		const struct mx_eval_suite *s = NULL;
		for (size_t i = 0; i < suites.n; i++)
			if (!strcmp(suites.items[i].name, only))
				s = &suites.items[i];
		json_t *r = NULL;
		if (!s) {
			mx_err_set(&err, MX_ENOTFOUND, "Eval suite '%s' not found", only);
			/* a schema error in the file that would have defined it says more */
			for (size_t i = 0; i < suites.nerrors; i++)
				if (strstr(suites.errors[i].relpath, only))
					err = suites.errors[i].err;
		} else {
			r = run_suite(rt, conn, p, s, model, &eopt, &err);
		}
		if (!r) {
			char msg[MX_ERR_MSG_MAX + MX_ERR_FILE_MAX + 64];
			mx_err_format(&err, msg, sizeof msg);
			out = json_pack("{s:s, s:f}", "error", msg, "elapsed_time", mx_mono_s() - t0);
			if (!cli.json_output)
				fprintf(stderr, "Error: %s\n", msg);
			rc = MX_EXIT_FAIL;
		} else {
			rc = json_is_true(json_object_get(r, "all_passed")) ? MX_EXIT_OK : MX_EXIT_FAIL;
			if (!cli.json_output)
				print_suite(&cnt, r, s->relpath);
			out = r;
		}
	} else {
		json_t *list = json_array();
		for (size_t i = 0; i < suites.nerrors; i++) {
			char msg[MX_ERR_MSG_MAX + MX_ERR_FILE_MAX + 64];
			mx_err_format(&suites.errors[i].err, msg, sizeof msg);
			json_array_append_new(list, json_pack("{s:n, s:s, s:s, s:[], s:s}", "suite", "path",
			                                      suites.errors[i].relpath, "status", "error",
			                                      "tests", "error", msg));
			if (!cli.json_output)
				printf("! %s: %s\n", suites.errors[i].relpath, msg);
			rc = MX_EXIT_FAIL;
		}
		for (size_t i = 0; i < suites.n; i++) {
			const struct mx_eval_suite *s = &suites.items[i];
			json_t *r = run_suite(rt, conn, p, s, model, &eopt, &err), *item;
			if (!r) {
				item = json_pack("{s:s, s:s, s:s, s:[], s:s}", "suite", s->name, "path",
				                 s->relpath, "status", "error", "tests", "error", err.msg);
				if (!cli.json_output)
					printf("! %s (%s): %s\n", s->name, s->relpath, err.msg);
				rc = MX_EXIT_FAIL;
			} else {
				int ok = json_is_true(json_object_get(r, "all_passed"));
				item = json_pack("{s:s, s:s, s:s, s:O, s:n}", "suite", s->name, "path",
				                 s->relpath, "status", ok ? "passed" : "failed", "tests",
				                 json_object_get(r, "tests"), "error");
				if (!ok)
					rc = MX_EXIT_FAIL;
				if (!cli.json_output)
					print_suite(&cnt, r, s->relpath);
				json_decref(r);
			}
			json_array_append_new(list, item);
		}
		out = json_pack("{s:o, s:f}", "suites", list, "elapsed_time", mx_mono_s() - t0);
		if (suites.n + suites.nerrors == 0) {
			json_object_set_new(out, "no_evals", json_true());
			json_object_set_new(out, "message", json_string("No eval files found"));
			if (!cli.json_output)
				printf("No eval files found\n");
		}
	}
	if (cli.json_output)
		mx_cli_print_ok(json_incref(out));
	else if (cnt.passed + cnt.failed)
		printf("\n%zu passed, %zu failed\n", cnt.passed, cnt.failed);
	json_decref(out);
	mx_fetch_global_cleanup();
close:
	mx_dbconn_close(conn);
	mx_runtime_close(rt);
	mx_evals_free(&suites);
	mx_project_unref(p);
done:
	json_decref(user);
	return rc;
}
