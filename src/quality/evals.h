/* SPDX-License-Identifier: Apache-2.0 */
/*
 * evals — LLM evaluation suites (shared/spec/mxcp.md §12): a prompt goes to
 * a model together with the project's tools (the JSON Schemas tools/list
 * serves); the tool calls it asks for run through mx_invoke with the test's
 * user context (policies apply); results go back; repeat until the model
 * answers or MX_EVAL_MAX_TURNS is hit; then must_call / must_not_call /
 * answer_contains / answer_not_contains are checked.
 *
 * Providers speak their native tool-use APIs over core/fetch (libcurl): `claude`
 * (Anthropic Messages, tool_use/tool_result blocks) and `openai` (Chat
 * Completions, tool_calls and role "tool"). They are structs of function
 * pointers (STYLE 8). The API key is sent, never printed or logged.
 * Runs on the calling thread; HTTP calls block it (a CLI command).
 */
#ifndef MX_QUALITY_EVALS_H
#define MX_QUALITY_EVALS_H

#include "core/err.h"
#include "exec/invoke.h"
#include "model/project.h"

#include <jansson.h>

#define MX_EVAL_MAX_TURNS 10

/* A suite file read and checked against MXCP's schema (unknown keys are
 * errors with file:line:col). */
struct mx_eval_suite {
	char *path; /* absolute */
	char *relpath; /* relative to the project root */
	char *name;
	json_t *def; /* the whole file as JSON */
};

/* Every *.yml under paths.evals (recursive) that has an `mxcp` key, sorted
 * by path. Files that fail the schema come back with their error in
 * errors[] (path + message) so a run can report them. */
struct mx_eval_suites {
	struct mx_eval_suite *items;
	size_t n;
	struct mx_load_failure *errors;
	size_t nerrors;
};

int mx_evals_discover(const struct mx_project *p, struct mx_eval_suites *out, struct mx_err *err);
void mx_evals_free(struct mx_eval_suites *s);

/* Parse and check one suite file. */
int mx_eval_suite_load(const char *root, const char *path, struct mx_eval_suite *out, struct mx_err *err);

/* A model resolved from the user config. */
struct mx_eval_model {
	char name[256]; /* sent as the API model id */
	char type[16]; /* "claude" or "openai" */
	char *api_key;
	char *base_url;
	long timeout_s;
	int max_retries;
};

/* --model > suite `model` > models.default; must be configured with an
 * api_key. MXCP's messages. */
int mx_eval_model_resolve(const struct mx_project *p, const char *override, const char *suite_model,
                          struct mx_eval_model *out, struct mx_err *err);
void mx_eval_model_free(struct mx_eval_model *m);

/* The assertions of one test against what happened: calls is
 * [{"tool","arguments",…}], answer the final text. Returns a JSON array of
 * MXCP's failure strings (empty = passed). */
json_t *mx_eval_check(const json_t *assertions, const json_t *calls, const char *answer);

struct mx_eval_options {
	const json_t *cli_user_context; /* overrides each test's user_context */
	int verbose; /* log each turn to stderr */
};

/* Run one suite. Returns MXCP's shape: {"suite","description","model",
 * "tests":[…],"all_passed","elapsed_time"}. New reference. */
json_t *mx_eval_run_suite(struct mx_runtime *rt, struct mx_dbconn *conn, const struct mx_eval_suite *s,
                          const struct mx_eval_model *m, const struct mx_eval_options *opt);

#endif
