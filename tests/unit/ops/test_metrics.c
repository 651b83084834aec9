/* SPDX-License-Identifier: Apache-2.0 */
/* Tests for src/ops/metrics.c: exact exposition text, escaping, histogram
 * consistency, exact totals under concurrency, the cardinality cap, and
 * `promtool check metrics` on the rendered text. */
#include "harness.h"

#include "audit/writer.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "ops/metrics.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char *render(void)
{
	struct mx_buf b;
	mx_buf_init(&b, MX_BUF_UNBOUNDED);
	assert_int_equal(0, mx_metrics_render(&b));
	return mx_buf_detach(&b);
}

/* The value of the first line that starts with prefix (-1 if none). */
static double value_of(const char *text, const char *prefix)
{
	size_t n = strlen(prefix);
	for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (strncmp(p, prefix, n) == 0 && p[n] == ' ') {
			return strtod(p + n + 1, NULL);
		}
	}
	return -1;
}

static int count_lines_with(const char *text, const char *needle)
{
	int n = 0;
	for (const char *p = strstr(text, needle); p; p = strstr(p + 1, needle)) {
		n++;
	}
	return n;
}

static const char *const les[] = {"0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1",
                                  "0.25",   "0.5",   "1",      "2.5",   "5",    "10",    "+Inf"};

static void put_histogram(struct mx_buf *b, const char *labels, const unsigned long long *cum,
                          const char *sum)
{
	for (size_t i = 0; i < 15; i++) {
		mx_buf_printf(b, "mxcp_request_duration_seconds_bucket{%s,le=\"%s\"} %llu\n", labels, les[i],
		              cum[i]);
	}
	mx_buf_printf(b, "mxcp_request_duration_seconds_sum{%s} %s\n", labels, sum);
	mx_buf_printf(b, "mxcp_request_duration_seconds_count{%s} %llu\n", labels, cum[14]);
}

static void test_exact_text(void **state)
{
	(void)state;
	mx_metrics_reset();
	mx_metrics_http_request("tools/call", "hello", "ok", 0.0003);
	mx_metrics_http_request("tools/call", "hello", "ok", 0.002);
	mx_metrics_http_request("tools/call", "hello", "error", 0.25); /* le is inclusive */
	mx_metrics_http_request("/health", "", "ok", 0.0005);
	mx_metrics_http_request("tools/call", "slow", "denied", 12.0); /* past 10 s: only +Inf */
	mx_metrics_inflight(2);
	mx_metrics_inflight(-1);
	mx_metrics_sessions(1);
	mx_metrics_policy_denial("slow");

	struct mx_buf want;
	mx_buf_init(&want, MX_BUF_UNBOUNDED);
	mx_buf_printf(&want,
	              "# HELP mxcp_build_info Build information; the value is always 1.\n"
	              "# TYPE mxcp_build_info gauge\n"
	              "mxcp_build_info{version=\"%s\",duckdb=\"%s\"} 1\n",
	              MXCP_VERSION, MXCP_DUCKDB_VERSION);
	mx_buf_puts(
	        &want,
	        "# HELP mxcp_requests_total Requests answered, by JSON-RPC method or HTTP route, endpoint "
	        "and outcome.\n"
	        "# TYPE mxcp_requests_total counter\n"
	        "mxcp_requests_total{method=\"tools/call\",endpoint=\"hello\",outcome=\"ok\"} 2\n"
	        "mxcp_requests_total{method=\"tools/call\",endpoint=\"hello\",outcome=\"error\"} 1\n"
	        "mxcp_requests_total{method=\"/health\",endpoint=\"\",outcome=\"ok\"} 1\n"
	        "mxcp_requests_total{method=\"tools/call\",endpoint=\"slow\",outcome=\"denied\"} 1\n"
	        "# HELP mxcp_request_duration_seconds Time from request read to response written.\n"
	        "# TYPE mxcp_request_duration_seconds histogram\n");
	static const unsigned long long hello[15] = {1, 1, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3};
	static const unsigned long long health[15] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
	static const unsigned long long slow[15] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
	put_histogram(&want, "method=\"tools/call\",endpoint=\"hello\"", hello, "0.2523");
	put_histogram(&want, "method=\"/health\",endpoint=\"\"", health, "0.0005");
	put_histogram(&want, "method=\"tools/call\",endpoint=\"slow\"", slow, "12");
	mx_buf_puts(&want,
	            "# HELP mxcp_requests_in_flight Requests being served now.\n"
	            "# TYPE mxcp_requests_in_flight gauge\n"
	            "mxcp_requests_in_flight 1\n"
	            "# HELP mxcp_sessions_active Open MCP sessions.\n"
	            "# TYPE mxcp_sessions_active gauge\n"
	            "mxcp_sessions_active 1\n"
	            "# HELP mxcp_policy_denials_total Calls refused by a policy, by endpoint.\n"
	            "# TYPE mxcp_policy_denials_total counter\n"
	            "mxcp_policy_denials_total{endpoint=\"slow\"} 1\n"
	            "# HELP mxcp_config_reloads_total Configuration reloads (SIGHUP), by result.\n"
	            "# TYPE mxcp_config_reloads_total counter\n"
	            "mxcp_config_reloads_total{result=\"success\"} 0\n"
	            "mxcp_config_reloads_total{result=\"failure\"} 0\n"
	            "# HELP mxcp_config_last_reload_successful 1 if the last reload was applied (or none "
	            "was tried), 0 if it was refused.\n"
	            "# TYPE mxcp_config_last_reload_successful gauge\n"
	            "mxcp_config_last_reload_successful 1\n"
	            "# HELP mxcp_config_last_reload_success_timestamp_seconds When the last reload was "
	            "applied (0: never).\n"
	            "# TYPE mxcp_config_last_reload_success_timestamp_seconds gauge\n"
	            "mxcp_config_last_reload_success_timestamp_seconds 0\n"
	            "# HELP mxcp_alloc_live_bytes ");

	char *got = render();
	/* Everything up to the process section is deterministic. */
	const char *cut = strstr(got, "# HELP mxcp_alloc_live_bytes ");
	assert_non_null(cut);
	size_t n = (size_t)(cut - got) + strlen("# HELP mxcp_alloc_live_bytes ");
	char *head = strndup(got, n);
	assert_string_equal(want.p, head);
	free(head);
	/* The process section: present and plausible. */
	assert_true(value_of(got, "mxcp_alloc_live_bytes") >= 0);
	assert_true(value_of(got, "process_resident_memory_bytes") > 4096);
	assert_true(value_of(got, "process_virtual_memory_bytes") > 4096);
	double start = value_of(got, "process_start_time_seconds");
	assert_true(start > 1.6e9 && start <= (double)time(NULL) + 1);
	assert_true(start == mx_metrics_process_start_time() ||
	            start - mx_metrics_process_start_time() < 0.01);
	mx_free(got);
	mx_buf_free(&want);
}

static void test_escaping(void **state)
{
	(void)state;
	mx_metrics_reset();
	mx_metrics_http_request("tools/call", "a\"b\\c\nd", "ok", 0.001);
	mx_metrics_http_request("tools/call", "bad\xff\xc3(utf8\xe2\x82\xac", "ok", 0.001);
	mx_metrics_policy_denial("q\"uote");
	char longname[600];
	memset(longname, 'x', sizeof longname - 1);
	longname[sizeof longname - 1] = '\0';
	mx_metrics_http_request("tools/call", longname, "weird-outcome", 0.001);
	char *got = render();
	assert_non_null(
	        strstr(got, "{method=\"tools/call\",endpoint=\"a\\\"b\\\\c\\nd\",outcome=\"ok\"} 1\n"));
	/* invalid bytes become U+FFFD; valid multi-byte characters stay */
	assert_non_null(
	        strstr(got, "endpoint=\"bad\xef\xbf\xbd\xef\xbf\xbd(utf8\xe2\x82\xac\",outcome=\"ok\"} 1\n"));
	assert_non_null(strstr(got, "mxcp_policy_denials_total{endpoint=\"q\\\"uote\"} 1\n"));
	/* cut to MX_METRICS_LABEL_MAX bytes; unknown outcomes count as errors */
	char want[MX_METRICS_LABEL_MAX + 64];
	snprintf(want, sizeof want, "endpoint=\"%.*s\",outcome=\"error\"} 1\n", MX_METRICS_LABEL_MAX,
	         longname);
	assert_non_null(strstr(got, want));
	mx_free(got);
}

static void test_histogram_consistent(void **state)
{
	(void)state;
	mx_metrics_reset();
	unsigned long long sum_ns = 0;
	unsigned seed = 7;
	for (int i = 0; i < 5000; i++) {
		seed = seed * 1103515245u + 12345u;
		unsigned long long us = (seed >> 8) % 20000000ULL; /* 0 .. 20 s in µs */
		sum_ns += us * 1000ULL;
		mx_metrics_http_request("tools/call", "h", "ok", (double)us / 1e6);
	}
	char *got = render();
	unsigned long long prev = 0;
	char key[256];
	for (size_t i = 0; i < 15; i++) {
		snprintf(key, sizeof key,
		         "mxcp_request_duration_seconds_bucket{method=\"tools/"
		         "call\",endpoint=\"h\",le=\"%s\"}",
		         les[i]);
		double v = value_of(got, key);
		assert_true(v >= 0);
		assert_true((unsigned long long)v >= prev);
		prev = (unsigned long long)v;
	}
	assert_int_equal(5000, prev);
	assert_int_equal(
	        5000,
	        (long long)value_of(
	                got, "mxcp_request_duration_seconds_count{method=\"tools/call\",endpoint=\"h\"}"));
	assert_int_equal(
	        5000,
	        (long long)value_of(
	                got, "mxcp_requests_total{method=\"tools/call\",endpoint=\"h\",outcome=\"ok\"}"));
	double sum = value_of(got, "mxcp_request_duration_seconds_sum{method=\"tools/call\",endpoint=\"h\"}");
	assert_true(sum > 0 && (sum * 1e9 - (double)sum_ns) < 1e3 && ((double)sum_ns - sum * 1e9) < 1e3);
	mx_free(got);
}

#define NTHREADS 8
#define PER_THREAD 50000

static void *hammer(void *arg)
{
	long id = (long)(intptr_t)arg;
	char ep[32];
	for (int i = 0; i < PER_THREAD; i++) {
		snprintf(ep, sizeof ep, "ep%d", i % 16); /* shared series, first seen concurrently */
		mx_metrics_inflight(1);
		mx_metrics_http_request("tools/call", ep, (i + id) % 3 == 0 ? "error" : "ok", 0.001);
		mx_metrics_policy_denial(ep);
		mx_metrics_sessions(1);
		mx_metrics_inflight(-1);
	}
	return NULL;
}

static void test_concurrency(void **state)
{
	(void)state;
	mx_metrics_reset();
	pthread_t t[NTHREADS];
	for (long i = 0; i < NTHREADS; i++) {
		assert_int_equal(0, pthread_create(&t[i], NULL, hammer, (void *)(intptr_t)i));
	}
	/* render while they record: must not crash or tear */
	for (int i = 0; i < 20; i++) {
		char *mid = render();
		mx_free(mid);
	}
	for (int i = 0; i < NTHREADS; i++) {
		pthread_join(t[i], NULL);
	}
	char *got = render();
	long long total = 0, denied = 0, count = 0;
	char key[200];
	for (int e = 0; e < 16; e++) {
		for (int o = 0; o < 2; o++) {
			snprintf(
			        key, sizeof key,
			        "mxcp_requests_total{method=\"tools/call\",endpoint=\"ep%d\",outcome=\"%s\"}",
			        e, o ? "error" : "ok");
			double v = value_of(got, key);
			total += v > 0 ? (long long)v : 0;
		}
		snprintf(key, sizeof key, "mxcp_policy_denials_total{endpoint=\"ep%d\"}", e);
		denied += (long long)value_of(got, key);
		snprintf(key, sizeof key,
		         "mxcp_request_duration_seconds_count{method=\"tools/call\",endpoint=\"ep%d\"}", e);
		count += (long long)value_of(got, key);
	}
	assert_int_equal(NTHREADS * PER_THREAD, total);
	assert_int_equal(NTHREADS * PER_THREAD, denied);
	assert_int_equal(NTHREADS * PER_THREAD, count);
	/* each series exactly once */
	assert_int_equal(16, count_lines_with(got, "mxcp_request_duration_seconds_count{"));
	assert_int_equal(0, (long long)value_of(got, "mxcp_requests_in_flight"));
	assert_int_equal(NTHREADS * PER_THREAD, (long long)value_of(got, "mxcp_sessions_active"));
	mx_free(got);
}

static void test_cardinality_cap(void **state)
{
	(void)state;
	mx_metrics_reset();
	char ep[32];
	for (int i = 0; i < MX_METRICS_MAX_ENDPOINTS + 76; i++) {
		snprintf(ep, sizeof ep, "tool%d", i);
		mx_metrics_http_request("tools/call", ep, "ok", 0.001);
		mx_metrics_http_request("tools/call", ep, "ok", 0.001); /* second sighting: same series */
		mx_metrics_policy_denial(ep);
	}
	char *got = render();
	assert_int_equal(MX_METRICS_MAX_ENDPOINTS + 1,
	                 count_lines_with(got, "mxcp_request_duration_seconds_count{"));
	assert_int_equal(
	        2 * 76,
	        (long long)value_of(
	                got, "mxcp_requests_total{method=\"tools/call\",endpoint=\"other\",outcome=\"ok\"}"));
	assert_int_equal(
	        2,
	        (long long)value_of(
	                got,
	                "mxcp_requests_total{method=\"tools/call\",endpoint=\"tool1023\",outcome=\"ok\"}"));
	assert_true(
	        value_of(got,
	                 "mxcp_requests_total{method=\"tools/call\",endpoint=\"tool1024\",outcome=\"ok\"}") <
	        0);
	assert_int_equal(76, (long long)value_of(got, "mxcp_policy_denials_total{endpoint=\"other\"}"));
	assert_int_equal(MX_METRICS_MAX_ENDPOINTS + 1, count_lines_with(got, "mxcp_policy_denials_total{"));
	mx_free(got);

	mx_metrics_reset();
	/* methods: 64 distinct, then "other" */
	char m[32];
	for (int i = 0; i < MX_METRICS_MAX_METHODS + 10; i++) {
		snprintf(m, sizeof m, "m%d", i);
		mx_metrics_http_request(m, "", "ok", 0.001);
	}
	got = render();
	assert_int_equal(MX_METRICS_MAX_METHODS + 1,
	                 count_lines_with(got, "mxcp_request_duration_seconds_count{"));
	/* m0.. are admitted until the method cap */
	assert_int_equal(1, (long long)value_of(
	                            got, "mxcp_requests_total{method=\"m63\",endpoint=\"\",outcome=\"ok\"}"));
	assert_true(value_of(got, "mxcp_requests_total{method=\"m64\",endpoint=\"\",outcome=\"ok\"}") < 0);
	assert_int_equal(10,
	                 (long long)value_of(
	                         got, "mxcp_requests_total{method=\"other\",endpoint=\"\",outcome=\"ok\"}"));
	mx_free(got);
}

static void fake_audit(void *ctx, struct mx_metrics_audit *out)
{
	(void)ctx;
	out->queued = 3;
	out->queue_high_water = 9;
	out->written = 100;
	out->bytes = 12345;
	out->write_errors = 2;
	out->rejected_full = 4;
	out->rejected_io = 1;
	out->failing = 1;
}

static void fake_pool(void *ctx, struct mx_metrics_pool *out)
{
	out->size = *(int *)ctx;
	out->pending = 11;
	out->loans = 5;
	out->purges = 6;
}

static void test_sources_and_reload(void **state)
{
	(void)state;
	mx_metrics_reset();
	int size = 8;
	mx_metrics_set_audit_source(fake_audit, NULL);
	mx_metrics_set_db_pool_source(fake_pool, &size);
	mx_metrics_reload(1);
	mx_metrics_reload(0);
	char *got = render();
	assert_int_equal(3, (long long)value_of(got, "mxcp_audit_queue_depth"));
	assert_int_equal(100, (long long)value_of(got, "mxcp_audit_records_written_total"));
	assert_int_equal(2, (long long)value_of(got, "mxcp_audit_write_errors_total"));
	assert_int_equal(4,
	                 (long long)value_of(got, "mxcp_audit_records_refused_total{reason=\"queue_full\"}"));
	assert_int_equal(1, (long long)value_of(got, "mxcp_audit_writer_failing"));
	assert_int_equal(8, (long long)value_of(got, "mxcp_db_pool_workers"));
	assert_int_equal(8, (long long)value_of(got, "mxcp_db_pool_busy"));
	assert_int_equal(3, (long long)value_of(got, "mxcp_db_pool_queued"));
	assert_int_equal(5, (long long)value_of(got, "mxcp_db_thread_loans_total"));
	assert_int_equal(6, (long long)value_of(got, "mxcp_db_buffer_purges_total"));
	assert_int_equal(1, (long long)value_of(got, "mxcp_config_reloads_total{result=\"success\"}"));
	assert_int_equal(1, (long long)value_of(got, "mxcp_config_reloads_total{result=\"failure\"}"));
	assert_int_equal(0, (long long)value_of(got, "mxcp_config_last_reload_successful"));
	assert_true(value_of(got, "mxcp_config_last_reload_success_timestamp_seconds") > 1.6e9);
	mx_free(got);
	mx_metrics_set_audit_source(NULL, NULL);
	mx_metrics_set_db_pool_source(NULL, NULL);
	got = render();
	assert_null(strstr(got, "mxcp_audit_"));
	assert_null(strstr(got, "mxcp_db_pool_"));
	mx_free(got);
}

/* A real audit writer as the source. */
static void test_real_audit_source(void **state)
{
	(void)state;
	mx_metrics_reset();
	char dir[256], path[512];
	mx_test_tmpdir(dir, sizeof dir);
	snprintf(path, sizeof path, "%s/audit.jsonl", dir);
	struct mx_audit_options opt = {.path = path};
	struct mx_audit *a = NULL;
	assert_int_equal(0, mx_audit_open(&opt, &a, NULL));
	mx_metrics_set_audit_source(mx_audit_metrics_source, a);
	struct mx_audit_record r = {.caller = "http", .type = "tool", .name = "t", .status = "success"};
	assert_int_equal(0, mx_audit_log(a, &r));
	assert_int_equal(0, mx_audit_flush(a, 5000));
	char *got = render();
	assert_int_equal(1, (long long)value_of(got, "mxcp_audit_records_written_total"));
	assert_int_equal(0, (long long)value_of(got, "mxcp_audit_queue_depth"));
	mx_free(got);
	mx_metrics_set_audit_source(NULL, NULL);
	mx_audit_close(a);
	mx_test_rmrf(dir);
}

/* promtool from Debian's `prometheus` package (scripts/setup.sh), or the
 * unpacked .deb under deps/prometheus. */
static const char *find_promtool(void)
{
	static char path[1024];
	const char *env = getenv("PROMTOOL");
	if (env && *env) {
		return env;
	}
	snprintf(path, sizeof path, "%s/deps/prometheus/usr/bin/promtool", mx_test_source_dir());
	if (access(path, X_OK) == 0) {
		return path;
	}
	if (access("/usr/bin/promtool", X_OK) == 0) {
		return "/usr/bin/promtool";
	}
	return NULL;
}

/* Run `promtool check metrics` on text; returns its exit status; its
 * output goes to out. */
static int promtool_check(const char *text, char *out, size_t outsz)
{
	const char *promtool = find_promtool();
	if (!promtool) {
		fprintf(stderr,
		        "promtool not found: install Debian's prometheus package (scripts/setup.sh)\n");
		return -1;
	}
	char dir[256], in[512], cmd[2048];
	mx_test_tmpdir(dir, sizeof dir);
	snprintf(in, sizeof in, "%s/metrics.txt", dir);
	FILE *f = fopen(in, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	snprintf(cmd, sizeof cmd, "'%s' check metrics < '%s' 2>&1", promtool, in);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	size_t n = fread(out, 1, outsz - 1, p);
	out[n] = '\0';
	int st = pclose(p);
	mx_test_rmrf(dir);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_promtool(void **state)
{
	(void)state;
	mx_metrics_reset();
	int size = 4;
	mx_metrics_set_audit_source(fake_audit, NULL);
	mx_metrics_set_db_pool_source(fake_pool, &size);
	mx_metrics_http_request("tools/call", "hello", "ok", 0.003);
	mx_metrics_http_request("tools/call", "we\"ird\\name\nx\xff", "denied", 0.3);
	mx_metrics_http_request("resources/read", "data://x/{id}", "error", 20);
	mx_metrics_http_request("/health", "", "ok", 0.0001);
	mx_metrics_policy_denial("we\"ird");
	mx_metrics_inflight(1);
	mx_metrics_sessions(2);
	mx_metrics_reload(1);
	char *got = render();
	char out[8192];
	int rc = promtool_check(got, out, sizeof out);
	if (rc != 0) {
		fprintf(stderr, "promtool check metrics said (%d):\n%s\n--- input ---\n%s\n", rc, out, got);
	}
	assert_int_equal(0, rc);
	/* and it does reject broken text, so the check is real */
	assert_int_not_equal(0, promtool_check("mxcp_x{a=\"unterminated} 1\n", out, sizeof out));
	mx_free(got);
	mx_metrics_reset();
}

int main(void)
{
	mx_alloc_init_jansson();
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_exact_text),           cmocka_unit_test(test_escaping),
	        cmocka_unit_test(test_histogram_consistent), cmocka_unit_test(test_concurrency),
	        cmocka_unit_test(test_cardinality_cap),      cmocka_unit_test(test_sources_and_reload),
	        cmocka_unit_test(test_real_audit_source),    cmocka_unit_test(test_promtool),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
