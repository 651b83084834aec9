/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cel_eval — the tree-walking evaluator and the standard library: operators,
 * conversions, string and time functions, macros, and the public eval API.
 *
 * An evaluation reads the program and the activation and writes only to
 * its own arena (the first 4 KiB on the caller's stack), so any number of
 * threads may evaluate one program at once. CEL errors are values of kind
 * MX_CEL_ERROR that propagate upward; && and || absorb them when the other
 * side decides the result. Recursion follows the tree, whose height the
 * parser bounds (MX_CEL_MAX_DEPTH); memory is bounded per evaluation.
 */
#include "policy/cel_int.h"

#include "core/alloc.h"
#include "core/time.h"
#include "core/utf8.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NS_PER_SEC 1000000000LL

struct scope {
	const struct scope *up;
	const char *name;
	size_t len;
	struct mx_cel_value v;
};

struct ev {
	const struct mx_cel_program *prog;
	const struct mx_cel_activation *act;
	struct mx_cel_arena *a;
	const struct scope *locals;
};

static const char oom_msg[] = "out of memory during evaluation";
static const char limit_msg[] = "evaluation exceeded its memory limit";

static void eval(struct ev *e, const struct mx_cel_node *n, struct mx_cel_value *out);

/* ==== results ==== */

static void oom(struct ev *e, struct mx_cel_value *out)
{
	out->kind = MX_CEL_ERROR;
	out->s.p = e->a->over_limit ? limit_msg : oom_msg;
	out->s.n = strlen(out->s.p);
}

__attribute__((format(printf, 3, 4))) static void fail(struct ev *e, struct mx_cel_value *out,
                                                       const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof buf)
		n = sizeof buf - 1;
	const char *p = mx_cel_arena_dup(e->a, buf, (size_t)n);
	if (p == NULL) {
		oom(e, out);
		return;
	}
	out->kind = MX_CEL_ERROR;
	out->s.p = p;
	out->s.n = (size_t)n;
}

static void no_overload(struct ev *e, struct mx_cel_value *out, const char *fn, const struct mx_cel_value *a,
                        const struct mx_cel_value *b)
{
	if (b != NULL)
		fail(e, out, "no such overload: %s(%s, %s)", fn, mx_cel_type_name(a), mx_cel_type_name(b));
	else
		fail(e, out, "no such overload: %s(%s)", fn, mx_cel_type_name(a));
}

static void set_bool(struct mx_cel_value *out, bool b)
{
	out->kind = MX_CEL_BOOL;
	out->b = b;
}

static void set_int(struct mx_cel_value *out, int64_t i)
{
	out->kind = MX_CEL_INT;
	out->i = i;
}

static void set_str(struct ev *e, struct mx_cel_value *out, enum mx_cel_kind k, const char *p, size_t n)
{
	const char *c = mx_cel_arena_dup(e->a, p, n);
	if (c == NULL) {
		oom(e, out);
		return;
	}
	out->kind = k;
	out->s.p = c;
	out->s.n = n;
}

/* ==== regular expressions ==== */

static void *re_malloc(PCRE2_SIZE n, void *data)
{
	(void)data;
	return mx_malloc(n);
}

static void re_free(void *p, void *data)
{
	(void)data;
	mx_free(p);
}

int mx_cel_regex_init(struct mx_cel_program *p)
{
	pcre2_general_context *g = pcre2_general_context_create(re_malloc, re_free, NULL);
	pcre2_match_context *m = g ? pcre2_match_context_create(g) : NULL;
	if (m == NULL) {
		pcre2_general_context_free(g);
		return MX_ENOMEM;
	}
	/* PCRE2 backtracks where RE2 would not: bound the work per match */
	pcre2_set_match_limit(m, 1000000);
	pcre2_set_depth_limit(m, 10000);
	pcre2_set_heap_limit(m, 16 * 1024);
	p->re_gctx = g;
	p->re_mctx = m;
	return 0;
}

void mx_cel_regex_fini(struct mx_cel_program *p)
{
	pcre2_match_context_free(p->re_mctx);
	pcre2_general_context_free(p->re_gctx);
}

/* RE2 has no backreferences, lookaround, atomic groups, recursion or conditionals. */
static const char *re2_unsupported(const char *s, size_t n)
{
	bool in_class = false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '\\') {
			if (i + 1 < n) {
				char d = s[i + 1];
				if ((d >= '1' && d <= '9') || d == 'g' || d == 'k')
					return "backreferences are not supported";
				if (d == 'K' || d == 'G' || d == 'R' || d == 'X')
					return "unsupported escape";
			}
			i++;
			continue;
		}
		if (in_class) {
			if (c == ']')
				in_class = false;
			continue;
		}
		if (c == '[') {
			in_class = true;
			if (i + 1 < n && s[i + 1] == '^')
				i++;
			if (i + 1 < n && s[i + 1] == ']')
				i++;
			continue;
		}
		if (c == '(' && i + 2 < n && s[i + 1] == '?') {
			char d = s[i + 2];
			if (d == '=' || d == '!' || d == '>' || d == '(' || d == '|' || d == 'R' ||
			    d == '&' || (d >= '0' && d <= '9') || d == '+' || d == '#' ||
			    (d == '<' && i + 3 < n && (s[i + 3] == '=' || s[i + 3] == '!')))
				return "unsupported group syntax (RE2)";
		}
		if (c == '(' && i + 1 < n && s[i + 1] == '*')
			return "unsupported verb (RE2)";
		if ((c == '+' || c == '*' || c == '?' || c == '}') && i + 1 < n && s[i + 1] == '+')
			return "possessive quantifiers are not supported";
	}
	return NULL;
}

void *mx_cel_regex_compile(const struct mx_cel_program *p, const char *re, size_t n, char *msg, size_t msgsz)
{
	const char *why = re2_unsupported(re, n);
	if (why != NULL) {
		snprintf(msg, msgsz, "%s", why);
		return NULL;
	}
	pcre2_compile_context *cc = pcre2_compile_context_create(p->re_gctx);
	if (cc == NULL) {
		snprintf(msg, msgsz, "out of memory");
		return NULL;
	}
	pcre2_set_max_pattern_length(cc, 16384);
	int code = 0;
	PCRE2_SIZE off = 0;
	pcre2_code *c =
	        pcre2_compile((PCRE2_SPTR)re, n, PCRE2_UTF | PCRE2_DOLLAR_ENDONLY | PCRE2_NEVER_BACKSLASH_C,
	                      &code, &off, cc);
	pcre2_compile_context_free(cc);
	if (c == NULL) {
		PCRE2_UCHAR m[160];
		if (pcre2_get_error_message(code, m, sizeof m) < 0)
			snprintf((char *)m, sizeof m, "error %d", code);
		snprintf(msg, msgsz, "%s at offset %zu", (const char *)m, (size_t)off);
	}
	return c;
}

void mx_cel_regex_free(void *code)
{
	pcre2_code_free(code);
}

int mx_cel_regex_search(const struct mx_cel_program *p, const void *code, const char *s, size_t n, char *msg,
                        size_t msgsz)
{
	pcre2_match_data *md = pcre2_match_data_create(1, p->re_gctx);
	if (md == NULL) {
		snprintf(msg, msgsz, "out of memory");
		return -1;
	}
	int rc = pcre2_match(code, (PCRE2_SPTR)s, n, 0, 0, md, p->re_mctx);
	pcre2_match_data_free(md);
	if (rc >= 0)
		return 1;
	if (rc == PCRE2_ERROR_NOMATCH)
		return 0;
	PCRE2_UCHAR m[160];
	if (pcre2_get_error_message(rc, m, sizeof m) < 0)
		snprintf((char *)m, sizeof m, "error %d", rc);
	snprintf(msg, msgsz, "regex match failed: %s", (const char *)m);
	return -1;
}

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

static void arith(struct ev *e, int op, const struct mx_cel_value *l, const struct mx_cel_value *r,
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
				fail(e, out, op == MX_CEL_OP_DIV ? "division by zero" : "modulus by zero");
				return;
			}
			if (x == INT64_MIN && y == -1) {
				if (op == MX_CEL_OP_MOD) {
					set_int(out, 0);
					return;
				}
				ovf = true;
				break;
			}
			z = op == MX_CEL_OP_DIV ? x / y : x % y;
			break;
		}
		if (ovf) {
			fail(e, out, "integer overflow");
			return;
		}
		set_int(out, z);
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
				fail(e, out, op == MX_CEL_OP_DIV ? "division by zero" : "modulus by zero");
				return;
			}
			z = op == MX_CEL_OP_DIV ? x / y : x % y;
			break;
		}
		if (ovf) {
			fail(e, out, "unsigned integer overflow");
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
			oom(e, out);
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
			oom(e, out);
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
				fail(e, out, "duration out of range");
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
				fail(e, out, "timestamp out of range");
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
			if (sec < MX_CEL_TS_MIN || sec > MX_CEL_TS_MAX) {
				fail(e, out, "timestamp out of range");
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
				fail(e, out, "duration out of range");
				return;
			}
			out->kind = MX_CEL_DURATION;
			out->i = z;
			return;
		}
	}
	no_overload(e, out, names[op], l, r);
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

static void to_string(struct ev *e, const struct mx_cel_value *v, struct mx_cel_value *out)
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
			fail(e, out, "invalid UTF-8 in bytes, cannot convert to string");
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
	default: no_overload(e, out, "string", v, NULL); return;
	}
	set_str(e, out, MX_CEL_STRING, b, n);
}

static void convert(struct ev *e, enum mx_cel_fn fn, const struct mx_cel_value *v, struct mx_cel_value *out)
{
	switch (fn) {
	case MX_CEL_F_INT:
		switch (v->kind) {
		case MX_CEL_INT: *out = *v; return;
		case MX_CEL_UINT:
			if (v->u > (uint64_t)INT64_MAX)
				break;
			set_int(out, (int64_t)v->u);
			return;
		case MX_CEL_DOUBLE:
			if (!(v->d > -9223372036854775808.0 && v->d < 9223372036854775808.0))
				break;
			set_int(out, (int64_t)v->d);
			return;
		case MX_CEL_STRING: {
			int64_t i;
			if (!parse_int64(v->s.p, v->s.n, &i)) {
				fail(e, out, "cannot convert string '%.*s' to int",
				     (int)(v->s.n > 64 ? 64 : v->s.n), v->s.p);
				return;
			}
			set_int(out, i);
			return;
		}
		case MX_CEL_TIMESTAMP: set_int(out, v->t.sec); return;
		default: no_overload(e, out, "int", v, NULL); return;
		}
		fail(e, out, "int conversion out of range");
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
				fail(e, out, "cannot convert string '%.*s' to uint",
				     (int)(v->s.n > 64 ? 64 : v->s.n), v->s.p);
				return;
			}
			return;
		default: no_overload(e, out, "uint", v, NULL); return;
		}
		fail(e, out, "uint conversion out of range");
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
				fail(e, out, "cannot convert string to double");
			return;
		}
		default: no_overload(e, out, "double", v, NULL); return;
		}
	case MX_CEL_F_STRING: to_string(e, v, out); return;
	case MX_CEL_F_BYTES:
		if (v->kind == MX_CEL_BYTES || v->kind == MX_CEL_STRING) {
			out->kind = MX_CEL_BYTES;
			out->s = v->s;
			return;
		}
		no_overload(e, out, "bytes", v, NULL);
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
					set_bool(out, true);
					return;
				}
				if (strlen(f[i]) == v->s.n && memcmp(f[i], v->s.p, v->s.n) == 0) {
					set_bool(out, false);
					return;
				}
			}
			fail(e, out, "cannot convert string to bool");
			return;
		}
		no_overload(e, out, "bool", v, NULL);
		return;
	case MX_CEL_F_DYN: *out = *v; return;
	case MX_CEL_F_TYPE: {
		const struct mx_cel_value *t =
		        mx_cel_type_by_name(mx_cel_type_name(v), strlen(mx_cel_type_name(v)));
		if (t == NULL) {
			no_overload(e, out, "type", v, NULL);
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
				fail(e, out, "cannot parse timestamp '%.*s' (or out of range)",
				     (int)(v->s.n > 64 ? 64 : v->s.n), v->s.p);
				return;
			}
			out->kind = MX_CEL_TIMESTAMP;
			return;
		}
		if (v->kind == MX_CEL_INT) {
			if (v->i < MX_CEL_TS_MIN || v->i > MX_CEL_TS_MAX) {
				fail(e, out, "timestamp out of range");
				return;
			}
			out->kind = MX_CEL_TIMESTAMP;
			out->t.sec = v->i;
			out->t.nsec = 0;
			return;
		}
		no_overload(e, out, "timestamp", v, NULL);
		return;
	case MX_CEL_F_DURATION:
		if (v->kind == MX_CEL_DURATION) {
			*out = *v;
			return;
		}
		if (v->kind == MX_CEL_STRING) {
			if (mx_cel_duration_parse(v->s.p, v->s.n, &out->i) != 0) {
				fail(e, out, "cannot parse duration '%.*s' (or out of range)",
				     (int)(v->s.n > 64 ? 64 : v->s.n), v->s.p);
				return;
			}
			out->kind = MX_CEL_DURATION;
			return;
		}
		no_overload(e, out, "duration", v, NULL);
		return;
	default: fail(e, out, "internal error: bad conversion"); return;
	}
}

/* ==== time accessors ==== */

static void time_get(struct ev *e, const struct mx_cel_node *n, enum mx_cel_fn fn,
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
		case MX_CEL_F_GET_HOURS: set_int(out, ns / (3600 * NS_PER_SEC)); return;
		case MX_CEL_F_GET_MINUTES: set_int(out, ns / (60 * NS_PER_SEC)); return;
		case MX_CEL_F_GET_SECONDS: set_int(out, ns / NS_PER_SEC); return;
		case MX_CEL_F_GET_MILLISECONDS: set_int(out, ns / 1000000 % 1000); return;
		default: break;
		}
	}
	if (v->kind != MX_CEL_TIMESTAMP || (zone != NULL && zone->kind != MX_CEL_STRING)) {
		no_overload(e, out, names[fn], v, zone);
		return;
	}
	const struct mx_cel_tz *tz = NULL;
	if (zone != NULL) {
		tz = n->aux;
		if (tz == NULL && mx_cel_tz_load(e->a, zone->s.p, zone->s.n, &tz) != 0) {
			fail(e, out, "unknown time zone '%.*s'", (int)(zone->s.n > 64 ? 64 : zone->s.n),
			     zone->s.p);
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
	case MX_CEL_F_GET_FULL_YEAR: set_int(out, y); return;
	case MX_CEL_F_GET_MONTH: set_int(out, m - 1); return;
	case MX_CEL_F_GET_DAY_OF_YEAR: set_int(out, days - mx_days_from_civil(y, 1, 1)); return;
	case MX_CEL_F_GET_DAY_OF_MONTH: set_int(out, d - 1); return;
	case MX_CEL_F_GET_DATE: set_int(out, d); return;
	case MX_CEL_F_GET_DAY_OF_WEEK: set_int(out, ((days % 7) + 11) % 7); return;
	case MX_CEL_F_GET_HOURS: set_int(out, secs / 3600); return;
	case MX_CEL_F_GET_MINUTES: set_int(out, secs / 60 % 60); return;
	case MX_CEL_F_GET_SECONDS: set_int(out, secs % 60); return;
	case MX_CEL_F_GET_MILLISECONDS: set_int(out, v->t.nsec / 1000000); return;
	default: break;
	}
	fail(e, out, "internal error: bad accessor");
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

static void call(struct ev *e, const struct mx_cel_node *n, struct mx_cel_value *out)
{
	struct mx_cel_value stack_args[4];
	struct mx_cel_value *argv = stack_args;
	size_t argc = n->nargs + (n->target != NULL);
	if (argc > 4) {
		argv = mx_cel_arena_alloc(e->a, argc * sizeof *argv);
		if (argv == NULL) {
			oom(e, out);
			return;
		}
	}
	size_t k = 0;
	if (n->target != NULL)
		eval(e, n->target, &argv[k++]);
	for (uint32_t i = 0; i < n->nargs; i++)
		eval(e, n->args[i], &argv[k++]);
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
		case MX_CEL_STRING: set_int(out, (int64_t)mx_utf8_count(a0->s.p, a0->s.n)); return;
		case MX_CEL_BYTES: set_int(out, (int64_t)a0->s.n); return;
		case MX_CEL_LIST: set_int(out, (int64_t)a0->list->n); return;
		case MX_CEL_MAP: set_int(out, (int64_t)a0->map->n); return;
		default: break;
		}
		break;
	case MX_CEL_F_CONTAINS:
	case MX_CEL_F_STARTS_WITH:
	case MX_CEL_F_ENDS_WITH:
		if (argc != 2 || a0->kind != MX_CEL_STRING || a1->kind != MX_CEL_STRING)
			break;
		if (fn == MX_CEL_F_CONTAINS)
			set_bool(out, str_contains(a0, a1));
		else if (fn == MX_CEL_F_STARTS_WITH)
			set_bool(out, a1->s.n <= a0->s.n && memcmp(a0->s.p, a1->s.p, a1->s.n) == 0);
		else
			set_bool(out, a1->s.n <= a0->s.n &&
			                      memcmp(a0->s.p + a0->s.n - a1->s.n, a1->s.p, a1->s.n) == 0);
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
				fail(e, out, "invalid regular expression: %s", msg);
				return;
			}
			code = owned;
		}
		int rc = mx_cel_regex_search(e->prog, code, a0->s.p, a0->s.n, msg, sizeof msg);
		mx_cel_regex_free(owned);
		if (rc < 0)
			fail(e, out, "%s", msg);
		else
			set_bool(out, rc == 1);
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
		fail(e, out, "undeclared reference to '%.*s'", (int)n->name_len, n->name);
		return;
	}
	if (argc == 0)
		fail(e, out, "no such overload: %.*s()", (int)n->name_len, n->name);
	else
		no_overload(e, out, n->name, a0, a1);
}

/* ==== names, fields, indexes ==== */

static const struct mx_cel_value *lookup_local(const struct ev *e, const char *name, size_t len)
{
	for (const struct scope *s = e->locals; s != NULL; s = s->up)
		if (s->len == len && memcmp(s->name, name, len) == 0)
			return &s->v;
	return NULL;
}

static void ident(struct ev *e, const struct mx_cel_node *n, struct mx_cel_value *out)
{
	const struct mx_cel_value *v = e->locals ? lookup_local(e, n->name, n->name_len) : NULL;
	if (v == NULL)
		v = mx_cel_activation_get(e->act, n->name, n->name_len, n->hash);
	if (v == NULL)
		v = mx_cel_type_by_name(n->name, n->name_len);
	if (v == NULL) {
		fail(e, out, "undeclared reference to '%.*s'", (int)n->name_len, n->name);
		return;
	}
	*out = *v;
}

/* a.b.c may name a variable or a type as a whole; the root must not be a local */
static const struct mx_cel_value *qualified(const struct ev *e, const struct mx_cel_node *n)
{
	const struct mx_cel_node *root = n;
	while (root->kind == MX_CEL_N_SELECT)
		root = root->target;
	if (lookup_local(e, root->name, root->name_len) != NULL)
		return NULL;
	const struct mx_cel_value *v = mx_cel_activation_get(e->act, n->qual, n->qual_len, n->qual_hash);
	return v ? v : mx_cel_type_by_name(n->qual, n->qual_len);
}

static void select_field(struct ev *e, const struct mx_cel_node *n, struct mx_cel_value *out)
{
	if (n->qual != NULL && mx_cel_activation_has_dotted(e->act)) {
		const struct mx_cel_value *q = qualified(e, n);
		if (q != NULL) {
			*out = *q;
			return;
		}
	}
	struct mx_cel_value t;
	eval(e, n->target, &t);
	if (t.kind == MX_CEL_ERROR) {
		const struct mx_cel_value *q = n->qual != NULL ? qualified(e, n) : NULL;
		*out = q ? *q : t;
		return;
	}
	if (t.kind != MX_CEL_MAP) {
		if (n->kind == MX_CEL_N_HAS)
			fail(e, out, "invalid type for has(): %s", mx_cel_type_name(&t));
		else
			fail(e, out, "type '%s' does not support field selection", mx_cel_type_name(&t));
		return;
	}
	const struct mx_cel_value *v = mx_cel_map_get_str(t.map, n->name, n->name_len);
	if (n->kind == MX_CEL_N_HAS) {
		set_bool(out, v != NULL);
		return;
	}
	if (v == NULL) {
		fail(e, out, "no such key: %.*s", (int)n->name_len, n->name);
		return;
	}
	*out = *v;
}

static void index_value(struct ev *e, const struct mx_cel_value *t, const struct mx_cel_value *k,
                        struct mx_cel_value *out)
{
	if (t->kind == MX_CEL_LIST) {
		int64_t i;
		if (k->kind == MX_CEL_INT) {
			i = k->i;
		} else if (k->kind == MX_CEL_UINT) {
			i = k->u > (uint64_t)INT64_MAX ? -1 : (int64_t)k->u;
		} else if (k->kind == MX_CEL_DOUBLE) {
			if (k->d != trunc(k->d) || !(k->d > -9.3e18 && k->d < 9.3e18)) {
				fail(e, out, "unsupported index value %g", k->d);
				return;
			}
			i = (int64_t)k->d;
		} else {
			no_overload(e, out, "_[_]", t, k);
			return;
		}
		if (i < 0 || (uint64_t)i >= t->list->n) {
			fail(e, out, "index out of bounds: %lld", (long long)i);
			return;
		}
		*out = t->list->items[i];
		return;
	}
	if (t->kind == MX_CEL_MAP) {
		if (!mx_cel_is_key_kind(k->kind) && k->kind != MX_CEL_DOUBLE) {
			fail(e, out, "unsupported key type: %s", mx_cel_type_name(k));
			return;
		}
		const struct mx_cel_value *v = mx_cel_map_get(t->map, k);
		if (v == NULL) {
			if (k->kind == MX_CEL_STRING)
				fail(e, out, "no such key: %.*s", (int)(k->s.n > 64 ? 64 : k->s.n), k->s.p);
			else
				fail(e, out, "no such key");
			return;
		}
		*out = *v;
		return;
	}
	no_overload(e, out, "_[_]", t, k);
}

/* ==== literals ==== */

static void list_literal(struct ev *e, const struct mx_cel_node *n, struct mx_cel_value *out)
{
	struct mx_cel_list *l = mx_cel_arena_alloc(e->a, sizeof *l);
	struct mx_cel_value *items = mx_cel_arena_alloc(e->a, (n->nargs ? n->nargs : 1) * sizeof *items);
	if (l == NULL || items == NULL) {
		oom(e, out);
		return;
	}
	for (uint32_t i = 0; i < n->nargs; i++) {
		eval(e, n->args[i], &items[i]);
		if (items[i].kind == MX_CEL_ERROR) {
			*out = items[i];
			return;
		}
	}
	l->n = n->nargs;
	l->items = items;
	out->kind = MX_CEL_LIST;
	out->list = l;
}

static void map_literal(struct ev *e, const struct mx_cel_node *n, struct mx_cel_value *out)
{
	size_t cnt = n->nargs / 2;
	struct mx_cel_map *m = mx_cel_arena_alloc(e->a, sizeof *m);
	struct mx_cel_value *keys = mx_cel_arena_alloc(e->a, (cnt ? cnt : 1) * sizeof *keys);
	struct mx_cel_value *vals = mx_cel_arena_alloc(e->a, (cnt ? cnt : 1) * sizeof *vals);
	if (m == NULL || keys == NULL || vals == NULL) {
		oom(e, out);
		return;
	}
	for (size_t i = 0; i < cnt; i++) {
		eval(e, n->args[2 * i], &keys[i]);
		if (keys[i].kind == MX_CEL_ERROR) {
			*out = keys[i];
			return;
		}
		if (!mx_cel_is_key_kind(keys[i].kind)) {
			fail(e, out, "unsupported key type: %s", mx_cel_type_name(&keys[i]));
			return;
		}
		eval(e, n->args[2 * i + 1], &vals[i]);
		if (vals[i].kind == MX_CEL_ERROR) {
			*out = vals[i];
			return;
		}
	}
	m->n = cnt;
	m->keys = keys;
	m->vals = vals;
	size_t dup = 0;
	int rc = mx_cel_map_finish(e->a, m, &dup);
	if (rc == MX_ENOMEM) {
		oom(e, out);
		return;
	}
	if (rc != 0) {
		fail(e, out, "Failed with repeated key");
		return;
	}
	out->kind = MX_CEL_MAP;
	out->map = m;
}

/* ==== macros ==== */

static void comprehension(struct ev *e, const struct mx_cel_node *n, struct mx_cel_value *out)
{
	struct mx_cel_value range;
	eval(e, n->target, &range);
	if (range.kind == MX_CEL_ERROR) {
		*out = range;
		return;
	}
	const struct mx_cel_value *items, *vals = NULL;
	size_t cnt;
	if (range.kind == MX_CEL_LIST) {
		items = range.list->items;
		cnt = range.list->n;
	} else if (range.kind == MX_CEL_MAP) {
		items = range.map->keys;
		vals = range.map->vals;
		cnt = range.map->n;
	} else {
		fail(e, out, "expected a list or a map for the macro range, got %s",
		     mx_cel_type_name(&range));
		return;
	}
	struct scope sc = {.up = e->locals, .name = n->name, .len = n->name_len};
	struct scope sc2 = {.up = &sc, .name = n->name2, .len = n->name2_len};
	const struct scope *saved = e->locals;
	e->locals = n->name2 != NULL ? &sc2 : &sc;
	enum mx_cel_macro m = (enum mx_cel_macro)n->op;
	struct mx_cel_value err = {.kind = MX_CEL_NULL};
	bool have_err = false;
	int64_t count = 0;
	struct mx_cel_value *res = NULL, *rkeys = NULL;
	size_t nres = 0;
	bool transform = m == MX_CEL_M_TRANSFORM_LIST || m == MX_CEL_M_TRANSFORM_MAP;
	if (m == MX_CEL_M_MAP || m == MX_CEL_M_MAP_FILTER || m == MX_CEL_M_FILTER || transform) {
		res = mx_cel_arena_alloc(e->a, (cnt ? cnt : 1) * sizeof *res);
		rkeys = mx_cel_arena_alloc(e->a, (cnt ? cnt : 1) * sizeof *rkeys);
		if (res == NULL || rkeys == NULL) {
			e->locals = saved;
			oom(e, out);
			return;
		}
	}
	for (size_t i = 0; i < cnt; i++) {
		if (n->name2 == NULL) {
			sc.v = items[i];
		} else if (vals != NULL) {
			sc.v = items[i];
			sc2.v = vals[i];
		} else {
			set_int(&sc.v, (int64_t)i);
			sc2.v = items[i];
		}
		struct mx_cel_value r;
		eval(e, n->args[0], &r);
		if (transform && n->nargs == 1) {
			if (r.kind == MX_CEL_ERROR) {
				*out = r;
				goto done;
			}
			rkeys[nres] = sc.v;
			res[nres++] = r;
			continue;
		}
		if (m == MX_CEL_M_MAP) {
			if (r.kind == MX_CEL_ERROR) {
				*out = r;
				goto done;
			}
			res[nres++] = r;
			continue;
		}
		if (r.kind != MX_CEL_BOOL && r.kind != MX_CEL_ERROR)
			fail(e, &r, "no such overload: predicate returned %s, not bool",
			     mx_cel_type_name(&r));
		if (r.kind == MX_CEL_ERROR) {
			if (m == MX_CEL_M_ALL || m == MX_CEL_M_EXISTS) {
				if (!have_err) /* keep going: a decisive element absorbs the error */
					err = r;
				have_err = true;
				continue;
			}
			*out = r;
			goto done;
		}
		switch (m) {
		case MX_CEL_M_ALL:
			if (!r.b) {
				set_bool(out, false);
				goto done;
			}
			break;
		case MX_CEL_M_EXISTS:
			if (r.b) {
				set_bool(out, true);
				goto done;
			}
			break;
		case MX_CEL_M_EXISTS_ONE: count += r.b; break;
		case MX_CEL_M_FILTER:
			if (r.b)
				res[nres++] = items[i];
			break;
		case MX_CEL_M_TRANSFORM_LIST:
		case MX_CEL_M_TRANSFORM_MAP:
		case MX_CEL_M_MAP_FILTER:
			if (r.b) {
				struct mx_cel_value t;
				eval(e, n->args[1], &t);
				if (t.kind == MX_CEL_ERROR) {
					*out = t;
					goto done;
				}
				rkeys[nres] = sc.v;
				res[nres++] = t;
			}
			break;
		case MX_CEL_M_MAP: break;
		}
	}
	if (m == MX_CEL_M_TRANSFORM_MAP) {
		struct mx_cel_map *mp = mx_cel_arena_alloc(e->a, sizeof *mp);
		size_t dup;
		if (mp == NULL) {
			oom(e, out);
			goto done;
		}
		mp->n = nres;
		mp->keys = rkeys;
		mp->vals = res;
		if (mx_cel_map_finish(e->a, mp, &dup) != 0) {
			oom(e, out);
			goto done;
		}
		out->kind = MX_CEL_MAP;
		out->map = mp;
		goto done;
	}
	switch (m) {
	case MX_CEL_M_ALL:
	case MX_CEL_M_EXISTS:
		if (have_err)
			*out = err;
		else
			set_bool(out, m == MX_CEL_M_ALL);
		break;
	case MX_CEL_M_EXISTS_ONE: set_bool(out, count == 1); break;
	default: {
		struct mx_cel_list *l = mx_cel_arena_alloc(e->a, sizeof *l);
		if (l == NULL) {
			oom(e, out);
			break;
		}
		l->n = nres;
		l->items = res;
		out->kind = MX_CEL_LIST;
		out->list = l;
		break;
	}
	}
done:
	e->locals = saved;
}

/* ==== the evaluator ==== */

static void logic(struct ev *e, const struct mx_cel_node *n, bool is_and, struct mx_cel_value *out)
{
	struct mx_cel_value l, r;
	eval(e, n->target, &l);
	/* short circuit: false && _, true || _ */
	if (l.kind == MX_CEL_BOOL && l.b != is_and) {
		*out = l;
		return;
	}
	eval(e, n->args[0], &r);
	if (r.kind == MX_CEL_BOOL && r.b != is_and) {
		*out = r;
		return;
	}
	if (l.kind == MX_CEL_BOOL && r.kind == MX_CEL_BOOL) {
		*out = l;
		return;
	}
	if (l.kind == MX_CEL_ERROR) {
		*out = l;
		return;
	}
	if (r.kind == MX_CEL_ERROR) {
		*out = r;
		return;
	}
	no_overload(e, out, is_and ? "_&&_" : "_||_", &l, &r);
}

static void binary(struct ev *e, const struct mx_cel_node *n, struct mx_cel_value *out)
{
	struct mx_cel_value l, r;
	eval(e, n->target, &l);
	if (l.kind == MX_CEL_ERROR) {
		*out = l;
		return;
	}
	eval(e, n->args[0], &r);
	if (r.kind == MX_CEL_ERROR) {
		*out = r;
		return;
	}
	int op = n->op;
	switch (op) {
	case MX_CEL_OP_EQ:
	case MX_CEL_OP_NE: set_bool(out, mx_cel_equal(&l, &r) == (op == MX_CEL_OP_EQ)); return;
	case MX_CEL_OP_LT:
	case MX_CEL_OP_LE:
	case MX_CEL_OP_GT:
	case MX_CEL_OP_GE: {
		static const char *const names[] = {[MX_CEL_OP_LT] = "_<_",
		                                    [MX_CEL_OP_LE] = "_<=_",
		                                    [MX_CEL_OP_GT] = "_>_",
		                                    [MX_CEL_OP_GE] = "_>=_"};
		int c = mx_cel_compare(&l, &r);
		if (c == -2) {
			no_overload(e, out, names[op], &l, &r);
			return;
		}
		if (c == 2) {
			set_bool(out, false);
			return;
		}
		set_bool(out, op == MX_CEL_OP_LT   ? c < 0
		              : op == MX_CEL_OP_LE ? c <= 0
		              : op == MX_CEL_OP_GT ? c > 0
		                                   : c >= 0);
		return;
	}
	case MX_CEL_OP_IN:
		if (r.kind == MX_CEL_LIST) {
			for (size_t i = 0; i < r.list->n; i++)
				if (mx_cel_equal(&l, &r.list->items[i])) {
					set_bool(out, true);
					return;
				}
			set_bool(out, false);
			return;
		}
		if (r.kind == MX_CEL_MAP) {
			bool keyish = mx_cel_is_key_kind(l.kind) || l.kind == MX_CEL_DOUBLE;
			set_bool(out, keyish && mx_cel_map_get(r.map, &l) != NULL);
			return;
		}
		no_overload(e, out, "@in", &l, &r);
		return;
	default: arith(e, op, &l, &r, out); return;
	}
}

static void eval(struct ev *e, const struct mx_cel_node *n, struct mx_cel_value *out)
{
	switch ((enum mx_cel_node_kind)n->kind) {
	case MX_CEL_N_LIT: *out = n->lit; return;
	case MX_CEL_N_IDENT: ident(e, n, out); return;
	case MX_CEL_N_SELECT:
	case MX_CEL_N_HAS: select_field(e, n, out); return;
	case MX_CEL_N_INDEX: {
		struct mx_cel_value t, k;
		eval(e, n->target, &t);
		if (t.kind == MX_CEL_ERROR) {
			*out = t;
			return;
		}
		eval(e, n->args[0], &k);
		if (k.kind == MX_CEL_ERROR) {
			*out = k;
			return;
		}
		index_value(e, &t, &k, out);
		return;
	}
	case MX_CEL_N_CALL: call(e, n, out); return;
	case MX_CEL_N_LIST: list_literal(e, n, out); return;
	case MX_CEL_N_MAP: map_literal(e, n, out); return;
	case MX_CEL_N_STRUCT:
		fail(e, out, "message construction is not supported: %.*s", (int)n->name_len, n->name);
		return;
	case MX_CEL_N_AND: logic(e, n, true, out); return;
	case MX_CEL_N_OR: logic(e, n, false, out); return;
	case MX_CEL_N_COND: {
		struct mx_cel_value c;
		eval(e, n->target, &c);
		if (c.kind == MX_CEL_ERROR) {
			*out = c;
			return;
		}
		if (c.kind != MX_CEL_BOOL) {
			no_overload(e, out, "_?_:_", &c, NULL);
			return;
		}
		eval(e, n->args[c.b ? 0 : 1], out);
		return;
	}
	case MX_CEL_N_NOT:
		eval(e, n->target, out);
		if (out->kind == MX_CEL_BOOL)
			out->b = !out->b;
		else if (out->kind != MX_CEL_ERROR)
			no_overload(e, out, "!_", out, NULL);
		return;
	case MX_CEL_N_NEG:
		eval(e, n->target, out);
		if (out->kind == MX_CEL_INT) {
			if (out->i == INT64_MIN)
				fail(e, out, "integer overflow");
			else
				out->i = -out->i;
		} else if (out->kind == MX_CEL_DOUBLE) {
			out->d = -out->d;
		} else if (out->kind != MX_CEL_ERROR) {
			struct mx_cel_value v = *out;
			no_overload(e, out, "-_", &v, NULL);
		}
		return;
	case MX_CEL_N_BINARY: binary(e, n, out); return;
	case MX_CEL_N_COMPR: comprehension(e, n, out); return;
	}
	fail(e, out, "internal error: bad node");
}

/* ==== public API ==== */

struct mx_cel_result {
	struct mx_cel_arena arena;
	struct mx_cel_value value;
};

#define STACK_ARENA 4096

int mx_cel_eval_value(const struct mx_cel_program *p, const struct mx_cel_activation *act,
                      struct mx_cel_result **out)
{
	*out = NULL;
	struct mx_cel_result *r = mx_calloc(1, sizeof *r);
	if (r == NULL)
		return MX_ENOMEM;
	mx_cel_arena_init(&r->arena, NULL, 0, MX_CEL_MAX_EVAL_BYTES);
	struct ev e = {.prog = p, .act = act, .a = &r->arena};
	eval(&e, p->root, &r->value);
	if (r->value.kind == MX_CEL_ERROR && r->value.s.p == oom_msg) {
		mx_cel_result_free(r);
		return MX_ENOMEM;
	}
	*out = r;
	return 0;
}

const struct mx_cel_value *mx_cel_result_value(const struct mx_cel_result *r)
{
	return &r->value;
}

void mx_cel_result_free(struct mx_cel_result *r)
{
	if (r == NULL)
		return;
	mx_cel_arena_free(&r->arena);
	mx_free(r);
}

static int eval_error(const struct mx_cel_value *v, struct mx_err *err)
{
	if (v->s.p == oom_msg)
		return mx_err_set(err, MX_ENOMEM, "%s", oom_msg);
	return mx_err_set(err, v->s.p == limit_msg ? MX_ELIMIT : MX_EINVAL, "%.*s", (int)v->s.n, v->s.p);
}

int mx_cel_eval(const struct mx_cel_program *p, const struct mx_cel_activation *act, json_t **out,
                struct mx_err *err)
{
	*out = NULL;
	_Alignas(max_align_t) char buf[STACK_ARENA];
	struct mx_cel_arena a;
	mx_cel_arena_init(&a, buf, sizeof buf, MX_CEL_MAX_EVAL_BYTES);
	struct ev e = {.prog = p, .act = act, .a = &a};
	struct mx_cel_value v;
	eval(&e, p->root, &v);
	int rc = 0;
	if (v.kind == MX_CEL_ERROR) {
		rc = eval_error(&v, err);
	} else {
		*out = mx_cel_value_to_json(&v);
		if (*out == NULL)
			rc = mx_err_set(err, MX_ENOMEM, "out of memory");
	}
	mx_cel_arena_free(&a);
	return rc;
}

int mx_cel_eval_bool(const struct mx_cel_program *p, const struct mx_cel_activation *act, bool *out,
                     struct mx_err *err)
{
	*out = false;
	_Alignas(max_align_t) char buf[STACK_ARENA];
	struct mx_cel_arena a;
	mx_cel_arena_init(&a, buf, sizeof buf, MX_CEL_MAX_EVAL_BYTES);
	struct ev e = {.prog = p, .act = act, .a = &a};
	struct mx_cel_value v;
	eval(&e, p->root, &v);
	int rc = 0;
	if (v.kind == MX_CEL_ERROR)
		rc = eval_error(&v, err);
	else if (v.kind != MX_CEL_BOOL)
		rc = mx_err_set(err, MX_EINVAL, "condition evaluated to %s, not bool", mx_cel_type_name(&v));
	else
		*out = v.b;
	mx_cel_arena_free(&a);
	return rc;
}
