/* SPDX-License-Identifier: Apache-2.0 */
/* Tests for src/ops/telemetry.c and src/ops/otlp.c: traceparent parsing,
 * spans as no-ops (no allocation) while telemetry is off, the protobuf
 * length fix-ups walked by a minimal decoder (the e2e test decodes with the
 * official definitions), and the MXCP counters reaching both exports. */
#include "harness.h"

#include "core/alloc.h"
#include "core/buf.h"
#include "ops/metrics.h"
#include "ops/otlp.h"
#include "ops/telemetry.h"

#include <string.h>

static void test_traceparent(void **state)
{
	(void)state;
	uint8_t t[16], s[8];
	assert_int_equal(
	        0, mx_traceparent_parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", t, s));
	assert_int_equal(0x4b, t[0]);
	assert_int_equal(0x36, t[15]);
	assert_int_equal(0x00, s[0]);
	assert_int_equal(0xb7, s[7]);
	/* a later version may add fields; version 00 may not */
	assert_int_equal(
	        0, mx_traceparent_parse("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x", t, s));
	static const char *const bad[] = {
	        "",
	        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x",
	        "00-00000000000000000000000000000000-00f067aa0ba902b7-01", /* zero trace id */
	        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", /* zero span id */
	        "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", /* version ff */
	        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", /* upper case */
	        "00-4bf92f3577b34da6a3ce929d0e0e473-600f067aa0ba902b7-01",
	        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		assert_int_not_equal(0, mx_traceparent_parse(bad[i], t, s));
}

static void test_spans_off(void **state)
{
	(void)state;
	assert_int_equal(0, mx_telemetry_tracing());
	size_t live = mx_alloc_live_bytes();
	struct mx_span root, child;
	mx_span_begin(&root, "mxcp.endpoint.execute", MX_SPAN_SERVER,
	              "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
	mx_span_begin(&child, "mxcp.duckdb.execute", MX_SPAN_INTERNAL, NULL);
	mx_span_str(&child, "db.system", "duckdb");
	mx_span_hash(&child, "db.statement.hash", "SELECT 1", 8);
	mx_span_error(&child, "boom");
	mx_span_end(&child);
	mx_span_ok(&root);
	char hex[33] = "x";
	mx_span_trace_hex(&root, hex);
	mx_span_end(&root);
	assert_int_equal(0, root.active);
	assert_string_equal("", hex);
	assert_int_equal(live, mx_alloc_live_bytes());
	struct mx_telemetry_stats st;
	mx_telemetry_stats(&st);
	assert_int_equal(0, st.queued);
	/* neither signal: nothing starts */
	struct mx_telemetry_config cfg = {.endpoint = "http://127.0.0.1:1"};
	assert_int_equal(0, mx_telemetry_start(&cfg, NULL));
	assert_int_equal(0, mx_telemetry_tracing());
}

/* ------------------------------------------------------ a minimal decoder */

static uint64_t varint(const uint8_t **p, const uint8_t *end)
{
	uint64_t v = 0;
	for (int shift = 0; *p < end; shift += 7) {
		uint8_t b = *(*p)++;
		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return v;
	}
	fail_msg("truncated varint");
	return 0;
}

/* Walk a message: every field well-formed and inside [p, end); count the
 * occurrences of `field` (length-delimited) and return the last one's body. */
static int walk(const uint8_t *p, const uint8_t *end, unsigned field, const uint8_t **body, size_t *blen)
{
	int count = 0;
	while (p < end) {
		uint64_t tag = varint(&p, end);
		switch (tag & 7) {
		case 0: varint(&p, end); break;
		case 1: p += 8; break;
		case 2: {
			uint64_t n = varint(&p, end);
			assert_true(n <= (uint64_t)(end - p));
			if ((tag >> 3) == field) {
				count++;
				*body = p;
				*blen = (size_t)n;
			}
			p += n;
			break;
		}
		case 5: p += 4; break;
		default: fail_msg("wire type %d", (int)(tag & 7));
		}
	}
	assert_true(p == end);
	return count;
}

static void test_otlp_lengths(void **state)
{
	(void)state;
	/* 300 spans: the outer lengths need three bytes, each span two */
	enum { N = 300 };
	static struct mx_span spans[N];
	for (int i = 0; i < N; i++) {
		struct mx_span *s = &spans[i];
		memset(s, 0, sizeof *s);
		s->name = "mxcp.endpoint.execute";
		s->kind = MX_SPAN_SERVER;
		memset(s->trace_id, 0xab, 16);
		memset(s->span_id, i + 1, 8);
		s->start_ns = 1700000000000000000ULL;
		s->end_ns = s->start_ns + 1000;
		s->nattrs = 2;
		s->attrs[0] = (struct mx_span_attr){.key = "mxcp.endpoint.name", .kind = MX_ATTR_STR};
		memset(s->attrs[0].s, 'x', 90);
		s->attrs[1] = (struct mx_span_attr){.key = "db.rows_affected", .kind = MX_ATTR_INT, .i = -1};
		s->status = 2;
		memcpy(s->message, "boom", 5);
	}
	struct mx_telemetry_pair attrs[] = {{"service.name", "mxcp"}};
	struct mx_otlp_resource res = {
	        .attrs = attrs, .nattrs = 1, .scope_name = "mxcp", .scope_version = "1"};
	struct mx_buf b;
	mx_buf_init(&b, MX_BUF_UNBOUNDED);
	assert_int_equal(0, mx_otlp_encode_traces(&b, &res, spans, N));
	const uint8_t *p = (const uint8_t *)b.p, *end = p + b.len, *rs, *ss, *sp;
	size_t rsn, ssn, spn;
	assert_int_equal(1, walk(p, end, 1, &rs, &rsn)); /* resource_spans */
	assert_true(rsn > 16384);
	assert_int_equal(1, walk(rs, rs + rsn, 2, &ss, &ssn)); /* scope_spans */
	assert_int_equal(N, walk(ss, ss + ssn, 2, &sp, &spn)); /* spans */
	assert_true(spn > 127);
	const uint8_t *name;
	size_t namen;
	assert_int_equal(1, walk(sp, sp + spn, 5, &name, &namen));
	assert_int_equal(strlen("mxcp.endpoint.execute"), namen);
	assert_memory_equal("mxcp.endpoint.execute", name, namen);
	assert_int_equal(2, walk(sp, sp + spn, 9, &name, &namen)); /* attributes */
	mx_buf_free(&b);
}

static void metric_cb(void *ctx, const char *name, const char *description, int gauge)
{
	(void)description;
	(void)gauge;
	mx_otlp_metric(ctx, name, description, gauge);
}

static void point_cb(void *ctx, const char *const *names, const char *const *values, size_t n, long long v)
{
	mx_otlp_point(ctx, names, values, n, v);
}

static void test_metrics_both_exports(void **state)
{
	(void)state;
	mx_metrics_reset();
	const char *labels[] = {"q\"uote", "tool", "success", "http", "none"};
	mx_metrics_count(MX_METRIC_ENDPOINT_REQUESTS, labels);
	mx_metrics_count(MX_METRIC_ENDPOINT_REQUESTS, labels);
	struct mx_buf b;
	mx_buf_init(&b, MX_BUF_UNBOUNDED);
	assert_int_equal(0, mx_metrics_render(&b));
	assert_non_null(strstr(b.p,
	                       "mxcp_endpoint_requests_total{endpoint=\"q\\\"uote\",type=\"tool\",status="
	                       "\"success\",caller=\"http\",policy_decision=\"none\"} 2\n"));
	mx_buf_reset(&b);
	struct mx_otlp_resource res = {0};
	struct mx_otlp_metrics m;
	mx_otlp_metrics_begin(&m, &b, &res, 1, 2);
	struct mx_metrics_visitor v = {.metric = metric_cb, .point = point_cb, .ctx = &m};
	mx_metrics_visit(&v);
	assert_int_equal(0, mx_otlp_metrics_end(&m));
	const uint8_t *p = (const uint8_t *)b.p, *rm, *sm, *met;
	size_t rmn, smn, metn;
	assert_int_equal(1, walk(p, p + b.len, 1, &rm, &rmn));
	assert_int_equal(1, walk(rm, rm + rmn, 2, &sm, &smn));
	assert_true(walk(sm, sm + smn, 2, &met, &metn) >= 10); /* every instrument */
	assert_true(memmem(b.p, b.len, "mxcp.endpoint.requests_total", 28) != NULL);
	assert_true(memmem(b.p, b.len, "q\"uote", 6) != NULL);
	mx_buf_free(&b);
	mx_metrics_reset();
}

int main(void)
{
	mx_alloc_init_jansson();
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_traceparent),
	        cmocka_unit_test(test_spans_off),
	        cmocka_unit_test(test_otlp_lengths),
	        cmocka_unit_test(test_metrics_both_exports),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
