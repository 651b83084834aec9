/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests for src/core/fetch.c against a local libmicrohttpd server: GET with
 * headers, POST with a body, statuses and Retry-After, the response bound,
 * a refused connection and a timeout.
 */
#include "harness.h"

#include "core/err.h"
#include "core/fetch.h"

#include <microhttpd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct post {
	char body[256];
	size_t len;
};

static enum MHD_Result answer(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                              const char *version, const char *data, size_t *data_size, void **state)
{
	(void)cls, (void)version;
	struct post *p = *state;
	if (p == NULL) {
		p = calloc(1, sizeof *p);
		*state = p;
		return MHD_YES;
	}
	if (*data_size) {
		size_t n =
		        *data_size < sizeof p->body - p->len - 1 ? *data_size : sizeof p->body - p->len - 1;
		memcpy(p->body + p->len, data, n);
		p->len += n;
		*data_size = 0;
		return MHD_YES;
	}
	char text[512];
	unsigned status = MHD_HTTP_OK;
	if (strcmp(url, "/echo") == 0) {
		const char *token = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Token");
		snprintf(text, sizeof text, "%s %s token=%s body=%s", method, url, token ? token : "-",
		         p->body);
	} else if (strcmp(url, "/busy") == 0) {
		status = 429;
		snprintf(text, sizeof text, "slow down");
	} else if (strcmp(url, "/big") == 0) {
		memset(text, 'x', sizeof text - 1);
		text[sizeof text - 1] = '\0';
	} else if (strcmp(url, "/slow") == 0) {
		sleep(2);
		snprintf(text, sizeof text, "late");
	} else {
		status = MHD_HTTP_NOT_FOUND;
		snprintf(text, sizeof text, "no");
	}
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_COPY);
	if (status == 429)
		MHD_add_response_header(r, "Retry-After", "7");
	enum MHD_Result rc = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return rc;
}

static void done(void *cls, struct MHD_Connection *c, void **state, enum MHD_RequestTerminationCode tc)
{
	(void)cls, (void)c, (void)tc;
	free(*state);
	*state = NULL;
}

static struct MHD_Daemon *daemon_;
static char base[64];

static int start(void **state)
{
	(void)state;
	daemon_ =
	        MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0, NULL,
	                         NULL, answer, NULL, MHD_OPTION_NOTIFY_COMPLETED, done, NULL, MHD_OPTION_END);
	if (daemon_ == NULL)
		return -1;
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(daemon_, MHD_DAEMON_INFO_BIND_PORT);
	snprintf(base, sizeof base, "http://127.0.0.1:%u", (unsigned)info->port);
	mx_fetch_global_init();
	return 0;
}

static int stop(void **state)
{
	(void)state;
	MHD_stop_daemon(daemon_);
	mx_fetch_global_cleanup();
	return 0;
}

static int fetch(const char *path, const char *const *headers, const char *body, size_t max, long timeout,
                 struct mx_fetch_response *r)
{
	char url[128];
	snprintf(url, sizeof url, "%s%s", base, path);
	struct mx_fetch_request rq = {
	        .url = url,
	        .headers = headers,
	        .body = body,
	        .body_len = body ? strlen(body) : 0,
	        .timeout_s = timeout,
	        .connect_timeout_s = 1,
	        .max_response = max,
	};
	return mx_fetch(&rq, r);
}

static void test_get_and_post(void **state)
{
	(void)state;
	struct mx_fetch_response r;
	const char *headers[] = {"X-Token: secret", NULL};
	assert_int_equal(0, fetch("/echo", headers, NULL, 4096, 5, &r));
	assert_int_equal(200, r.status);
	assert_int_equal(-1, r.retry_after);
	assert_string_equal("GET /echo token=secret body=", mx_buf_str(&r.body));
	mx_buf_free(&r.body);
	assert_int_equal(0, fetch("/echo", NULL, "{\"a\":1}", 4096, 5, &r));
	assert_string_equal("POST /echo token=- body={\"a\":1}", mx_buf_str(&r.body));
	mx_buf_free(&r.body);
}

static void test_statuses(void **state)
{
	(void)state;
	struct mx_fetch_response r;
	assert_int_equal(0, fetch("/busy", NULL, NULL, 4096, 5, &r));
	assert_int_equal(429, r.status);
	assert_int_equal(7, r.retry_after);
	mx_buf_free(&r.body);
	assert_int_equal(0, fetch("/nothing", NULL, NULL, 4096, 5, &r));
	assert_int_equal(404, r.status);
	mx_buf_free(&r.body);
}

static void test_failures(void **state)
{
	(void)state;
	struct mx_fetch_response r;
	/* past the response bound */
	assert_int_equal(MX_EIO, fetch("/big", NULL, NULL, 100, 5, &r));
	assert_true(r.error[0] != '\0');
	assert_false(r.timed_out);
	mx_buf_free(&r.body);
	/* too slow */
	assert_int_equal(MX_EIO, fetch("/slow", NULL, NULL, 4096, 1, &r));
	assert_true(r.timed_out);
	mx_buf_free(&r.body);
	/* nobody listening; only http and https */
	struct mx_fetch_request rq = {
	        .url = "http://127.0.0.1:1/", .timeout_s = 5, .connect_timeout_s = 1, .max_response = 64};
	assert_int_equal(MX_EIO, mx_fetch(&rq, &r));
	assert_int_equal(0, r.status);
	mx_buf_free(&r.body);
	rq.url = "file:///etc/passwd";
	assert_int_equal(MX_EIO, mx_fetch(&rq, &r));
	mx_buf_free(&r.body);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_get_and_post),
	        cmocka_unit_test(test_statuses),
	        cmocka_unit_test(test_failures),
	};
	return cmocka_run_group_tests(tests, start, stop);
}
