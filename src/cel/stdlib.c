/* SPDX-License-Identifier: Apache-2.0 */
/*
 * stdlib — CEL's standard library: the arithmetic operators, conversions
 * (int(), uint(), double(), string(), bytes(), timestamp(), duration(),
 * dyn(), type()), the string functions, the time accessors, and the
 * dispatch of every function call. Each function takes evaluated
 * arguments and writes its result, or an error value, into the
 * evaluation's arena.
 */
#include "cel/cel_int.h"

#include "core/time.h"
#include "core/utf8.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NS_PER_SEC 1000000000LL

/* ==== formatting ==== */

/* Go's strconv.FormatFloat(d, 'g', -1, 64), which cel-go's string(double) uses. */
static size_t format_double(double d, char *out, size_t outsz)
{
	if (isnan(d))
		return (size_t)snprintf(out, outsz, "NaN");
	if (isinf(d))
		return (size_t)snprintf(out, outsz, d > 0 ? "+Inf" : "-Inf");
	if (d == 0)
		return (size_t)snprintf(out, outsz, signbit(d) ? "-0" : "0");
	char e[40];
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(e, sizeof e, "%.*e", prec - 1, d);
		if (strtod(e, NULL) == d)
			break;
	}
	/* e = [-]D[.DDD]e[+-]XX */
	char digs[24];
	size_t nd = 0;
	const char *q = e;
	bool neg = *q == '-';
	if (neg)
		q++;
	while (*q && *q != 'e') {
		if (*q != '.')
			digs[nd++] = *q;
		q++;
	}
	int exp = (int)strtol(q + 1, NULL, 10);
	size_t o = 0;
	if (neg)
		out[o++] = '-';
	if (exp < -4 || exp >= 6) {
		out[o++] = digs[0];
		if (nd > 1) {
			out[o++] = '.';
			memcpy(out + o, digs + 1, nd - 1);
			o += nd - 1;
		}
		o += (size_t)snprintf(out + o, outsz - o, "e%c%02d", exp < 0 ? '-' : '+',
		                      exp < 0 ? -exp : exp);
		return o;
	}
	if (exp < 0) {
		out[o++] = '0';
		out[o++] = '.';
		for (int i = -1; i > exp; i--)
			out[o++] = '0';
		memcpy(out + o, digs, nd);
		o += nd;
	} else {
		for (int i = 0; i <= exp; i++)
			out[o++] = (size_t)i < nd ? digs[i] : '0';
		if (nd > (size_t)exp + 1) {
			out[o++] = '.';
			memcpy(out + o, digs + exp + 1, nd - (size_t)exp - 1);
			o += nd - (size_t)exp - 1;
		}
	}
	out[o] = 0;
	return o;
}

/* ==== arithmetic ==== */

void mx_cel_arith(struct mx_cel_ev *e, int op, const struct mx_cel_value *l, const struct mx_cel_value *r,
                  struct mx_cel_value *out)
{
	static const char *const names[] = {[MX_CEL_OP_ADD] = "_+_",
	                                    [MX_CEL_OP_SUB] = "_-_",
	                                    [MX_CEL_OP_MUL] = "_*_",
	                                    [MX_CEL_OP_DIV] = "_/_",
	                                    [MX_CEL_OP_MOD] = "_%_"};
	if (l->kind == MX_CEL_INT && r->kind == MX_CEL_INT) {
		int64_t x = l->i, y = r->i, z = 0;
		bool ovf = false;
		switch (op) {
		case MX_CEL_OP_ADD: ovf = __builtin_add_overflow(x, y, &z); break;
		case MX_CEL_OP_SUB: ovf = __builtin_sub_overflow(x, y, &z); break;
		case MX_CEL_OP_MUL: ovf = __builtin_mul_overflow(x, y, &z); break;
		case MX_CEL_OP_DIV:
		case MX_CEL_OP_MOD:
			if (y == 0) {
				mx_cel_ev_fail(e, out,
				               op == MX_CEL_OP_DIV ? "division by zero" : "modulus by zero");
				return;
			}
			if (x == INT64_MIN && y == -1) {
				if (op == MX_CEL_OP_MOD) {
					mx_cel_set_int(out, 0);
					return;
				}
				ovf = true;
				break;
			}
			z = op == MX_CEL_OP_DIV ? x / y : x % y;
			break;
		}
		if (ovf) {
			mx_cel_ev_fail(e, out, "integer overflow");
			return;
		}
		mx_cel_set_int(out, z);
		return;
	}
	if (l->kind == MX_CEL_UINT && r->kind == MX_CEL_UINT) {
		uint64_t x = l->u, y = r->u, z = 0;
		bool ovf = false;
		switch (op) {
		case MX_CEL_OP_ADD: ovf = __builtin_add_overflow(x, y, &z); break;
		case MX_CEL_OP_SUB: ovf = __builtin_sub_overflow(x, y, &z); break;
		case MX_CEL_OP_MUL: ovf = __builtin_mul_overflow(x, y, &z); break;
		case MX_CEL_OP_DIV:
		case MX_CEL_OP_MOD:
			if (y == 0) {
				mx_cel_ev_fail(e, out,
				               op == MX_CEL_OP_DIV ? "division by zero" : "modulus by zero");
				return;
			}
			z = op == MX_CEL_OP_DIV ? x / y : x % y;
			break;
		}
		if (ovf) {
			mx_cel_ev_fail(e, out, "unsigned integer overflow");
			return;
		}
		out->kind = MX_CEL_UINT;
		out->u = z;
		return;
	}
	if (l->kind == MX_CEL_DOUBLE && r->kind == MX_CEL_DOUBLE && op != MX_CEL_OP_MOD) {
		double x = l->d, y = r->d;
		out->kind = MX_CEL_DOUBLE;
		out->d = op == MX_CEL_OP_ADD   ? x + y
		         : op == MX_CEL_OP_SUB ? x - y
		         : op == MX_CEL_OP_MUL ? x * y
		                               : x / y;
		return;
	}
	if (op == MX_CEL_OP_ADD && l->kind == r->kind &&
	    (l->kind == MX_CEL_STRING || l->kind == MX_CEL_BYTES)) {
		char *p = mx_cel_arena_alloc(e->a, l->s.n + r->s.n + 1);
		if (p == NULL) {
			mx_cel_ev_oom(e, out);
			return;
		}
		memcpy(p, l->s.p, l->s.n);
		memcpy(p + l->s.n, r->s.p, r->s.n);
		p[l->s.n + r->s.n] = 0;
		out->kind = l->kind;
		out->s.p = p;
		out->s.n = l->s.n + r->s.n;
		return;
	}
	if (op == MX_CEL_OP_ADD && l->kind == MX_CEL_LIST && r->kind == MX_CEL_LIST) {
		if (r->list->n == 0) {
			*out = *l;
			return;
		}
		if (l->list->n == 0) {
			*out = *r;
			return;
		}
		size_t n = l->list->n + r->list->n;
		struct mx_cel_list *nl = mx_cel_arena_alloc(e->a, sizeof *nl);
		struct mx_cel_value *items = mx_cel_arena_alloc(e->a, n * sizeof *items);
		if (nl == NULL || items == NULL) {
			mx_cel_ev_oom(e, out);
			return;
		}
		memcpy(items, l->list->items, l->list->n * sizeof *items);
		memcpy(items + l->list->n, r->list->items, r->list->n * sizeof *items);
		nl->n = n;
		nl->items = items;
		out->kind = MX_CEL_LIST;
		out->list = nl;
		return;
	}
	/* time arithmetic */
	if (op == MX_CEL_OP_ADD || op == MX_CEL_OP_SUB) {
		if (l->kind == MX_CEL_DURATION && r->kind == MX_CEL_DURATION) {
			int64_t z;
			if (op == MX_CEL_OP_ADD ? __builtin_add_overflow(l->i, r->i, &z)
			                        : __builtin_sub_overflow(l->i, r->i, &z)) {
				mx_cel_ev_fail(e, out, "duration out of range");
				return;
			}
			out->kind = MX_CEL_DURATION;
			out->i = z;
			return;
		}
		const struct mx_cel_value *ts = NULL, *du = NULL;
		if (l->kind == MX_CEL_TIMESTAMP && r->kind == MX_CEL_DURATION) {
			ts = l;
			du = r;
		} else if (op == MX_CEL_OP_ADD && l->kind == MX_CEL_DURATION && r->kind == MX_CEL_TIMESTAMP) {
			ts = r;
			du = l;
		}
		if (ts != NULL) {
			int64_t d = op == MX_CEL_OP_SUB ? -du->i
			                                : du->i; /* |du| < 2^63 keeps this safe but for MIN */
			if (op == MX_CEL_OP_SUB && du->i == INT64_MIN) {
				mx_cel_ev_fail(e, out, "timestamp out of range");
				return;
			}
			int64_t sec = ts->t.sec + d / NS_PER_SEC;
			int64_t ns = ts->t.nsec + d % NS_PER_SEC;
			if (ns < 0) {
				ns += NS_PER_SEC;
				sec--;
			} else if (ns >= NS_PER_SEC) {
				ns -= NS_PER_SEC;
				sec++;
			}
			if (sec < MX_TIME_SEC_MIN || sec > MX_TIME_SEC_MAX) {
				mx_cel_ev_fail(e, out, "timestamp out of range");
				return;
			}
			out->kind = MX_CEL_TIMESTAMP;
			out->t.sec = sec;
			out->t.nsec = (int32_t)ns;
			return;
		}
		if (op == MX_CEL_OP_SUB && l->kind == MX_CEL_TIMESTAMP && r->kind == MX_CEL_TIMESTAMP) {
			int64_t ds = l->t.sec - r->t.sec, z;
			if (__builtin_mul_overflow(ds, NS_PER_SEC, &z) ||
			    __builtin_add_overflow(z, (int64_t)(l->t.nsec - r->t.nsec), &z)) {
				mx_cel_ev_fail(e, out, "duration out of range");
				return;
			}
			out->kind = MX_CEL_DURATION;
			out->i = z;
			return;
		}
	}
	mx_cel_ev_no_overload(e, out, names[op], l, r);
}

/* ==== conversions ==== */

static bool parse_int64(const char *s, size_t n, int64_t *out)
{
	if (n == 0 || n > 30)
		return false;
	char b[32];
	memcpy(b, s, n);
	b[n] = 0;
	if (!(b[0] == '-' || b[0] == '+' || (b[0] >= '0' && b[0] <= '9')))
		return false;
	char *end;
	errno = 0;
	long long v = strtoll(b, &end, 10);
	if (errno || *end)
		return false;
	*out = v;
	return true;
}

static bool parse_uint64(const char *s, size_t n, uint64_t *out)
{
	if (n == 0 || n > 30 || !(s[0] >= '0' && s[0] <= '9'))
		return false;
	char b[32];
	memcpy(b, s, n);
	b[n] = 0;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(b, &end, 10);
	if (errno || *end)
		return false;
	*out = v;
	return true;
}

static void to_string(struct mx_cel_ev *e, const struct mx_cel_value *v, struct mx_cel_value *out)
{
	char b[64];
	size_t n;
	switch (v->kind) {
	case MX_CEL_STRING: *out = *v; return;
	case MX_CEL_INT: n = (size_t)snprintf(b, sizeof b, "%lld", (long long)v->i); break;
	case MX_CEL_UINT: n = (size_t)snprintf(b, sizeof b, "%llu", (unsigned long long)v->u); break;
	case MX_CEL_DOUBLE: n = format_double(v->d, b, sizeof b); break;
	case MX_CEL_BOOL: n = (size_t)snprintf(b, sizeof b, "%s", v->b ? "true" : "false"); break;
	case MX_CEL_BYTES:
		if (!mx_utf8_valid(v->s.p, v->s.n)) {
			mx_cel_ev_fail(e, out, "invalid UTF-8 in bytes, cannot convert to string");
			return;
		}
		out->kind = MX_CEL_STRING;
		out->s = v->s;
		return;
	case MX_CEL_TIMESTAMP: n = mx_cel_timestamp_format(v->t.sec, v->t.nsec, b, sizeof b); break;
	case MX_CEL_DURATION: n = mx_cel_duration_format(v->i, b, sizeof b); break;
	case MX_CEL_TYPE:
		out->kind = MX_CEL_STRING;
		out->s = v->s;
		return;
	default: mx_cel_ev_no_overload(e, out, "string", v, NULL); return;
	}
	mx_cel_set_str(e, out, MX_CEL_STRING, b, n);
}

static void convert(struct mx_cel_ev *e, enum mx_cel_fn fn, const struct mx_cel_value *v,
                    struct mx_cel_value *out)
{
	switch (fn) {
	case MX_CEL_F_INT:
		switch (v->kind) {
		case MX_CEL_INT: *out = *v; return;
		case MX_CEL_UINT:
			if (v->u > (uint64_t)INT64_MAX)
				break;
			mx_cel_set_int(out, (int64_t)v->u);
			return;
		case MX_CEL_DOUBLE:
			if (!(v->d > -9223372036854775808.0 && v->d < 9223372036854775808.0))
				break;
			mx_cel_set_int(out, (int64_t)v->d);
			return;
		case MX_CEL_STRING: {
			int64_t i;
			if (!parse_int64(v->s.p, v->s.n, &i)) {
				mx_cel_ev_fail(e, out, "cannot convert string '%.*s' to int",
				               (int)(v->s.n > 64 ? 64 : v->s.n), v->s.p);
				return;
			}
			mx_cel_set_int(out, i);
			return;
		}
		case MX_CEL_TIMESTAMP: mx_cel_set_int(out, v->t.sec); return;
		default: mx_cel_ev_no_overload(e, out, "int", v, NULL); return;
		}
		mx_cel_ev_fail(e, out, "int conversion out of range");
		return;
	case MX_CEL_F_UINT:
		out->kind = MX_CEL_UINT;
		switch (v->kind) {
		case MX_CEL_UINT: *out = *v; return;
		case MX_CEL_INT:
			if (v->i < 0)
				break;
			out->u = (uint64_t)v->i;
			return;
		case MX_CEL_DOUBLE:
			if (!(v->d > -1.0 && v->d < 18446744073709551616.0))
				break;
			out->u = (uint64_t)v->d;
			return;
		case MX_CEL_STRING:
			if (!parse_uint64(v->s.p, v->s.n, &out->u)) {
				mx_cel_ev_fail(e, out, "cannot convert string '%.*s' to uint",
				               (int)(v->s.n > 64 ? 64 : v->s.n), v->s.p);
				return;
			}
			return;
		default: mx_cel_ev_no_overload(e, out, "uint", v, NULL); return;
		}
		mx_cel_ev_fail(e, out, "uint conversion out of range");
		return;
	case MX_CEL_F_DOUBLE:
		out->kind = MX_CEL_DOUBLE;
		switch (v->kind) {
		case MX_CEL_DOUBLE: *out = *v; return;
		case MX_CEL_INT: out->d = (double)v->i; return;
		case MX_CEL_UINT: out->d = (double)v->u; return;
		case MX_CEL_STRING: {
			char b[128];
			bool ok = v->s.n > 0 && v->s.n < sizeof b && memchr(v->s.p, 'x', v->s.n) == NULL &&
			          memchr(v->s.p, 'X', v->s.n) == NULL;
			if (ok) {
				memcpy(b, v->s.p, v->s.n);
				b[v->s.n] = 0;
				char *end;
				out->d = strtod(b, &end);
				ok = *end == 0 && !isspace((unsigned char)b[0]);
			}
			if (!ok)
				mx_cel_ev_fail(e, out, "cannot convert string to double");
			return;
		}
		default: mx_cel_ev_no_overload(e, out, "double", v, NULL); return;
		}
	case MX_CEL_F_STRING: to_string(e, v, out); return;
	case MX_CEL_F_BYTES:
		if (v->kind == MX_CEL_BYTES || v->kind == MX_CEL_STRING) {
			out->kind = MX_CEL_BYTES;
			out->s = v->s;
			return;
		}
		mx_cel_ev_no_overload(e, out, "bytes", v, NULL);
		return;
	case MX_CEL_F_BOOL:
		if (v->kind == MX_CEL_BOOL) {
			*out = *v;
			return;
		}
		if (v->kind == MX_CEL_STRING) {
			static const char *const t[] = {"1", "t", "T", "TRUE", "true", "True"};
			static const char *const f[] = {"0", "f", "F", "FALSE", "false", "False"};
			for (int i = 0; i < 6; i++) {
				if (strlen(t[i]) == v->s.n && memcmp(t[i], v->s.p, v->s.n) == 0) {
					mx_cel_set_bool(out, true);
					return;
				}
				if (strlen(f[i]) == v->s.n && memcmp(f[i], v->s.p, v->s.n) == 0) {
					mx_cel_set_bool(out, false);
					return;
				}
			}
			mx_cel_ev_fail(e, out, "cannot convert string to bool");
			return;
		}
		mx_cel_ev_no_overload(e, out, "bool", v, NULL);
		return;
	case MX_CEL_F_DYN: *out = *v; return;
	case MX_CEL_F_TYPE: {
		const struct mx_cel_value *t =
		        mx_cel_type_by_name(mx_cel_type_name(v), strlen(mx_cel_type_name(v)));
		if (t == NULL) {
			mx_cel_ev_no_overload(e, out, "type", v, NULL);
			return;
		}
		*out = *t;
		return;
	}
	case MX_CEL_F_TIMESTAMP:
		if (v->kind == MX_CEL_TIMESTAMP) {
			*out = *v;
			return;
		}
		if (v->kind == MX_CEL_STRING) {
			if (mx_cel_timestamp_parse(v->s.p, v->s.n, &out->t.sec, &out->t.nsec) != 0) {
				mx_cel_ev_fail(e, out, "cannot parse timestamp '%.*s' (or out of range)",
				               (int)(v->s.n > 64 ? 64 : v->s.n), v->s.p);
				return;
			}
			out->kind = MX_CEL_TIMESTAMP;
			return;
		}
		if (v->kind == MX_CEL_INT) {
			if (v->i < MX_TIME_SEC_MIN || v->i > MX_TIME_SEC_MAX) {
				mx_cel_ev_fail(e, out, "timestamp out of range");
				return;
			}
			out->kind = MX_CEL_TIMESTAMP;
			out->t.sec = v->i;
			out->t.nsec = 0;
			return;
		}
		mx_cel_ev_no_overload(e, out, "timestamp", v, NULL);
		return;
	case MX_CEL_F_DURATION:
		if (v->kind == MX_CEL_DURATION) {
			*out = *v;
			return;
		}
		if (v->kind == MX_CEL_STRING) {
			if (mx_cel_duration_parse(v->s.p, v->s.n, &out->i) != 0) {
				mx_cel_ev_fail(e, out, "cannot parse duration '%.*s' (or out of range)",
				               (int)(v->s.n > 64 ? 64 : v->s.n), v->s.p);
				return;
			}
			out->kind = MX_CEL_DURATION;
			return;
		}
		mx_cel_ev_no_overload(e, out, "duration", v, NULL);
		return;
	default: mx_cel_ev_fail(e, out, "internal error: bad conversion"); return;
	}
}

/* ==== time accessors ==== */

static void time_get(struct mx_cel_ev *e, const struct mx_cel_node *n, enum mx_cel_fn fn,
                     const struct mx_cel_value *v, const struct mx_cel_value *zone, struct mx_cel_value *out)
{
	static const char *const names[] = {
	        [MX_CEL_F_GET_FULL_YEAR] = "getFullYear",
	        [MX_CEL_F_GET_MONTH] = "getMonth",
	        [MX_CEL_F_GET_DAY_OF_YEAR] = "getDayOfYear",
	        [MX_CEL_F_GET_DAY_OF_MONTH] = "getDayOfMonth",
	        [MX_CEL_F_GET_DATE] = "getDate",
	        [MX_CEL_F_GET_DAY_OF_WEEK] = "getDayOfWeek",
	        [MX_CEL_F_GET_HOURS] = "getHours",
	        [MX_CEL_F_GET_MINUTES] = "getMinutes",
	        [MX_CEL_F_GET_SECONDS] = "getSeconds",
	        [MX_CEL_F_GET_MILLISECONDS] = "getMilliseconds",
	};
	if (v->kind == MX_CEL_DURATION && zone == NULL) {
		int64_t ns = v->i;
		switch (fn) {
		case MX_CEL_F_GET_HOURS: mx_cel_set_int(out, ns / (3600 * NS_PER_SEC)); return;
		case MX_CEL_F_GET_MINUTES: mx_cel_set_int(out, ns / (60 * NS_PER_SEC)); return;
		case MX_CEL_F_GET_SECONDS: mx_cel_set_int(out, ns / NS_PER_SEC); return;
		case MX_CEL_F_GET_MILLISECONDS: mx_cel_set_int(out, ns / 1000000 % 1000); return;
		default: break;
		}
	}
	if (v->kind != MX_CEL_TIMESTAMP || (zone != NULL && zone->kind != MX_CEL_STRING)) {
		mx_cel_ev_no_overload(e, out, names[fn], v, zone);
		return;
	}
	const struct mx_cel_tz *tz = NULL;
	if (zone != NULL) {
		tz = n->aux;
		if (tz == NULL && mx_cel_tz_load(e->a, zone->s.p, zone->s.n, &tz) != 0) {
			mx_cel_ev_fail(e, out, "unknown time zone '%.*s'",
			               (int)(zone->s.n > 64 ? 64 : zone->s.n), zone->s.p);
			return;
		}
	}
	int64_t local = v->t.sec + mx_cel_tz_offset(tz, v->t.sec);
	int64_t days = local / 86400, secs = local % 86400;
	if (secs < 0) {
		secs += 86400;
		days--;
	}
	int64_t y;
	int m, d;
	mx_civil_from_days(days, &y, &m, &d);
	switch (fn) {
	case MX_CEL_F_GET_FULL_YEAR: mx_cel_set_int(out, y); return;
	case MX_CEL_F_GET_MONTH: mx_cel_set_int(out, m - 1); return;
	case MX_CEL_F_GET_DAY_OF_YEAR: mx_cel_set_int(out, days - mx_days_from_civil(y, 1, 1)); return;
	case MX_CEL_F_GET_DAY_OF_MONTH: mx_cel_set_int(out, d - 1); return;
	case MX_CEL_F_GET_DATE: mx_cel_set_int(out, d); return;
	case MX_CEL_F_GET_DAY_OF_WEEK: mx_cel_set_int(out, ((days % 7) + 11) % 7); return;
	case MX_CEL_F_GET_HOURS: mx_cel_set_int(out, secs / 3600); return;
	case MX_CEL_F_GET_MINUTES: mx_cel_set_int(out, secs / 60 % 60); return;
	case MX_CEL_F_GET_SECONDS: mx_cel_set_int(out, secs % 60); return;
	case MX_CEL_F_GET_MILLISECONDS: mx_cel_set_int(out, v->t.nsec / 1000000); return;
	default: break;
	}
	mx_cel_ev_fail(e, out, "internal error: bad accessor");
}

/* ==== calls ==== */

static bool str_contains(const struct mx_cel_value *h, const struct mx_cel_value *n)
{
	if (n->s.n == 0)
		return true;
	if (n->s.n > h->s.n)
		return false;
	return memmem(h->s.p, h->s.n, n->s.p, n->s.n) != NULL;
}

void mx_cel_call(struct mx_cel_ev *e, const struct mx_cel_node *n, struct mx_cel_value *out)
{
	struct mx_cel_value stack_args[4];
	struct mx_cel_value *argv = stack_args;
	size_t argc = n->nargs + (n->target != NULL);
	if (argc > 4) {
		argv = mx_cel_arena_alloc(e->a, argc * sizeof *argv);
		if (argv == NULL) {
			mx_cel_ev_oom(e, out);
			return;
		}
	}
	size_t k = 0;
	if (n->target != NULL)
		mx_cel_eval_node(e, n->target, &argv[k++]);
	for (uint32_t i = 0; i < n->nargs; i++)
		mx_cel_eval_node(e, n->args[i], &argv[k++]);
	for (size_t i = 0; i < argc; i++)
		if (argv[i].kind == MX_CEL_ERROR) {
			*out = argv[i];
			return;
		}
	enum mx_cel_fn fn = (enum mx_cel_fn)n->fn;
	const struct mx_cel_value *a0 = argc > 0 ? &argv[0] : NULL, *a1 = argc > 1 ? &argv[1] : NULL;
	switch (fn) {
	case MX_CEL_F_SIZE:
		if (argc != 1)
			break;
		switch (a0->kind) {
		case MX_CEL_STRING: mx_cel_set_int(out, (int64_t)mx_utf8_count(a0->s.p, a0->s.n)); return;
		case MX_CEL_BYTES: mx_cel_set_int(out, (int64_t)a0->s.n); return;
		case MX_CEL_LIST: mx_cel_set_int(out, (int64_t)a0->list->n); return;
		case MX_CEL_MAP: mx_cel_set_int(out, (int64_t)a0->map->n); return;
		default: break;
		}
		break;
	case MX_CEL_F_CONTAINS:
	case MX_CEL_F_STARTS_WITH:
	case MX_CEL_F_ENDS_WITH:
		if (argc != 2 || a0->kind != MX_CEL_STRING || a1->kind != MX_CEL_STRING)
			break;
		if (fn == MX_CEL_F_CONTAINS)
			mx_cel_set_bool(out, str_contains(a0, a1));
		else if (fn == MX_CEL_F_STARTS_WITH)
			mx_cel_set_bool(out, a1->s.n <= a0->s.n && memcmp(a0->s.p, a1->s.p, a1->s.n) == 0);
		else
			mx_cel_set_bool(out, a1->s.n <= a0->s.n && memcmp(a0->s.p + a0->s.n - a1->s.n,
			                                                  a1->s.p, a1->s.n) == 0);
		return;
	case MX_CEL_F_MATCHES: {
		if (argc != 2 || a0->kind != MX_CEL_STRING || a1->kind != MX_CEL_STRING)
			break;
		char msg[200];
		const void *code = n->aux;
		void *owned = NULL;
		if (code == NULL) {
			owned = mx_cel_regex_compile(e->prog, a1->s.p, a1->s.n, msg, sizeof msg);
			if (owned == NULL) {
				mx_cel_ev_fail(e, out, "invalid regular expression: %s", msg);
				return;
			}
			code = owned;
		}
		int rc = mx_cel_regex_search(e->prog, code, a0->s.p, a0->s.n, msg, sizeof msg);
		mx_cel_regex_free(owned);
		if (rc < 0)
			mx_cel_ev_fail(e, out, "%s", msg);
		else
			mx_cel_set_bool(out, rc == 1);
		return;
	}
	case MX_CEL_F_INT:
	case MX_CEL_F_UINT:
	case MX_CEL_F_DOUBLE:
	case MX_CEL_F_STRING:
	case MX_CEL_F_BYTES:
	case MX_CEL_F_BOOL:
	case MX_CEL_F_DYN:
	case MX_CEL_F_TYPE:
	case MX_CEL_F_TIMESTAMP:
	case MX_CEL_F_DURATION:
		if (argc != 1 || n->target != NULL)
			break;
		convert(e, fn, a0, out);
		return;
	case MX_CEL_F_GET_FULL_YEAR:
	case MX_CEL_F_GET_MONTH:
	case MX_CEL_F_GET_DAY_OF_YEAR:
	case MX_CEL_F_GET_DAY_OF_MONTH:
	case MX_CEL_F_GET_DATE:
	case MX_CEL_F_GET_DAY_OF_WEEK:
	case MX_CEL_F_GET_HOURS:
	case MX_CEL_F_GET_MINUTES:
	case MX_CEL_F_GET_SECONDS:
	case MX_CEL_F_GET_MILLISECONDS:
		if (n->target == NULL || argc > 2)
			break;
		time_get(e, n, fn, a0, a1, out);
		return;
	case MX_CEL_F_UNKNOWN:
		mx_cel_ev_fail(e, out, "undeclared reference to '%.*s'", (int)n->name_len, n->name);
		return;
	}
	if (argc == 0)
		mx_cel_ev_fail(e, out, "no such overload: %.*s()", (int)n->name_len, n->name);
	else
		mx_cel_ev_no_overload(e, out, n->name, a0, a1);
}
