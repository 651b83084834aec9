/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bigint — Python's numbers beyond what JSON holds: integers past 64 bits
 * and the floats inf, -inf and nan.
 *
 * Both are special values (special.c) on a jansson real: a big integer is
 * a real holding its nearest double (clamped to ±DBL_MAX), registered as
 * SK_BIGINT with its decimal text; a non-finite float is a real registered
 * as SK_FLOATX with its double. Code that only reads a real sees a close
 * float; get_num() (through mx_jinja_real_num) sees the exact value.
 *
 * The arithmetic is a small sign-magnitude bignum of 32-bit limbs, enough
 * for + - * // % ** and printing; results are capped at MAX_LIMBS limbs
 * (about 5,000 decimal digits — Python itself refuses to print more than
 * 4,300). A result that fits 64 bits is an ordinary JSON integer again.
 * Also here: exact comparison of ints (big or not) with floats, as Python
 * compares them (9007199254740993 > 9007199254740992.0).
 */
#include "jinja/jinja_int.h"

#include "core/alloc.h"

#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LIMBS 520

struct bn {
	int neg;
	size_t n; /* limbs used; 0 is zero */
	uint32_t d[MAX_LIMBS];
};

static void bn_trim(struct bn *a)
{
	while (a->n && a->d[a->n - 1] == 0)
		a->n--;
	if (a->n == 0)
		a->neg = 0;
}

static void bn_from_i64(struct bn *a, json_int_t v)
{
	unsigned long long m = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
	a->neg = v < 0;
	a->d[0] = (uint32_t)m;
	a->d[1] = (uint32_t)(m >> 32);
	a->n = 2;
	bn_trim(a);
}

/* |a| * m + add, in place; -1 when too large. */
static int bn_muladd_small(struct bn *a, uint32_t m, uint32_t add)
{
	uint64_t carry = add;
	for (size_t i = 0; i < a->n; i++) {
		uint64_t t = (uint64_t)a->d[i] * m + carry;
		a->d[i] = (uint32_t)t;
		carry = t >> 32;
	}
	if (carry) {
		if (a->n == MAX_LIMBS)
			return -1;
		a->d[a->n++] = (uint32_t)carry;
	}
	return 0;
}

/* |a| / m in place; returns the remainder. */
static uint32_t bn_divmod_small(struct bn *a, uint32_t m)
{
	uint64_t rem = 0;
	for (size_t i = a->n; i-- > 0;) {
		uint64_t cur = (rem << 32) | a->d[i];
		a->d[i] = (uint32_t)(cur / m);
		rem = cur % m;
	}
	int neg = a->neg;
	bn_trim(a);
	a->neg = a->n ? neg : 0;
	return (uint32_t)rem;
}

static int bn_from_text(struct bn *a, const char *s)
{
	a->neg = 0, a->n = 0;
	if (*s == '-')
		a->neg = 1, s++;
	for (; *s; s++)
		if (*s >= '0' && *s <= '9' && bn_muladd_small(a, 10, (uint32_t)(*s - '0')))
			return -1;
	int neg = a->neg;
	bn_trim(a);
	a->neg = a->n ? neg : 0;
	return 0;
}

/* Decimal text of a (fresh mx_malloc'd string). */
static char *bn_to_text(const struct bn *a0)
{
	struct bn *a = mx_malloc(sizeof *a);
	char *out = mx_malloc(a0->n * 10 + 3);
	if (a == NULL || out == NULL) {
		mx_free(a);
		mx_free(out);
		return NULL;
	}
	*a = *a0;
	size_t k = 0;
	do {
		uint32_t rem = bn_divmod_small(a, 1000000000u);
		for (int i = 0; i < 9; i++) {
			out[k++] = (char)('0' + rem % 10);
			rem /= 10;
			if (a->n == 0 && rem == 0)
				break;
		}
	} while (a->n);
	if (a0->neg)
		out[k++] = '-';
	out[k] = '\0';
	for (size_t i = 0; i < k / 2; i++) {
		char t = out[i];
		out[i] = out[k - 1 - i];
		out[k - 1 - i] = t;
	}
	mx_free(a);
	return out;
}

static int bn_cmp_mag(const struct bn *a, const struct bn *b)
{
	if (a->n != b->n)
		return a->n < b->n ? -1 : 1;
	for (size_t i = a->n; i-- > 0;)
		if (a->d[i] != b->d[i])
			return a->d[i] < b->d[i] ? -1 : 1;
	return 0;
}

static int bn_cmp(const struct bn *a, const struct bn *b)
{
	if (a->neg != b->neg)
		return a->neg ? -1 : 1;
	int c = bn_cmp_mag(a, b);
	return a->neg ? -c : c;
}

/* |r| = |a| + |b| */
static int mag_add(struct bn *r, const struct bn *a, const struct bn *b)
{
	size_t n = a->n > b->n ? a->n : b->n;
	uint64_t carry = 0;
	for (size_t i = 0; i < n; i++) {
		uint64_t t = carry + (i < a->n ? a->d[i] : 0) + (i < b->n ? b->d[i] : 0);
		r->d[i] = (uint32_t)t;
		carry = t >> 32;
	}
	r->n = n;
	if (carry) {
		if (n == MAX_LIMBS)
			return -1;
		r->d[r->n++] = (uint32_t)carry;
	}
	return 0;
}

/* |r| = |a| - |b|, |a| >= |b| */
static void mag_sub(struct bn *r, const struct bn *a, const struct bn *b)
{
	int64_t borrow = 0;
	for (size_t i = 0; i < a->n; i++) {
		int64_t t = (int64_t)a->d[i] - (i < b->n ? b->d[i] : 0) - borrow;
		borrow = t < 0;
		r->d[i] = (uint32_t)(t + (borrow ? ((int64_t)1 << 32) : 0));
	}
	r->n = a->n;
}

static int bn_add(struct bn *r, const struct bn *a, const struct bn *b, int negate_b)
{
	int bneg = b->neg ^ negate_b;
	if (a->neg == bneg) {
		if (mag_add(r, a, b))
			return -1;
		r->neg = a->neg;
	} else if (bn_cmp_mag(a, b) >= 0) {
		mag_sub(r, a, b);
		r->neg = a->neg;
	} else {
		mag_sub(r, b, a);
		r->neg = bneg;
	}
	bn_trim(r);
	return 0;
}

static int bn_mul(struct bn *r, const struct bn *a, const struct bn *b)
{
	if (a->n == 0 || b->n == 0) {
		r->n = 0, r->neg = 0;
		return 0;
	}
	if (a->n + b->n - 1 > MAX_LIMBS)
		return -1;
	uint32_t *t = mx_calloc(a->n + b->n, sizeof *t);
	if (t == NULL)
		return -2;
	for (size_t i = 0; i < a->n; i++) {
		uint64_t carry = 0;
		for (size_t j = 0; j < b->n; j++) {
			uint64_t cur = (uint64_t)a->d[i] * b->d[j] + t[i + j] + carry;
			t[i + j] = (uint32_t)cur;
			carry = cur >> 32;
		}
		t[i + b->n] = (uint32_t)carry;
	}
	size_t n = a->n + b->n;
	while (n && t[n - 1] == 0)
		n--;
	int neg = a->neg != b->neg;
	if (n > MAX_LIMBS) {
		mx_free(t);
		return -1;
	}
	memcpy(r->d, t, n * sizeof *t);
	mx_free(t);
	r->n = n, r->neg = neg;
	bn_trim(r);
	return 0;
}

static size_t bn_bits(const struct bn *a)
{
	if (a->n == 0)
		return 0;
	return (a->n - 1) * 32 + (32 - (size_t)__builtin_clz(a->d[a->n - 1]));
}

/* Floor division and modulo (Python's signs); b != 0. */
static void bn_divmod(struct bn *q, struct bn *r, const struct bn *a, const struct bn *b)
{
	q->n = a->n, q->neg = 0;
	memset(q->d, 0, a->n * sizeof q->d[0]);
	r->n = 0, r->neg = 0;
	struct bn bm = *b;
	bm.neg = 0;
	for (size_t bit = bn_bits(a); bit-- > 0;) {
		/* r = r * 2 + bit */
		bn_muladd_small(r, 2, (a->d[bit / 32] >> (bit % 32)) & 1);
		if (bn_cmp_mag(r, &bm) >= 0) {
			mag_sub(r, r, &bm);
			bn_trim(r);
			q->d[bit / 32] |= 1u << (bit % 32);
		}
	}
	bn_trim(q);
	bn_trim(r);
	/* truncated toward zero so far; Python floors */
	int qneg = a->neg != b->neg;
	if (qneg && r->n) {
		struct bn one;
		bn_from_i64(&one, 1);
		mag_add(q, q, &one);
		mag_sub(r, &bm, r);
		bn_trim(r);
	}
	q->neg = qneg && q->n;
	r->neg = b->neg && r->n;
}

/* ------------------------------------------------------------------------
 * Values.
 * ---------------------------------------------------------------------- */

static int num_to_bn(const struct num *x, struct bn *a)
{
	if (x->big)
		return bn_from_text(a, x->big);
	bn_from_i64(a, x->i);
	return 0;
}

static int fits_i64(const struct bn *a, json_int_t *v)
{
	if (a->n > 2)
		return 0;
	unsigned long long m = a->n == 0 ? 0 : a->d[0] | (a->n > 1 ? (unsigned long long)a->d[1] << 32 : 0);
	if (a->neg) {
		if (m > (unsigned long long)LLONG_MAX + 1)
			return 0;
		*v = m == (unsigned long long)LLONG_MAX + 1 ? LLONG_MIN : -(json_int_t)m;
		return 1;
	}
	if (m > (unsigned long long)LLONG_MAX)
		return 0;
	*v = (json_int_t)m;
	return 1;
}

/* A value from decimal text (consumed: mx_malloc'd). */
static int mk_big_text(char *text, struct val *out)
{
	*out = vundef(NULL, NULL);
	if (text == NULL)
		return MX_ENOMEM;
	double d = strtod(text, NULL);
	json_t *j = json_real(isfinite(d) ? d : d > 0 ? DBL_MAX : -DBL_MAX);
	struct special *s;
	int rc = j ? mx_jinja_special_add(j, SK_BIGINT, &s) : MX_ENOMEM;
	if (rc) {
		json_decref(j);
		mx_free(text);
		return rc;
	}
	mx_free(s->text);
	s->text = text;
	s->d = d;
	out->j = j;
	return 0;
}

static int mk_bn(struct render *r, const struct expr *e, const struct bn *a, struct val *out)
{
	json_int_t v;
	if (fits_i64(a, &v))
		return vset(out, json_integer(v));
	(void)r, (void)e;
	return mk_big_text(bn_to_text(a), out);
}

int mx_jinja_mk_bigint_text(struct render *r, const struct expr *e, const char *digits, struct val *out)
{
	struct bn *a = mx_malloc(sizeof *a);
	if (a == NULL)
		return MX_ENOMEM;
	int rc = bn_from_text(a, digits) ? mx_jinja_rerr(r, e, MX_EINVAL, "integer too large")
	                                 : mk_bn(r, e, a, out);
	mx_free(a);
	return rc;
}

int mx_jinja_mk_float(double d, struct val *out)
{
	*out = vundef(NULL, NULL);
	if (isfinite(d))
		return vset(out, json_real(d));
	json_t *j = json_real(signbit(d) ? -DBL_MAX : DBL_MAX); /* truthy, as inf and nan are */
	struct special *s;
	int rc = j ? mx_jinja_special_add(j, SK_FLOATX, &s) : MX_ENOMEM;
	if (rc) {
		json_decref(j);
		return rc;
	}
	s->d = d;
	out->j = j;
	return 0;
}

void mx_jinja_real_num(const json_t *j, struct num *n)
{
	n->is_int = 0, n->i = 0, n->big = NULL;
	n->d = json_real_value(j);
	struct special *s = mx_jinja_special_find(j);
	if (s == NULL)
		return;
	if (s->kind == SK_BIGINT) {
		n->is_int = 1;
		n->big = s->text;
		n->i = s->d < 0 ? LLONG_MIN : LLONG_MAX;
		n->d = s->d;
	} else if (s->kind == SK_FLOATX) {
		n->d = s->d;
	}
}

/* ------------------------------------------------------------------------
 * Arithmetic and comparison.
 * ---------------------------------------------------------------------- */

int mx_jinja_big_arith(struct render *r, const struct expr *e, int op, const struct num *x,
                       const struct num *y, struct val *out)
{
	struct bn *a = mx_malloc(3 * sizeof *a);
	if (a == NULL)
		return MX_ENOMEM;
	struct bn *b = a + 1, *c = a + 2, q;
	int rc = 0, big = 0;
	if (num_to_bn(x, a) || num_to_bn(y, b))
		big = 1;
	switch (big ? -1 : op) {
	case OP_ADD: big = bn_add(c, a, b, 0); break;
	case OP_SUB: big = bn_add(c, a, b, 1); break;
	case OP_MUL: big = bn_mul(c, a, b); break;
	case OP_FLOORDIV:
	case OP_MOD:
		if (b->n == 0) {
			rc = mx_jinja_rerr(r, e, MX_EINVAL, "integer division or modulo by zero");
			break;
		}
		if (op == OP_FLOORDIV)
			bn_divmod(c, &q, a, b);
		else
			bn_divmod(&q, c, a, b);
		break;
	case OP_POW: {
		/* y is a non-negative int; huge exponents only for 0, 1 and -1 */
		json_int_t ex = y->i;
		size_t bits = bn_bits(a);
		if (y->big || (bits > 1 && (double)(bits - 1) * (double)ex > (double)MAX_LIMBS * 32)) {
			big = 1;
			break;
		}
		bn_from_i64(c, 1);
		while (ex > 0 && big == 0) {
			if ((ex & 1) && (big = bn_mul(c, c, a)))
				break;
			ex >>= 1;
			if (ex && (big = bn_mul(a, a, a)))
				break;
		}
		break;
	}
	default: big = 1; break;
	}
	if (rc == 0 && big == -2)
		rc = MX_ENOMEM;
	else if (rc == 0 && big)
		rc = mx_jinja_rerr(r, e, MX_EINVAL, "integer too large (limit about %d digits)",
		                   (int)(MAX_LIMBS * 32 * 0.30103));
	else if (rc == 0)
		rc = mk_bn(r, e, c, out);
	mx_free(a);
	return rc;
}

int mx_jinja_big_neg(struct render *r, const struct expr *e, const struct num *x, struct val *out)
{
	struct bn *a = mx_malloc(sizeof *a);
	if (a == NULL)
		return MX_ENOMEM;
	int rc = 0;
	if (num_to_bn(x, a))
		rc = mx_jinja_rerr(r, e, MX_EINVAL, "integer too large");
	else {
		a->neg = a->n ? !a->neg : 0;
		rc = mk_bn(r, e, a, out);
	}
	mx_free(a);
	return rc;
}

/* int (big or not) x against double d: -1, 0, 1; 2 when d is nan. */
static int int_cmp_double(const struct num *x, double d)
{
	if (isnan(d))
		return 2;
	if (isinf(d))
		return d > 0 ? -1 : 1;
	if (x->big == NULL) {
		if (d >= 9223372036854775808.0)
			return -1;
		if (d < -9223372036854775808.0)
			return 1;
		double fl = floor(d);
		json_int_t li = (json_int_t)fl;
		if (x->i != li)
			return x->i < li ? -1 : 1;
		return d > fl ? -1 : 0;
	}
	/* |x| >= 2**63 */
	if (fabs(d) < 9223372036854775808.0)
		return x->d < 0 ? -1 : 1;
	/* d is an integer here: compare exactly */
	char buf[400];
	snprintf(buf, sizeof buf, "%.0f", d);
	struct bn *a = mx_malloc(2 * sizeof *a);
	if (a == NULL)
		return x->d < d ? -1 : x->d > d;
	int c = 0;
	if (bn_from_text(&a[0], x->big) == 0 && bn_from_text(&a[1], buf) == 0)
		c = bn_cmp(&a[0], &a[1]);
	mx_free(a);
	return c;
}

int mx_jinja_num_cmp(const struct num *x, const struct num *y)
{
	if (x->is_int && y->is_int) {
		if (x->big == NULL && y->big == NULL)
			return x->i < y->i ? -1 : x->i > y->i;
		struct bn *a = mx_malloc(2 * sizeof *a);
		if (a == NULL)
			return 0;
		int c = 0;
		if (num_to_bn(x, &a[0]) == 0 && num_to_bn(y, &a[1]) == 0)
			c = bn_cmp(&a[0], &a[1]);
		mx_free(a);
		return c;
	}
	if (x->is_int) {
		return int_cmp_double(x, y->d);
	}
	if (y->is_int) {
		int c = int_cmp_double(y, x->d);
		return c == 2 ? 2 : -c;
	}
	if (isnan(x->d) || isnan(y->d))
		return 2;
	return x->d < y->d ? -1 : x->d > y->d;
}
