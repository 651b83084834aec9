/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tests — Jinja's builtin tests (x is defined, x is divisibleby(3), …),
 * looked up by name at compile (mx_jinja_find_test).
 */
#include "jinja/jinja_int.h"

#include <string.h>

/* ------------------------------------------------------------------------
 * Tests (x is name(args)).
 * ---------------------------------------------------------------------- */

static int t_defined(struct render *r, const struct expr *e, const struct val *v, const struct val *a,
                     int *res)
{
	(void)r, (void)e, (void)a;
	*res = v->j != NULL;
	return 0;
}

static int t_undefined(struct render *r, const struct expr *e, const struct val *v, const struct val *a,
                       int *res)
{
	(void)r, (void)e, (void)a;
	*res = v->j == NULL;
	return 0;
}

static int t_none(struct render *r, const struct expr *e, const struct val *v, const struct val *a, int *res)
{
	(void)r, (void)e, (void)a;
	*res = v->j && json_is_null(v->j);
	return 0;
}

static int t_boolean(struct render *r, const struct expr *e, const struct val *v, const struct val *a,
                     int *res)
{
	(void)r, (void)e, (void)a;
	*res = v->j && json_is_boolean(v->j);
	return 0;
}

static int t_true(struct render *r, const struct expr *e, const struct val *v, const struct val *a, int *res)
{
	(void)r, (void)e, (void)a;
	*res = v->j && json_is_true(v->j);
	return 0;
}

static int t_false(struct render *r, const struct expr *e, const struct val *v, const struct val *a, int *res)
{
	(void)r, (void)e, (void)a;
	*res = v->j && json_is_false(v->j);
	return 0;
}

static int t_integer(struct render *r, const struct expr *e, const struct val *v, const struct val *a,
                     int *res)
{
	(void)r, (void)e, (void)a;
	*res = v->j && json_is_integer(v->j);
	return 0;
}

static int t_float(struct render *r, const struct expr *e, const struct val *v, const struct val *a, int *res)
{
	(void)r, (void)e, (void)a;
	*res = v->j && json_is_real(v->j);
	return 0;
}

static int t_number(struct render *r, const struct expr *e, const struct val *v, const struct val *a,
                    int *res)
{
	(void)r, (void)e, (void)a;
	struct num n = {0};
	*res = get_num(v->j, &n);
	return 0;
}

static int t_string(struct render *r, const struct expr *e, const struct val *v, const struct val *a,
                    int *res)
{
	(void)r, (void)e, (void)a;
	*res = v->j && json_is_string(v->j);
	return 0;
}

static int t_mapping(struct render *r, const struct expr *e, const struct val *v, const struct val *a,
                     int *res)
{
	(void)r, (void)e, (void)a;
	*res = v->j && json_is_object(v->j);
	return 0;
}

/* iterable and sequence: str, list, dict, and Undefined (it has __iter__ and __len__). */
static int t_iterable(struct render *r, const struct expr *e, const struct val *v, const struct val *a,
                      int *res)
{
	(void)r, (void)e, (void)a;
	*res = v->j == NULL || json_is_string(v->j) || json_is_array(v->j) || json_is_object(v->j);
	return 0;
}

static int t_callable(struct render *r, const struct expr *e, const struct val *v, const struct val *a,
                      int *res)
{
	(void)r, (void)e, (void)a;
	int k = v->j ? mx_jinja_kind(v->j) : 0;
	*res = k == SK_MACRO || k == SK_JOINER || k == SK_LOOP || k == SK_METHOD;
	return 0;
}

static int mod_num(struct render *r, const struct expr *e, const struct val *v, const struct val *by,
                   struct num *out)
{
	struct val m;
	int rc = mx_jinja_binop(r, e, OP_MOD, v, by, &m);
	if (rc)
		return rc;
	get_num(m.j, out);
	vdrop(&m);
	return 0;
}

static int t_odd_even(struct render *r, const struct expr *e, const struct val *v, int *res, int want_odd)
{
	struct val two;
	struct num m = {0};
	int rc = vset(&two, json_integer(2));
	if (rc || (rc = mod_num(r, e, v, &two, &m)) != 0) {
		vdrop(&two);
		return rc;
	}
	vdrop(&two);
	*res = want_odd ? m.d == 1 : m.d == 0;
	return 0;
}

static int t_odd(struct render *r, const struct expr *e, const struct val *v, const struct val *a, int *res)
{
	(void)a;
	return t_odd_even(r, e, v, res, 1);
}

static int t_even(struct render *r, const struct expr *e, const struct val *v, const struct val *a, int *res)
{
	(void)a;
	return t_odd_even(r, e, v, res, 0);
}

static int t_divisibleby(struct render *r, const struct expr *e, const struct val *v, const struct val *a,
                         int *res)
{
	struct num m = {0};
	int rc = mod_num(r, e, v, &a[0], &m);
	*res = rc == 0 && m.d == 0;
	return rc;
}

#define COMPARE_TEST(fname, op)                                                                            \
	static int fname(struct render *r, const struct expr *e, const struct val *v, const struct val *a, \
	                 int *res)                                                                         \
	{                                                                                                  \
		return mx_jinja_compare_values(r, e, op, v, &a[0], res);                                   \
	}

COMPARE_TEST(t_eq, OP_EQ)
COMPARE_TEST(t_ne, OP_NE)
COMPARE_TEST(t_lt, OP_LT)
COMPARE_TEST(t_le, OP_LE)
COMPARE_TEST(t_gt, OP_GT)
COMPARE_TEST(t_ge, OP_GE)
COMPARE_TEST(t_in, OP_IN)

static int t_sameas(struct render *r, const struct expr *e, const struct val *v, const struct val *a,
                    int *res)
{
	(void)r, (void)e;
	const json_t *x = v->j, *y = a[0].j;
	*res = x == y || (x && y &&
	                  ((json_is_null(x) && json_is_null(y)) || (json_is_true(x) && json_is_true(y)) ||
	                   (json_is_false(x) && json_is_false(y)) ||
	                   (json_is_integer(x) && json_is_integer(y) &&
	                    json_integer_value(x) == json_integer_value(y) && json_integer_value(x) >= -5 &&
	                    json_integer_value(x) <= 256)));
	return 0;
}

static int t_lower_upper(const struct val *v, int *res, int upper)
{
	*res = v->j && json_is_string(v->j) &&
	       mx_jinja_str_cased(json_string_value(v->j), json_string_length(v->j), upper);
	return 0;
}

static int t_lower(struct render *r, const struct expr *e, const struct val *v, const struct val *a, int *res)
{
	(void)r, (void)e, (void)a;
	return t_lower_upper(v, res, 0);
}

static int t_upper(struct render *r, const struct expr *e, const struct val *v, const struct val *a, int *res)
{
	(void)r, (void)e, (void)a;
	return t_lower_upper(v, res, 1);
}

static int t_filter(struct render *r, const struct expr *e, const struct val *v, const struct val *a,
                    int *res)
{
	(void)r, (void)e, (void)a;
	*res = v->j && json_is_string(v->j) && mx_jinja_find_filter(json_string_value(v->j)) != NULL;
	return 0;
}

static int t_test(struct render *r, const struct expr *e, const struct val *v, const struct val *a, int *res)
{
	(void)r, (void)e, (void)a;
	*res = v->j && json_is_string(v->j) && mx_jinja_find_test(json_string_value(v->j)) != NULL;
	return 0;
}

static const struct test_def tests[] = {
        {"!=", t_ne, 1},
        {"<", t_lt, 1},
        {"<=", t_le, 1},
        {"==", t_eq, 1},
        {">", t_gt, 1},
        {">=", t_ge, 1},
        {"boolean", t_boolean, 0},
        {"callable", t_callable, 0},
        {"defined", t_defined, 0},
        {"divisibleby", t_divisibleby, 1},
        {"eq", t_eq, 1},
        {"equalto", t_eq, 1},
        {"escaped", t_callable, 0},
        {"even", t_even, 0},
        {"false", t_false, 0},
        {"filter", t_filter, 0},
        {"float", t_float, 0},
        {"ge", t_ge, 1},
        {"greaterthan", t_gt, 1},
        {"gt", t_gt, 1},
        {"in", t_in, 1},
        {"integer", t_integer, 0},
        {"iterable", t_iterable, 0},
        {"le", t_le, 1},
        {"lessthan", t_lt, 1},
        {"lower", t_lower, 0},
        {"lt", t_lt, 1},
        {"mapping", t_mapping, 0},
        {"ne", t_ne, 1},
        {"none", t_none, 0},
        {"number", t_number, 0},
        {"odd", t_odd, 0},
        {"sameas", t_sameas, 1},
        {"sequence", t_iterable, 0},
        {"string", t_string, 0},
        {"test", t_test, 0},
        {"true", t_true, 0},
        {"undefined", t_undefined, 0},
        {"upper", t_upper, 0},
};

const struct test_def *mx_jinja_find_test(const char *name)
{
	for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++)
		if (strcmp(tests[i].name, name) == 0)
			return &tests[i];
	return NULL;
}
