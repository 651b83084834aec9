/* SPDX-License-Identifier: Apache-2.0 */
/* otlp — see otlp.h. Field numbers are opentelemetry-proto v1's. */
#include "ops/otlp.h"

#include "core/err.h"

#include <string.h>

/* ========================================================= protobuf writer */

enum { WT_VARINT = 0, WT_FIXED64 = 1, WT_LEN = 2 };

/* The hot path of every field: straight into the buffer while it has
 * room (mx_buf_append grows it, within its bound, when it has not). */
static inline void put_raw(struct mx_otlp_writer *w, const void *p, size_t n)
{
	struct mx_buf *b = w->out;
	if (w->rc == 0 && b->p && b->len + n < b->cap) {
		memcpy(b->p + b->len, p, n);
		b->len += n;
		b->p[b->len] = '\0';
	} else if (w->rc == 0) {
		w->rc = mx_buf_append(b, p, n);
	}
}

static size_t varint_encode(uint64_t v, uint8_t out[10])
{
	size_t n = 0;
	while (v >= 0x80) {
		out[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	out[n++] = (uint8_t)v;
	return n;
}

static inline void put_varint(struct mx_otlp_writer *w, uint64_t v)
{
	if (v < 0x80) {
		uint8_t c = (uint8_t)v;
		put_raw(w, &c, 1);
		return;
	}
	uint8_t b[10];
	put_raw(w, b, varint_encode(v, b));
}

static void put_tag(struct mx_otlp_writer *w, unsigned field, unsigned type)
{
	put_varint(w, (uint64_t)field << 3 | type);
}

static void put_bytes(struct mx_otlp_writer *w, unsigned field, const void *p, size_t n)
{
	put_tag(w, field, WT_LEN);
	put_varint(w, n);
	put_raw(w, p, n);
}

static void put_string(struct mx_otlp_writer *w, unsigned field, const char *s)
{
	if (s && *s)
		put_bytes(w, field, s, strlen(s));
}

static void put_uint(struct mx_otlp_writer *w, unsigned field, uint64_t v)
{
	put_tag(w, field, WT_VARINT);
	put_varint(w, v);
}

static void put_fixed64(struct mx_otlp_writer *w, unsigned field, uint64_t v)
{
	uint8_t b[8];
	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	put_tag(w, field, WT_FIXED64);
	put_raw(w, b, 8);
}

/* Open a length-delimited field: the tag and a one-byte length placeholder. */
static void open_field(struct mx_otlp_writer *w, unsigned field)
{
	put_tag(w, field, WT_LEN);
	if (w->rc == 0 && w->depth >= (int)(sizeof w->stack / sizeof *w->stack))
		w->rc = MX_ELIMIT;
	if (w->rc)
		return;
	w->stack[w->depth++] = w->out->len;
	put_raw(w, "", 1);
}

/* Close it: write the length, moving the content right when the length
 * takes more than the placeholder's byte. */
static void close_field(struct mx_otlp_writer *w)
{
	if (w->rc || w->depth == 0)
		return;
	size_t at = w->stack[--w->depth];
	size_t len = w->out->len - at - 1;
	uint8_t v[10];
	size_t n = varint_encode(len, v);
	if (n > 1) {
		put_raw(w, v, n - 1); /* room */
		if (w->rc)
			return;
		memmove(w->out->p + at + n, w->out->p + at + 1, len);
	}
	memcpy(w->out->p + at, v, n);
}

/* ================================================================= common */

/* KeyValue { key = 1; AnyValue value = 2 } with AnyValue { string_value = 1;
 * bool_value = 2; int_value = 3 }. */
static void put_kv_string(struct mx_otlp_writer *w, unsigned field, const char *key, const char *value)
{
	open_field(w, field);
	put_string(w, 1, key);
	open_field(w, 2);
	put_bytes(w, 1, value ? value : "", value ? strlen(value) : 0);
	close_field(w);
	close_field(w);
}

static void put_attr(struct mx_otlp_writer *w, unsigned field, const struct mx_span_attr *a)
{
	if (a->kind == MX_ATTR_STR) {
		put_kv_string(w, field, a->key, a->s);
		return;
	}
	open_field(w, field);
	put_string(w, 1, a->key);
	open_field(w, 2);
	if (a->kind == MX_ATTR_BOOL)
		put_uint(w, 2, a->i != 0);
	else
		put_uint(w, 3, (uint64_t)a->i);
	close_field(w);
	close_field(w);
}

/* Resource { attributes = 1 } */
static void put_resource(struct mx_otlp_writer *w, unsigned field, const struct mx_otlp_resource *res)
{
	open_field(w, field);
	for (size_t i = 0; res && i < res->nattrs; i++)
		put_kv_string(w, 1, res->attrs[i].key, res->attrs[i].value);
	close_field(w);
}

/* InstrumentationScope { name = 1; version = 2 } */
static void put_scope(struct mx_otlp_writer *w, unsigned field, const struct mx_otlp_resource *res)
{
	open_field(w, field);
	put_string(w, 1, res && res->scope_name ? res->scope_name : "mxcp");
	put_string(w, 2, res ? res->scope_version : NULL);
	close_field(w);
}

/* ================================================================= traces */

/* Span { trace_id = 1; span_id = 2; parent_span_id = 4; name = 5; kind = 6;
 * start_time_unix_nano = 7; end_time_unix_nano = 8; attributes = 9;
 * status = 15 { message = 2; code = 3 }; flags = 16 (fixed32, unused) } */
static void put_span(struct mx_otlp_writer *w, const struct mx_span *sp)
{
	open_field(w, 2);
	put_bytes(w, 1, sp->trace_id, sizeof sp->trace_id);
	put_bytes(w, 2, sp->span_id, sizeof sp->span_id);
	if (sp->has_parent)
		put_bytes(w, 4, sp->parent_id, sizeof sp->parent_id);
	put_string(w, 5, sp->name);
	put_uint(w, 6, (uint64_t)sp->kind);
	put_fixed64(w, 7, sp->start_ns);
	put_fixed64(w, 8, sp->end_ns);
	for (int i = 0; i < sp->nattrs; i++)
		put_attr(w, 9, &sp->attrs[i]);
	if (sp->status) {
		open_field(w, 15);
		put_string(w, 2, sp->message);
		put_uint(w, 3, (uint64_t)sp->status);
		close_field(w);
	}
	close_field(w);
}

/* ExportTraceServiceRequest { resource_spans = 1 { resource = 1;
 * scope_spans = 2 { scope = 1; spans = 2 } } } */
int mx_otlp_encode_traces(struct mx_buf *out, const struct mx_otlp_resource *res, const struct mx_span *spans,
                          size_t n)
{
	struct mx_otlp_writer w = {.out = out};
	open_field(&w, 1);
	put_resource(&w, 1, res);
	open_field(&w, 2);
	put_scope(&w, 1, res);
	for (size_t i = 0; i < n; i++)
		put_span(&w, &spans[i]);
	close_field(&w);
	close_field(&w);
	return w.rc;
}

/* ================================================================ metrics */

/* ExportMetricsServiceRequest { resource_metrics = 1 { resource = 1;
 * scope_metrics = 2 { scope = 1; metrics = 2 } } } */
void mx_otlp_metrics_begin(struct mx_otlp_metrics *m, struct mx_buf *out, const struct mx_otlp_resource *res,
                           uint64_t start_ns, uint64_t now_ns)
{
	memset(m, 0, sizeof *m);
	m->w.out = out;
	m->start_ns = start_ns;
	m->now_ns = now_ns;
	open_field(&m->w, 1);
	put_resource(&m->w, 1, res);
	open_field(&m->w, 2);
	put_scope(&m->w, 1, res);
}

static void end_metric(struct mx_otlp_metrics *m)
{
	if (!m->in_metric)
		return;
	if (!m->gauge) {
		put_uint(&m->w, 2, 2); /* AGGREGATION_TEMPORALITY_CUMULATIVE */
		put_uint(&m->w, 3, 1); /* is_monotonic */
	}
	close_field(&m->w); /* the Sum or Gauge */
	close_field(&m->w); /* the Metric */
	m->in_metric = 0;
}

/* Metric { name = 1; description = 2; unit = 3; gauge = 5 | sum = 7 } */
void mx_otlp_metric(struct mx_otlp_metrics *m, const char *name, const char *description, int gauge)
{
	end_metric(m);
	open_field(&m->w, 2);
	put_string(&m->w, 1, name);
	put_string(&m->w, 2, description);
	open_field(&m->w, gauge ? 5 : 7);
	m->gauge = gauge;
	m->in_metric = 1;
}

/* NumberDataPoint { start_time_unix_nano = 2; time_unix_nano = 3;
 * as_int = 6 (sfixed64); attributes = 7 }, data_points = 1 of Sum/Gauge. */
void mx_otlp_point(struct mx_otlp_metrics *m, const char *const *label_names, const char *const *label_values,
                   size_t nlabels, long long value)
{
	if (!m->in_metric)
		return;
	struct mx_otlp_writer *w = &m->w;
	open_field(w, 1);
	if (!m->gauge)
		put_fixed64(w, 2, m->start_ns);
	put_fixed64(w, 3, m->now_ns);
	put_fixed64(w, 6, (uint64_t)value);
	for (size_t i = 0; i < nlabels; i++)
		put_kv_string(w, 7, label_names[i], label_values[i]);
	close_field(w);
}

int mx_otlp_metrics_end(struct mx_otlp_metrics *m)
{
	end_metric(m);
	close_field(&m->w);
	close_field(&m->w);
	return m->w.rc;
}
