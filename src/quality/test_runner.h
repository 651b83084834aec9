/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_runner — the `tests:` of an endpoint, run through the served call
 * path (mx_invoke: argument conversion, policies with the test's user
 * context, execution, shaping, output validation, output policies) and
 * checked with MXCP's assertions and messages (shared/spec/mxcp.md §10).
 *
 * The assertion half (mx_test_normalize, mx_test_check) is pure JSON in,
 * JSON out, so unit tests pin MXCP's exact semantics without a database.
 * Runs on the calling thread; owns nothing beyond the JSON it returns.
 */
#ifndef MX_QUALITY_TEST_RUNNER_H
#define MX_QUALITY_TEST_RUNNER_H

#include "core/err.h"
#include "exec/invoke.h"
#include "model/endpoint.h"

#include <jansson.h>

/* MXCP's normalisation before comparison: a falsy result (null, false, 0,
 * "", [], {}) becomes []; for prompts the last assistant message's text
 * (parsed as JSON when it looks like [..] or {..}). New reference. */
json_t *mx_test_normalize(enum mx_endpoint_kind kind, const json_t *result);

/* Check every assertion of one test definition against a normalised
 * result, in MXCP's order. Returns 1 when all pass; otherwise 0 and
 * *failure holds MXCP's message (free with mx_free). */
int mx_test_check(const json_t *test, const json_t *result, char **failure);

/* Python's str() of a JSON value as MXCP's f-strings print it: strings
 * raw, everything else repr() ('x', True, None, {'k': 1}). mx_free it. */
char *mx_test_pystr(const json_t *v);

/* A structural diff of expected vs got for humans: one line per difference,
 * each naming its path ("$[1].name: expected 'Ada', got 'Grace'",
 * "$.email: missing", "$.extra: unexpected 'x'"). JSON array of strings. */
json_t *mx_test_diff(const json_t *expected, const json_t *got);

/* Called after each test (progress on a terminal); may be NULL. */
typedef void (*mx_test_progress_fn)(const struct mx_endpoint *ep, const json_t *test_result, void *ctx);

struct mx_test_options {
	const json_t *cli_user_context; /* --user-context: overrides each test's user_context */
	const json_t *request_headers; /* --request-headers: every call's headers (get_request_header()) */
	int want_diff; /* add "diff" (lines, see mx_test_diff) to failed `result` tests */
	mx_test_progress_fn progress;
	void *progress_ctx;
};

/* Run the tests of one endpoint. Returns MXCP's suite object:
 * {"status":"ok|failed|error","tests_run":N,"tests":[{name, description,
 * status, error?, error_cause?, time}], "no_tests":bool}. New reference. */
json_t *mx_test_run_endpoint(struct mx_runtime *rt, struct mx_dbconn *conn, const struct mx_endpoint *ep,
                             const struct mx_test_options *opt);

#endif
