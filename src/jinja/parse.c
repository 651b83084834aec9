/* SPDX-License-Identifier: Apache-2.0 */
/*
 * parse — the Jinja parser: tokens to a tree of statements and expressions
 * in the template's arena, immutable once compile returns. Nesting and
 * expression depth are bounded (MX_JINJA_MAX_NESTING, _EXPR_DEPTH).
 */
#include "jinja/jinja_int.h"

#include <stdio.h>
#include <string.h>

/* ------------------------------------------------------------------------
 * Parser: recursive descent over the tokens, Jinja's grammar and
 * precedence (condexpr < or < and < not < compare < + - < ~ < * / // % <
 * ** < unary < postfix/filter/test).
 * ---------------------------------------------------------------------- */

struct callargs {
	struct expr **args;
	size_t n, cap;
	const char **kwnames;
	size_t nkw, kwcap;
	struct expr **kwvals;
	size_t kwvcap;
	const struct token *at;
};

static const struct token *cur(struct parser *p)
{
	return &p->t[p->pos];
}

static const struct token *peek(struct parser *p, size_t k)
{
	size_t i = p->pos + k;
	return &p->t[i < p->ntoks ? i : p->ntoks - 1];
}

static void advance(struct parser *p)
{
	if (p->t[p->pos].type != TK_EOF)
		p->pos++;
}

static int is_name(const struct token *t, const char *s)
{
	return t->type == TK_NAME && t->n == strlen(s) && memcmp(t->p, s, t->n) == 0;
}

static int is_op(const struct token *t, enum op op)
{
	return t->type == TK_OP && t->op == op;
}

static const char *tok_desc(const struct token *t, char *buf, size_t sz)
{
	switch (t->type) {
	case TK_EOF: return "end of template";
	case TK_DATA: return "template data";
	case TK_VAR_BEGIN: return "{{";
	case TK_VAR_END: return "}}";
	case TK_BLOCK_BEGIN: return "{%";
	case TK_BLOCK_END: return "%}";
	default: break;
	}
	size_t n = t->n < 40 ? t->n : 40;
	snprintf(buf, sz, "%.*s%s", (int)n, t->p, t->n > n ? "..." : "");
	return buf;
}

__attribute__((format(printf, 4, 5))) static void *perr(struct parser *p, const struct token *at, int code,
                                                        const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	mx_jinja_fail_atv(p->err, code, at->line, at->col, fmt, ap);
	va_end(ap);
	if (!p->failed)
		p->failed = code;
	return NULL;
}

static void *oom(struct parser *p)
{
	return perr(p, cur(p), MX_ENOMEM, "out of memory");
}

static void *unexpected(struct parser *p, const char *expected)
{
	char b[64];
	const struct token *t = cur(p);
	if (expected)
		return perr(p, t, MX_EINVAL, "expected %s, got '%s'", expected, tok_desc(t, b, sizeof b));
	if (t->type == TK_EOF)
		return perr(p, t, MX_EINVAL, "unexpected end of template");
	return perr(p, t, MX_EINVAL, "unexpected '%s'", tok_desc(t, b, sizeof b));
}

#define PUSH(p, arr, n, cap, item)                                                            \
	(((n) == (cap) &&                                                                     \
	  ((arr) = mx_jinja_vec_grow((p)->arena, (arr), (n), &(cap), sizeof *(arr))) == NULL) \
	         ? (oom(p), -1)                                                               \
	         : ((arr)[(n)++] = (item), 0))

static int expect_op(struct parser *p, enum op op)
{
	if (!is_op(cur(p), op)) {
		char want[16];
		snprintf(want, sizeof want, "'%s'", mx_jinja_op_text(op));
		unexpected(p, want);
		return -1;
	}
	advance(p);
	return 0;
}

static int expect_block_end(struct parser *p)
{
	if (cur(p)->type != TK_BLOCK_END) {
		unexpected(p, "end of tag '%}'");
		return -1;
	}
	advance(p);
	return 0;
}

static struct expr *new_expr(struct parser *p, enum ekind kind, const struct token *at)
{
	struct expr *e = mx_jinja_arena_alloc(p->arena, sizeof *e);
	if (e == NULL)
		return oom(p);
	e->kind = kind;
	e->line = at->line;
	e->col = at->col;
	return e;
}

static int depth_of(const struct expr *e)
{
	return e ? e->depth : 0;
}

/* Record the depth of a finished node; refuse trees deeper than the limit. */
static struct expr *fin(struct parser *p, struct expr *e)
{
	if (e == NULL)
		return NULL;
	int d = depth_of(e->a);
	if (depth_of(e->b) > d)
		d = depth_of(e->b);
	if (depth_of(e->c) > d)
		d = depth_of(e->c);
	for (size_t i = 0; i < e->nargs; i++)
		if (depth_of(e->args[i]) > d)
			d = depth_of(e->args[i]);
	for (size_t i = 0; i < e->nvals; i++)
		if (depth_of(e->vals[i]) > d)
			d = depth_of(e->vals[i]);
	e->depth = d + 1;
	if (e->depth > MX_JINJA_MAX_EXPR_DEPTH) {
		const struct token at = {.line = e->line, .col = e->col};
		return perr(p, &at, MX_ELIMIT, "expression nested too deeply (limit %d)",
		            MX_JINJA_MAX_EXPR_DEPTH);
	}
	return e;
}

static int enter(struct parser *p)
{
	if (++p->depth > MX_JINJA_MAX_EXPR_DEPTH) {
		perr(p, cur(p), MX_ELIMIT, "expression nested too deeply (limit %d)",
		     MX_JINJA_MAX_EXPR_DEPTH);
		return -1;
	}
	return 0;
}

static const char *tok_name(struct parser *p, const struct token *t)
{
	const char *s = mx_jinja_arena_strndup(p->arena, t->p, t->n);
	if (s == NULL)
		oom(p);
	return s;
}

static struct expr *parse_expression(struct parser *p, int with_condexpr);
static struct expr *parse_tuple(struct parser *p, int with_condexpr, int explicit_parens);
static struct expr *parse_or(struct parser *p);
static struct expr *parse_unary(struct parser *p, int with_filter);

static int parse_call_args(struct parser *p, struct callargs *ca)
{
	memset(ca, 0, sizeof *ca);
	ca->at = cur(p);
	advance(p); /* ( */
	for (;;) {
		if (is_op(cur(p), OP_RPAREN))
			break;
		if (ca->n + ca->nkw > 0) {
			if (expect_op(p, OP_COMMA))
				return -1;
			if (is_op(cur(p), OP_RPAREN))
				break;
		}
		const struct token *t = cur(p);
		if (is_op(t, OP_MUL) || is_op(t, OP_POW)) {
			perr(p, t, MX_EINVAL, "*args and **kwargs are not supported");
			return -1;
		}
		if (ca->n + ca->nkw >= MAX_CALL_ARGS) {
			perr(p, t, MX_ELIMIT, "too many arguments (limit %d)", MAX_CALL_ARGS);
			return -1;
		}
		if (t->type == TK_NAME && is_op(peek(p, 1), OP_ASSIGN)) {
			const char *name = tok_name(p, t);
			if (name == NULL)
				return -1;
			for (size_t i = 0; i < ca->nkw; i++)
				if (strcmp(ca->kwnames[i], name) == 0) {
					perr(p, t, MX_EINVAL, "keyword argument repeated: '%s'", name);
					return -1;
				}
			advance(p);
			advance(p);
			struct expr *v = parse_expression(p, 1);
			if (v == NULL)
				return -1;
			size_t nkw = ca->nkw;
			if (PUSH(p, ca->kwnames, ca->nkw, ca->kwcap, name) ||
			    PUSH(p, ca->kwvals, nkw, ca->kwvcap, v))
				return -1;
		} else {
			if (ca->nkw) {
				perr(p, t, MX_EINVAL, "positional argument follows keyword argument");
				return -1;
			}
			struct expr *v = parse_expression(p, 1);
			if (v == NULL || PUSH(p, ca->args, ca->n, ca->cap, v))
				return -1;
		}
	}
	advance(p); /* ) */
	return 0;
}

/* Bind call arguments to a fixed parameter list (Python rules). */
static struct expr **bind_args(struct parser *p, const char *what, const char *name,
                               const char *const *params, int nparams, int nrequired,
                               const struct callargs *ca, int allow_positional)
{
	const struct token *at = ca->at ? ca->at : cur(p);
	struct expr **slots = mx_jinja_arena_alloc(p->arena, (size_t)(nparams ? nparams : 1) * sizeof *slots);
	if (slots == NULL)
		return oom(p);
	if (allow_positional) {
		if (ca->n > (size_t)nparams)
			return perr(p, at, MX_EINVAL, "%s '%s' takes at most %d argument%s (%zu given)", what,
			            name, nparams, nparams == 1 ? "" : "s", ca->n);
		for (size_t i = 0; i < ca->n; i++)
			slots[i] = ca->args[i];
	}
	for (size_t k = 0; k < ca->nkw; k++) {
		int idx = -1;
		for (int i = 0; i < nparams; i++)
			if (strcmp(params[i], ca->kwnames[k]) == 0)
				idx = i;
		if (idx < 0)
			return perr(p, at, MX_EINVAL, "%s '%s' got an unexpected keyword argument '%s'", what,
			            name, ca->kwnames[k]);
		if (slots[idx])
			return perr(p, at, MX_EINVAL, "%s '%s' got multiple values for argument '%s'", what,
			            name, ca->kwnames[k]);
		slots[idx] = ca->kwvals[k];
	}
	for (int i = 0; i < nrequired; i++)
		if (slots[i] == NULL)
			return perr(p, at, MX_EINVAL, "%s '%s' missing required argument '%s'", what, name,
			            params[i]);
	return slots;
}

static struct expr *parse_filter(struct parser *p, struct expr *operand)
{
	const struct token *bar = cur(p);
	advance(p);
	const struct token *t = cur(p);
	if (t->type != TK_NAME)
		return unexpected(p, "a filter name after '|'");
	char name[128];
	size_t len = 0;
	for (;;) {
		if (len + t->n + 2 > sizeof name)
			return perr(p, t, MX_EINVAL, "filter name too long");
		memcpy(name + len, t->p, t->n);
		len += t->n;
		advance(p);
		if (!is_op(cur(p), OP_DOT) || peek(p, 1)->type != TK_NAME)
			break;
		name[len++] = '.';
		advance(p);
		t = cur(p);
	}
	name[len] = '\0';
	const struct filter_def *def = mx_jinja_find_filter(name);
	if (def == NULL && mx_jinja_unsupported_filter(name))
		return perr(p, bar, MX_EINVAL, "unsupported filter '%s'", name);
	struct callargs ca;
	memset(&ca, 0, sizeof ca);
	if (is_op(cur(p), OP_LPAREN) && parse_call_args(p, &ca))
		return NULL;
	ca.at = bar;
	struct expr *e = new_expr(p, E_FILTER, bar);
	if (e == NULL)
		return NULL;
	e->a = operand;
	if (def == NULL) {
		/* unknown: an error after the parse unless it sits in an if branch (then at render) */
		struct unknown_filter u = {bar, mx_jinja_arena_strndup(p->arena, name, len), p->soft};
		if (u.name == NULL || PUSH(p, p->unknown, p->nunknown, p->unknown_cap, u))
			return NULL;
		e->name = u.name;
		e->args = ca.args;
		e->nargs = ca.n;
		e->vals = ca.kwvals;
		e->nvals = ca.nkw;
		e->kwnames = ca.kwnames;
		return fin(p, e);
	}
	e->filter = def;
	e->name = def->name;
	int np = nparams_of(def);
	if (def->variadic && def->params[0] && strcmp(def->params[0], "**") == 0) {
		e->args = ca.args;
		e->nargs = ca.n;
		e->vals = ca.kwvals;
		e->nvals = ca.nkw;
		e->kwnames = ca.kwnames;
	} else if (def->variadic) {
		e->args = ca.args;
		e->nargs = ca.n;
		e->vals = bind_args(p, "filter", def->name, def->params, np, 0, &ca, 0);
		e->nvals = (size_t)np;
		if (e->vals == NULL)
			return NULL;
	} else {
		e->args = bind_args(p, "filter", def->name, def->params, np, def->nrequired, &ca, 1);
		e->nargs = (size_t)np;
		if (e->args == NULL)
			return NULL;
	}
	return fin(p, e);
}

static struct expr *parse_primary(struct parser *p);
static struct expr *parse_postfix(struct parser *p, struct expr *e);

static struct expr *parse_test(struct parser *p, struct expr *operand)
{
	const struct token *is = cur(p);
	advance(p);
	int negate = 0;
	if (is_name(cur(p), "not")) {
		negate = 1;
		advance(p);
	}
	const struct token *t = cur(p);
	if (t->type != TK_NAME)
		return unexpected(p, "a test name after 'is'");
	char name[64];
	snprintf(name, sizeof name, "%.*s", (int)(t->n < 63 ? t->n : 63), t->p);
	const struct test_def *def = mx_jinja_find_test(name);
	if (def == NULL)
		return perr(p, t, MX_EINVAL, "unknown test '%s'", name);
	advance(p);
	struct callargs ca;
	memset(&ca, 0, sizeof ca);
	ca.at = t;
	const struct token *n = cur(p);
	if (is_op(n, OP_LPAREN)) {
		if (parse_call_args(p, &ca))
			return NULL;
		if (ca.nkw)
			return perr(p, t, MX_EINVAL, "test '%s' takes positional arguments only", name);
	} else if ((n->type == TK_NAME || n->type == TK_STRING || n->type == TK_INT || n->type == TK_FLOAT ||
	            is_op(n, OP_LPAREN) || is_op(n, OP_LBRACKET) || is_op(n, OP_LBRACE)) &&
	           !is_name(n, "else") && !is_name(n, "or") && !is_name(n, "and")) {
		if (is_name(n, "is"))
			return perr(p, n, MX_EINVAL, "tests cannot be chained with 'is'");
		struct expr *arg = parse_primary(p);
		if (arg)
			arg = parse_postfix(p, arg);
		if (arg == NULL || PUSH(p, ca.args, ca.n, ca.cap, arg))
			return NULL;
	}
	if (ca.n != (size_t)def->nargs)
		return perr(p, t, MX_EINVAL, "test '%s' takes %d argument%s (%zu given)", name, def->nargs,
		            def->nargs == 1 ? "" : "s", ca.n);
	struct expr *e = new_expr(p, E_TEST, is);
	if (e == NULL)
		return NULL;
	e->a = operand;
	e->test = def;
	e->negate = negate;
	e->args = ca.args;
	e->nargs = ca.n;
	return fin(p, e);
}

static struct expr *parse_call(struct parser *p, struct expr *func)
{
	struct callargs ca;
	const struct token *at = cur(p);
	if (parse_call_args(p, &ca))
		return NULL;
	struct expr *e = new_expr(p, E_CALL, at);
	if (e == NULL)
		return NULL;
	e->a = func;
	e->args = ca.args;
	e->nargs = ca.n;
	e->kwnames = ca.kwnames;
	e->vals = ca.kwvals;
	e->nvals = ca.nkw;
	if (func->kind == E_NAME && strcmp(func->name, "lipsum") == 0)
		return perr(p, at, MX_EINVAL, "unsupported function '%s'", func->name);
	return fin(p, e);
}

static struct expr *parse_subscript(struct parser *p, struct expr *obj)
{
	const struct token *at = cur(p);
	advance(p); /* [ */
	struct expr *idx[3] = {NULL, NULL, NULL};
	int is_slice = 0;
	if (!is_op(cur(p), OP_COLON)) {
		if ((idx[0] = parse_expression(p, 1)) == NULL)
			return NULL;
	}
	if (is_op(cur(p), OP_COLON)) {
		is_slice = 1;
		advance(p);
		if (!is_op(cur(p), OP_RBRACKET) && !is_op(cur(p), OP_COLON) &&
		    (idx[1] = parse_expression(p, 1)) == NULL)
			return NULL;
		if (is_op(cur(p), OP_COLON)) {
			advance(p);
			if (!is_op(cur(p), OP_RBRACKET) && (idx[2] = parse_expression(p, 1)) == NULL)
				return NULL;
		}
	}
	if (is_op(cur(p), OP_COMMA))
		return perr(p, cur(p), MX_EINVAL, "tuple subscripts are not supported");
	if (expect_op(p, OP_RBRACKET))
		return NULL;
	struct expr *e = new_expr(p, is_slice ? E_SLICE : E_ITEM, at);
	if (e == NULL)
		return NULL;
	e->a = obj;
	if (is_slice) {
		e->args = mx_jinja_arena_alloc(p->arena, 3 * sizeof *e->args);
		if (e->args == NULL)
			return oom(p);
		memcpy(e->args, idx, sizeof idx);
		e->nargs = 3;
	} else {
		e->b = idx[0];
	}
	return fin(p, e);
}

static struct expr *parse_postfix(struct parser *p, struct expr *e)
{
	while (e) {
		const struct token *t = cur(p);
		if (is_op(t, OP_DOT)) {
			advance(p);
			const struct token *n = cur(p);
			struct expr *x;
			if (n->type == TK_NAME) {
				if ((x = new_expr(p, E_ATTR, t)) == NULL ||
				    (x->name = tok_name(p, n)) == NULL)
					return NULL;
				x->name_len = n->n;
			} else if (n->type == TK_INT) {
				struct expr *k = new_expr(p, E_INT, n);
				if (k == NULL || (x = new_expr(p, E_ITEM, t)) == NULL)
					return NULL;
				k->ival = n->ival;
				x->b = fin(p, k);
			} else {
				return unexpected(p, "an attribute name after '.'");
			}
			advance(p);
			x->a = e;
			e = fin(p, x);
		} else if (is_op(t, OP_LBRACKET)) {
			e = parse_subscript(p, e);
		} else if (is_op(t, OP_LPAREN)) {
			e = parse_call(p, e);
		} else {
			break;
		}
	}
	return e;
}

static struct expr *parse_filter_expr(struct parser *p, struct expr *e)
{
	while (e) {
		const struct token *t = cur(p);
		if (is_op(t, OP_PIPE))
			e = parse_filter(p, e);
		else if (is_name(t, "is"))
			e = parse_test(p, e);
		else if (is_op(t, OP_LPAREN))
			e = parse_call(p, e);
		else
			break;
	}
	return e;
}

static struct expr *parse_list(struct parser *p)
{
	struct expr *e = new_expr(p, E_LIST, cur(p));
	if (e == NULL)
		return NULL;
	size_t cap = 0;
	advance(p);
	while (!is_op(cur(p), OP_RBRACKET)) {
		if (e->nargs && expect_op(p, OP_COMMA))
			return NULL;
		if (is_op(cur(p), OP_RBRACKET))
			break;
		struct expr *item = parse_expression(p, 1);
		if (item == NULL || PUSH(p, e->args, e->nargs, cap, item))
			return NULL;
	}
	advance(p);
	return fin(p, e);
}

static struct expr *parse_dict(struct parser *p)
{
	struct expr *e = new_expr(p, E_DICT, cur(p));
	if (e == NULL)
		return NULL;
	size_t kcap = 0, vcap = 0;
	advance(p);
	while (!is_op(cur(p), OP_RBRACE)) {
		if (e->nargs && expect_op(p, OP_COMMA))
			return NULL;
		if (is_op(cur(p), OP_RBRACE))
			break;
		struct expr *k = parse_expression(p, 1);
		if (k == NULL || expect_op(p, OP_COLON))
			return NULL;
		struct expr *v = parse_expression(p, 1);
		if (v == NULL || PUSH(p, e->args, e->nargs, kcap, k) || PUSH(p, e->vals, e->nvals, vcap, v))
			return NULL;
	}
	advance(p);
	return fin(p, e);
}

static struct expr *parse_primary(struct parser *p)
{
	const struct token *t = cur(p);
	struct expr *e;
	switch (t->type) {
	case TK_NAME:
		if (is_name(t, "true") || is_name(t, "True"))
			e = new_expr(p, E_TRUE, t);
		else if (is_name(t, "false") || is_name(t, "False"))
			e = new_expr(p, E_FALSE, t);
		else if (is_name(t, "none") || is_name(t, "None"))
			e = new_expr(p, E_NONE, t);
		else if ((e = new_expr(p, E_NAME, t)) != NULL) {
			if ((e->name = tok_name(p, t)) == NULL)
				return NULL;
			e->name_len = t->n;
		}
		advance(p);
		return fin(p, e);
	case TK_STRING: {
		size_t len = 0, k = p->pos;
		while (p->t[k].type == TK_STRING)
			len += p->t[k++].slen;
		if ((e = new_expr(p, E_STR, t)) == NULL)
			return NULL;
		char *s = mx_jinja_arena_alloc(p->arena, len + 1);
		if (s == NULL)
			return oom(p);
		len = 0;
		while (cur(p)->type == TK_STRING) {
			memcpy(s + len, cur(p)->sval, cur(p)->slen);
			len += cur(p)->slen;
			advance(p);
		}
		e->name = s;
		e->name_len = len;
		return fin(p, e);
	}
	case TK_INT:
		if ((e = new_expr(p, E_INT, t)) != NULL) {
			e->ival = t->ival;
			e->name = t->sval; /* a big integer's digits, else NULL */
		}
		advance(p);
		return fin(p, e);
	case TK_FLOAT:
		if ((e = new_expr(p, E_FLOAT, t)) != NULL)
			e->fval = t->fval;
		advance(p);
		return fin(p, e);
	case TK_OP:
		if (t->op == OP_LPAREN) {
			advance(p);
			e = parse_tuple(p, 1, 1);
			if (e == NULL || expect_op(p, OP_RPAREN))
				return NULL;
			return e;
		}
		if (t->op == OP_LBRACKET)
			return parse_list(p);
		if (t->op == OP_LBRACE)
			return parse_dict(p);
		return unexpected(p, NULL);
	case TK_VAR_END:
	case TK_BLOCK_END:
	case TK_EOF: return unexpected(p, "an expression");
	default: return unexpected(p, NULL);
	}
}

static struct expr *parse_unary(struct parser *p, int with_filter)
{
	const struct token *t = cur(p);
	if (enter(p))
		return NULL;
	struct expr *e;
	if (is_op(t, OP_SUB) || is_op(t, OP_ADD)) {
		advance(p);
		struct expr *inner = parse_unary(p, 0);
		if (inner == NULL || (e = new_expr(p, t->op == OP_SUB ? E_NEG : E_POS, t)) == NULL)
			return NULL;
		e->a = inner;
		e = fin(p, e);
	} else {
		e = parse_primary(p);
	}
	e = parse_postfix(p, e);
	if (with_filter)
		e = parse_filter_expr(p, e);
	p->depth--;
	return e;
}

static struct expr *binary(struct parser *p, enum ekind kind, int op, const struct token *at, struct expr *a,
                           struct expr *b)
{
	if (a == NULL || b == NULL)
		return NULL;
	struct expr *e = new_expr(p, kind, at);
	if (e == NULL)
		return NULL;
	e->op = op;
	e->a = a;
	e->b = b;
	return fin(p, e);
}

static struct expr *parse_pow(struct parser *p)
{
	struct expr *e = parse_unary(p, 1);
	while (e && is_op(cur(p), OP_POW)) {
		const struct token *at = cur(p);
		advance(p);
		e = binary(p, E_BIN, OP_POW, at, e, parse_unary(p, 1));
	}
	return e;
}

static struct expr *parse_math2(struct parser *p)
{
	struct expr *e = parse_pow(p);
	while (e) {
		const struct token *at = cur(p);
		if (!(is_op(at, OP_MUL) || is_op(at, OP_DIV) || is_op(at, OP_FLOORDIV) || is_op(at, OP_MOD)))
			break;
		advance(p);
		e = binary(p, E_BIN, at->op, at, e, parse_pow(p));
	}
	return e;
}

static struct expr *parse_concat(struct parser *p)
{
	struct expr *first = parse_math2(p);
	if (first == NULL || !is_op(cur(p), OP_TILDE))
		return first;
	struct expr *e = new_expr(p, E_CONCAT, cur(p));
	if (e == NULL)
		return NULL;
	size_t cap = 0;
	if (PUSH(p, e->args, e->nargs, cap, first))
		return NULL;
	while (is_op(cur(p), OP_TILDE)) {
		advance(p);
		struct expr *x = parse_math2(p);
		if (x == NULL || PUSH(p, e->args, e->nargs, cap, x))
			return NULL;
	}
	return fin(p, e);
}

static struct expr *parse_math1(struct parser *p)
{
	struct expr *e = parse_concat(p);
	while (e) {
		const struct token *at = cur(p);
		if (!(is_op(at, OP_ADD) || is_op(at, OP_SUB)))
			break;
		advance(p);
		e = binary(p, E_BIN, at->op, at, e, parse_concat(p));
	}
	return e;
}

static struct expr *parse_compare(struct parser *p)
{
	struct expr *first = parse_math1(p);
	if (first == NULL)
		return NULL;
	struct expr *e = NULL;
	size_t cap = 0, ocap = 0, nops = 0;
	for (;;) {
		const struct token *t = cur(p);
		int op;
		if (t->type == TK_OP && t->op >= OP_EQ && t->op <= OP_GE) {
			op = t->op;
			advance(p);
		} else if (is_name(t, "in")) {
			op = OP_IN;
			advance(p);
		} else if (is_name(t, "not") && is_name(peek(p, 1), "in")) {
			op = OP_NOTIN;
			advance(p);
			advance(p);
		} else {
			break;
		}
		if (e == NULL) {
			if ((e = new_expr(p, E_COMPARE, t)) == NULL)
				return NULL;
			e->a = first;
		}
		struct expr *right = parse_math1(p);
		if (right == NULL || PUSH(p, e->args, e->nargs, cap, right) ||
		    PUSH(p, e->ops, nops, ocap, op))
			return NULL;
	}
	return e ? fin(p, e) : first;
}

static struct expr *parse_not(struct parser *p)
{
	const struct token *t = cur(p);
	if (!is_name(t, "not"))
		return parse_compare(p);
	advance(p);
	if (enter(p))
		return NULL;
	struct expr *inner = parse_not(p);
	p->depth--;
	struct expr *e;
	if (inner == NULL || (e = new_expr(p, E_NOT, t)) == NULL)
		return NULL;
	e->a = inner;
	return fin(p, e);
}

static struct expr *parse_and(struct parser *p)
{
	struct expr *e = parse_not(p);
	while (e && is_name(cur(p), "and")) {
		const struct token *at = cur(p);
		advance(p);
		e = binary(p, E_AND, 0, at, e, parse_not(p));
	}
	return e;
}

static struct expr *parse_or(struct parser *p)
{
	struct expr *e = parse_and(p);
	while (e && is_name(cur(p), "or")) {
		const struct token *at = cur(p);
		advance(p);
		e = binary(p, E_OR, 0, at, e, parse_and(p));
	}
	return e;
}

static struct expr *parse_condexpr(struct parser *p)
{
	size_t unknown_mark = p->nunknown;
	struct expr *e = parse_or(p);
	while (e && is_name(cur(p), "if")) {
		const struct token *at = cur(p);
		advance(p);
		struct expr *test = parse_or(p);
		if (test == NULL)
			return NULL;
		struct expr *alt = NULL;
		if (is_name(cur(p), "else")) {
			advance(p);
			if (enter(p))
				return NULL;
			alt = parse_condexpr(p);
			p->depth--;
			if (alt == NULL)
				return NULL;
		}
		struct expr *c = new_expr(p, E_COND, at);
		if (c == NULL)
			return NULL;
		for (size_t i = unknown_mark; i < p->nunknown; i++)
			p->unknown[i].soft = 1; /* Jinja compiles an inline if in a soft frame */
		c->a = e;
		c->b = test;
		c->c = alt;
		e = fin(p, c);
	}
	return e;
}

static struct expr *parse_expression(struct parser *p, int with_condexpr)
{
	return with_condexpr ? parse_condexpr(p) : parse_or(p);
}

/* An expression, or a tuple of them: "a, b" (a list at render time). */
static struct expr *parse_tuple(struct parser *p, int with_condexpr, int explicit_parens)
{
	const struct token *at = cur(p);
	struct expr *tuple = NULL, *first = NULL;
	size_t cap = 0;
	for (;;) {
		const struct token *t = cur(p);
		if (t->type == TK_VAR_END || t->type == TK_BLOCK_END || is_op(t, OP_RPAREN))
			break;
		struct expr *e = parse_expression(p, with_condexpr);
		if (e == NULL)
			return NULL;
		if (first == NULL && tuple == NULL) {
			first = e;
		} else {
			if (PUSH(p, tuple->args, tuple->nargs, cap, e))
				return NULL;
		}
		if (!is_op(cur(p), OP_COMMA))
			break;
		if (tuple == NULL) {
			if ((tuple = new_expr(p, E_LIST, at)) == NULL ||
			    PUSH(p, tuple->args, tuple->nargs, cap, first))
				return NULL;
			first = NULL;
		}
		advance(p);
	}
	if (tuple) {
		tuple->op = 1; /* a tuple */
		return fin(p, tuple);
	}
	if (first)
		return first;
	if (explicit_parens) {
		struct expr *e = new_expr(p, E_LIST, at);
		if (e)
			e->op = 1;
		return fin(p, e);
	}
	return unexpected(p, "an expression");
}

/* ---- statements ---- */

static const char *const unsupported_tags[] = {
        "include",  "import", "from",     "extends",   "block",      "endblock",      "do",    "break",
        "continue", "trans",  "endtrans", "pluralize", "autoescape", "endautoescape", "print",
};

static const char *const closing_tags[] = {"elif",   "else",     "endif",   "endfor",    "endset",
                                           "endraw", "endmacro", "endcall", "endfilter", "endwith"};

static struct stmt *new_stmt(struct parser *p, enum skind kind, const struct token *at)
{
	struct stmt *s = mx_jinja_arena_alloc(p->arena, sizeof *s);
	if (s == NULL)
		return oom(p);
	s->kind = kind;
	s->line = at->line;
	s->col = at->col;
	return s;
}

static int open_block(struct parser *p, const struct token *at)
{
	if (++p->nesting > MX_JINJA_MAX_NESTING) {
		perr(p, at, MX_ELIMIT, "blocks nested too deeply (limit %d)", MX_JINJA_MAX_NESTING);
		return -1;
	}
	return 0;
}

/* At the tag name of a closing tag that mx_jinja_parse_body stopped at: consume "{% name". */
static void skip_tag_start(struct parser *p)
{
	advance(p); /* {% */
	advance(p); /* name */
}

static int is_reserved_target(const char *name)
{
	static const char *const reserved[] = {"true", "false", "none", "True", "False", "None", "and",
	                                       "or",   "not",   "in",   "is",   "if",    "else"};
	for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++)
		if (strcmp(name, reserved[i]) == 0)
			return 1;
	return 0;
}

/* Assignment targets: name {, name}, optionally in parentheses. */
static int parse_targets(struct parser *p, struct stmt *s, int for_loop)
{
	size_t cap = 0;
	int paren = 0;
	if (is_op(cur(p), OP_LPAREN)) {
		paren = 1;
		advance(p);
	}
	for (;;) {
		const struct token *t = cur(p);
		if (t->type != TK_NAME) {
			unexpected(p, "a variable name");
			return -1;
		}
		const char *name = tok_name(p, t);
		if (name == NULL)
			return -1;
		if (is_reserved_target(name) || (for_loop && strcmp(name, "loop") == 0)) {
			perr(p, t, MX_EINVAL, "cannot assign to '%s'", name);
			return -1;
		}
		if (!for_loop && s->ntargets == 0 && is_op(peek(p, 1), OP_DOT) &&
		    peek(p, 2)->type == TK_NAME && is_op(peek(p, 3), OP_ASSIGN)) {
			/* {% set ns.attr = value %} */
			if (PUSH(p, s->targets, s->ntargets, cap, name) ||
			    (s->attr = tok_name(p, peek(p, 2))) == NULL)
				return -1;
			advance(p);
			advance(p);
			advance(p);
			return 0;
		}
		if (is_op(peek(p, 1), OP_DOT) || is_op(peek(p, 1), OP_LBRACKET)) {
			perr(p, t, MX_EINVAL, "assignment to attributes or items is not supported");
			return -1;
		}
		if (s->ntargets >= MAX_CALL_ARGS) {
			perr(p, t, MX_ELIMIT, "too many assignment targets (limit %d)", MAX_CALL_ARGS);
			return -1;
		}
		if (PUSH(p, s->targets, s->ntargets, cap, name))
			return -1;
		advance(p);
		if (!is_op(cur(p), OP_COMMA))
			break;
		advance(p);
	}
	if (paren && expect_op(p, OP_RPAREN))
		return -1;
	return 0;
}

static struct stmt *parse_if(struct parser *p, const struct token *tag)
{
	static const char *const ends[] = {"elif", "else", "endif"};
	static const char *const endif[] = {"endif"};
	struct stmt *s = new_stmt(p, S_IF, tag);
	if (s == NULL || open_block(p, tag))
		return NULL;
	size_t ccap = 0, bcap = 0, nb = 0;
	int soft = p->soft;
	p->soft = 1;
	advance(p); /* if */
	for (;;) {
		struct expr *cond = parse_tuple(p, 0, 0);
		struct stmt *body;
		if (cond == NULL || expect_block_end(p) || mx_jinja_parse_body(p, ends, 3, &body))
			return NULL;
		if (PUSH(p, s->conds, s->nconds, ccap, cond) || PUSH(p, s->bodies, nb, bcap, body))
			return NULL;
		const struct token *end = peek(p, 1);
		skip_tag_start(p);
		if (is_name(end, "elif"))
			continue;
		if (is_name(end, "else")) {
			if (expect_block_end(p) || mx_jinja_parse_body(p, endif, 1, &s->else_body))
				return NULL;
			skip_tag_start(p);
		}
		break;
	}
	p->soft = soft;
	if (expect_block_end(p))
		return NULL;
	p->nesting--;
	return s;
}

static struct stmt *parse_for(struct parser *p, const struct token *tag)
{
	static const char *const ends[] = {"else", "endfor"};
	static const char *const endfor[] = {"endfor"};
	struct stmt *s = new_stmt(p, S_FOR, tag);
	if (s == NULL || open_block(p, tag))
		return NULL;
	advance(p); /* for */
	if (parse_targets(p, s, 1))
		return NULL;
	if (!is_name(cur(p), "in"))
		return unexpected(p, "'in'");
	advance(p);
	if ((s->expr = parse_tuple(p, 0, 0)) == NULL)
		return NULL;
	int soft = p->soft;
	p->soft = 0; /* the loop's frame is not Jinja's soft frame */
	if (is_name(cur(p), "if")) {
		advance(p);
		if ((s->filter = parse_expression(p, 1)) == NULL)
			return NULL;
	}
	if (is_name(cur(p), "recursive")) {
		s->recursive = 1;
		advance(p);
	}
	if (expect_block_end(p) || mx_jinja_parse_body(p, ends, 2, &s->body))
		return NULL;
	const struct token *end = peek(p, 1);
	skip_tag_start(p);
	if (is_name(end, "else")) {
		if (expect_block_end(p) || mx_jinja_parse_body(p, endfor, 1, &s->else_body))
			return NULL;
		skip_tag_start(p);
	}
	p->soft = soft;
	if (expect_block_end(p))
		return NULL;
	p->nesting--;
	return s;
}

static struct stmt *parse_set(struct parser *p, const struct token *tag)
{
	static const char *const endset[] = {"endset"};
	struct stmt *s = new_stmt(p, S_SET, tag);
	if (s == NULL)
		return NULL;
	advance(p); /* set */
	if (parse_targets(p, s, 0))
		return NULL;
	if (is_op(cur(p), OP_ASSIGN)) {
		advance(p);
		if ((s->expr = parse_tuple(p, 1, 0)) == NULL || expect_block_end(p))
			return NULL;
		return s;
	}
	if (cur(p)->type != TK_BLOCK_END)
		return unexpected(p, "'='");
	if (s->ntargets != 1)
		return perr(p, tag, MX_EINVAL, "a block {%% set %%} takes one name");
	s->kind = S_SETBLOCK;
	if (open_block(p, tag))
		return NULL;
	advance(p);
	int soft = p->soft;
	p->soft = 0;
	if (mx_jinja_parse_body(p, endset, 1, &s->body))
		return NULL;
	p->soft = soft;
	skip_tag_start(p);
	if (expect_block_end(p))
		return NULL;
	p->nesting--;
	return s;
}

/* The body of a block up to {% end %}, consumed with its tag. */
static int block_body(struct parser *p, const char *end, struct stmt **body)
{
	const char *const ends[] = {end};
	int soft = p->soft;
	p->soft = 0; /* with, macro, call and filter blocks have frames of their own */
	if (expect_block_end(p) || mx_jinja_parse_body(p, ends, 1, body))
		return -1;
	p->soft = soft;
	skip_tag_start(p);
	if (expect_block_end(p))
		return -1;
	p->nesting--;
	return 0;
}

/* (name [= default], ...) of a macro or a call block. */
static int parse_params(struct parser *p, struct stmt *s)
{
	size_t tcap = s->ntargets, ccap = s->nconds, n = s->ntargets;
	if (expect_op(p, OP_LPAREN))
		return -1;
	while (!is_op(cur(p), OP_RPAREN)) {
		if (s->nconds && expect_op(p, OP_COMMA))
			return -1;
		if (is_op(cur(p), OP_RPAREN))
			break;
		const struct token *t = cur(p);
		const char *name;
		if (t->type != TK_NAME) {
			unexpected(p, "a parameter name");
			return -1;
		}
		if ((name = tok_name(p, t)) == NULL)
			return -1;
		advance(p);
		struct expr *def = NULL;
		if (is_op(cur(p), OP_ASSIGN)) {
			advance(p);
			if ((def = parse_expression(p, 1)) == NULL)
				return -1;
		}
		if (s->nconds >= MAX_CALL_ARGS) {
			perr(p, t, MX_ELIMIT, "too many parameters (limit %d)", MAX_CALL_ARGS);
			return -1;
		}
		if (PUSH(p, s->targets, n, tcap, name) || PUSH(p, s->conds, s->nconds, ccap, def))
			return -1;
		s->ntargets = n;
	}
	advance(p);
	return 0;
}

static struct stmt *parse_macro(struct parser *p, const struct token *tag)
{
	struct stmt *s = new_stmt(p, S_MACRO, tag);
	if (s == NULL || open_block(p, tag))
		return NULL;
	advance(p);
	if (cur(p)->type != TK_NAME)
		return unexpected(p, "a macro name");
	if ((s->text = tok_name(p, cur(p))) == NULL)
		return NULL;
	advance(p);
	if (parse_params(p, s) || block_body(p, "endmacro", &s->body))
		return NULL;
	return s;
}

static struct stmt *parse_callblock(struct parser *p, const struct token *tag)
{
	struct stmt *s = new_stmt(p, S_CALLBLOCK, tag);
	if (s == NULL || open_block(p, tag))
		return NULL;
	advance(p);
	if (is_op(cur(p), OP_LPAREN) && parse_params(p, s))
		return NULL;
	if ((s->expr = parse_expression(p, 1)) == NULL)
		return NULL;
	if (s->expr->kind != E_CALL)
		return perr(p, tag, MX_EINVAL, "expected a call in {%% call %%}");
	if (block_body(p, "endcall", &s->body))
		return NULL;
	return s;
}

static struct stmt *parse_with(struct parser *p, const struct token *tag)
{
	struct stmt *s = new_stmt(p, S_WITH, tag);
	size_t tcap = 0, ccap = 0, n = 0;
	if (s == NULL || open_block(p, tag))
		return NULL;
	advance(p);
	while (cur(p)->type != TK_BLOCK_END) {
		if (s->nconds && expect_op(p, OP_COMMA))
			return NULL;
		const struct token *t = cur(p);
		const char *name;
		if (t->type != TK_NAME)
			return unexpected(p, "a variable name");
		if ((name = tok_name(p, t)) == NULL)
			return NULL;
		advance(p);
		struct expr *v;
		if (expect_op(p, OP_ASSIGN) || (v = parse_expression(p, 1)) == NULL)
			return NULL;
		if (s->nconds >= MAX_CALL_ARGS)
			return perr(p, t, MX_ELIMIT, "too many assignments (limit %d)", MAX_CALL_ARGS);
		if (PUSH(p, s->targets, n, tcap, name) || PUSH(p, s->conds, s->nconds, ccap, v))
			return NULL;
		s->ntargets = n;
	}
	if (block_body(p, "endwith", &s->body))
		return NULL;
	return s;
}

static struct stmt *parse_filterblock(struct parser *p, const struct token *tag)
{
	struct stmt *s = new_stmt(p, S_FILTERBLOCK, tag);
	if (s == NULL || open_block(p, tag))
		return NULL;
	/* parse_filter steps over the "filter" keyword as it steps over a '|' */
	struct expr *e = new_expr(p, E_BLOCKVAL, tag);
	if (e == NULL)
		return NULL;
	int soft = p->soft;
	p->soft = 0;
	do {
		if ((e = parse_filter(p, e)) == NULL)
			return NULL;
	} while (is_op(cur(p), OP_PIPE));
	p->soft = soft;
	s->expr = e;
	if (block_body(p, "endfilter", &s->body))
		return NULL;
	return s;
}

static struct stmt *parse_statement(struct parser *p, const char *const *ends, int nends)
{
	advance(p); /* {% */
	const struct token *t = cur(p);
	char b[64];
	if (t->type != TK_NAME)
		return perr(p, t, MX_EINVAL, "expected a tag name, got '%s'", tok_desc(t, b, sizeof b));
	if (is_name(t, "if"))
		return parse_if(p, t);
	if (is_name(t, "for"))
		return parse_for(p, t);
	if (is_name(t, "set"))
		return parse_set(p, t);
	if (is_name(t, "macro"))
		return parse_macro(p, t);
	if (is_name(t, "call"))
		return parse_callblock(p, t);
	if (is_name(t, "with"))
		return parse_with(p, t);
	if (is_name(t, "filter"))
		return parse_filterblock(p, t);
	tok_desc(t, b, sizeof b);
	for (size_t i = 0; i < sizeof unsupported_tags / sizeof unsupported_tags[0]; i++)
		if (is_name(t, unsupported_tags[i]))
			return perr(p, t, MX_EINVAL, "unsupported tag '%s'", b);
	for (size_t i = 0; i < sizeof closing_tags / sizeof closing_tags[0]; i++)
		if (is_name(t, closing_tags[i])) {
			if (nends)
				return perr(p, t, MX_EINVAL, "unexpected tag '%s', expected '%s'", b,
				            ends[nends - 1]);
			return perr(p, t, MX_EINVAL, "unexpected tag '%s'", b);
		}
	return perr(p, t, MX_EINVAL, "unknown tag '%s'", b);
}

/*
 * Statements up to one of the tags in ends (left unconsumed: the parser
 * stands on its "{%"), or to the end of the template when nends is 0.
 */
int mx_jinja_parse_body(struct parser *p, const char *const *ends, int nends, struct stmt **out)
{
	struct stmt *head = NULL, **tail = &head;
	*out = NULL;
	for (;;) {
		const struct token *t = cur(p);
		struct stmt *s = NULL;
		if (t->type == TK_EOF) {
			if (nends) {
				perr(p, t, MX_EINVAL, "unexpected end of template, expected '%s'",
				     ends[nends - 1]);
				return -1;
			}
			break;
		}
		if (t->type == TK_DATA) {
			if ((s = new_stmt(p, S_DATA, t)) == NULL)
				return -1;
			s->text = t->p;
			s->len = t->n;
			advance(p);
		} else if (t->type == TK_VAR_BEGIN) {
			advance(p);
			if ((s = new_stmt(p, S_OUTPUT, t)) == NULL ||
			    (s->expr = parse_tuple(p, 1, 0)) == NULL)
				return -1;
			if (cur(p)->type != TK_VAR_END) {
				unexpected(p, "end of expression '}}'");
				return -1;
			}
			advance(p);
		} else if (t->type == TK_BLOCK_BEGIN) {
			const struct token *name = peek(p, 1);
			for (int i = 0; i < nends; i++)
				if (is_name(name, ends[i])) {
					*out = head;
					return 0;
				}
			if ((s = parse_statement(p, ends, nends)) == NULL)
				return -1;
		} else {
			unexpected(p, NULL);
			return -1;
		}
		*tail = s;
		tail = &s->next;
	}
	*out = head;
	return 0;
}

int mx_jinja_check_unknown_filters(struct parser *p)
{
	for (size_t i = 0; i < p->nunknown; i++)
		if (!p->unknown[i].soft) {
			perr(p, p->unknown[i].at, MX_EINVAL, "unknown filter '%s'", p->unknown[i].name);
			return p->failed ? p->failed : MX_EINVAL;
		}
	return 0;
}
