/* SPDX-License-Identifier: Apache-2.0 */
/*
 * parse — recursive-descent parser for the CEL grammar (langdef.md) and
 * mx_cel_compile, which turns source text into an immutable program.
 *
 * The tree is allocated from the program's arena. Macros (has, all,
 * exists, exists_one, map, filter) become dedicated nodes here; function
 * names are resolved to builtin ids; literal regex patterns and time-zone
 * names are compiled once so evaluation does no parsing at all.
 *
 * Bounds: MX_CEL_MAX_SOURCE bytes of input, MX_CEL_MAX_DEPTH for both the
 * parser's recursion and the height of the tree (the evaluator recurses on
 * it). Runs on the caller's thread; no globals.
 */
#include "cel/cel_int.h"

#include "core/alloc.h"
#include "core/buf.h"
#include "core/utf8.h"

#include <stdio.h>
#include <string.h>

#define STRINGIFY2(x) #x
#define STRINGIFY(x) STRINGIFY2(x)
#define DEPTH_TEXT STRINGIFY(MX_CEL_MAX_DEPTH)

struct parser {
	struct mx_cel_lexer lx;
	struct mx_cel_token tok;
	struct mx_cel_program *prog;
	struct mx_cel_arena *a;
	int depth;
	bool failed;
	size_t errpos;
	char errmsg[256];
};

/* ---- helpers ---- */

static void perr(struct parser *p, size_t pos, const char *fmt, const char *arg)
{
	if (p->failed)
		return;
	p->failed = true;
	p->errpos = pos;
	snprintf(p->errmsg, sizeof p->errmsg, fmt, arg ? arg : "");
}

static void advance(struct parser *p)
{
	mx_cel_lex_next(&p->lx, &p->tok);
	if (p->tok.kind == MX_CEL_T_ERROR)
		perr(p, p->tok.errpos, "%s", p->tok.errmsg);
}

static const char *tok_text(struct parser *p, char *buf, size_t bufsz)
{
	if (p->tok.kind == MX_CEL_T_EOF)
		return "<EOF>";
	size_t n = p->tok.len < bufsz - 1 ? p->tok.len : bufsz - 1;
	memcpy(buf, p->lx.src + p->tok.pos, n);
	buf[n] = 0;
	return buf;
}

static void unexpected(struct parser *p)
{
	char b[64];
	char m[96];
	snprintf(m, sizeof m, "'%s'", tok_text(p, b, sizeof b));
	perr(p, p->tok.pos, "unexpected %s", m);
}

static bool expect(struct parser *p, enum mx_cel_tok k, const char *what)
{
	if (p->failed)
		return false;
	if (p->tok.kind != k) {
		char b[64];
		char m[128];
		snprintf(m, sizeof m, "mismatched input '%s' expecting %s", tok_text(p, b, sizeof b), what);
		perr(p, p->tok.pos, "%s", m);
		return false;
	}
	advance(p);
	return !p->failed;
}

static struct mx_cel_node *node_new(struct parser *p, enum mx_cel_node_kind kind, size_t pos)
{
	struct mx_cel_node *n = mx_cel_arena_alloc(p->a, sizeof *n);
	if (n == NULL) {
		perr(p, pos, "%s", "out of memory");
		return NULL;
	}
	memset(n, 0, sizeof *n);
	n->kind = (uint8_t)kind;
	n->pos = (uint32_t)pos;
	n->height = 1;
	return n;
}

/* Recompute the height from the children; fail past the bound. */
static struct mx_cel_node *seal(struct parser *p, struct mx_cel_node *n)
{
	if (n == NULL)
		return NULL;
	uint32_t h = 0;
	if (n->target && n->target->height > h)
		h = n->target->height;
	for (uint32_t i = 0; i < n->nargs; i++)
		if (n->args[i] && n->args[i]->height > h)
			h = n->args[i]->height;
	n->height = h + 1;
	if (n->height > MX_CEL_MAX_DEPTH) {
		perr(p, n->pos, "expression nested too deeply (more than %s levels)", DEPTH_TEXT);
		return NULL;
	}
	return n;
}

static const char *arena_strn(struct parser *p, const char *s, size_t n)
{
	const char *r = mx_cel_arena_dup(p->a, s, n);
	if (r == NULL)
		perr(p, p->tok.pos, "%s", "out of memory");
	return r;
}

/* Growable list of nodes in the arena (doubling; old arrays are left behind). */
struct nodevec {
	struct mx_cel_node **v;
	uint32_t n, cap;
};

static bool nv_push(struct parser *p, struct nodevec *nv, struct mx_cel_node *n)
{
	if (nv->n == nv->cap) {
		uint32_t cap = nv->cap ? nv->cap * 2 : 4;
		struct mx_cel_node **v = mx_cel_arena_alloc(p->a, cap * sizeof *v);
		if (v == NULL) {
			perr(p, p->tok.pos, "%s", "out of memory");
			return false;
		}
		if (nv->n)
			memcpy(v, nv->v, nv->n * sizeof *v);
		nv->v = v;
		nv->cap = cap;
	}
	nv->v[nv->n++] = n;
	return true;
}

/* ---- functions and macros ---- */

static const struct {
	const char *name;
	enum mx_cel_fn fn;
} fn_names[] = {
        {"size", MX_CEL_F_SIZE},
        {"contains", MX_CEL_F_CONTAINS},
        {"startsWith", MX_CEL_F_STARTS_WITH},
        {"endsWith", MX_CEL_F_ENDS_WITH},
        {"matches", MX_CEL_F_MATCHES},
        {"int", MX_CEL_F_INT},
        {"uint", MX_CEL_F_UINT},
        {"double", MX_CEL_F_DOUBLE},
        {"string", MX_CEL_F_STRING},
        {"bytes", MX_CEL_F_BYTES},
        {"bool", MX_CEL_F_BOOL},
        {"dyn", MX_CEL_F_DYN},
        {"type", MX_CEL_F_TYPE},
        {"timestamp", MX_CEL_F_TIMESTAMP},
        {"duration", MX_CEL_F_DURATION},
        {"getFullYear", MX_CEL_F_GET_FULL_YEAR},
        {"getMonth", MX_CEL_F_GET_MONTH},
        {"getDayOfYear", MX_CEL_F_GET_DAY_OF_YEAR},
        {"getDayOfMonth", MX_CEL_F_GET_DAY_OF_MONTH},
        {"getDate", MX_CEL_F_GET_DATE},
        {"getDayOfWeek", MX_CEL_F_GET_DAY_OF_WEEK},
        {"getHours", MX_CEL_F_GET_HOURS},
        {"getMinutes", MX_CEL_F_GET_MINUTES},
        {"getSeconds", MX_CEL_F_GET_SECONDS},
        {"getMilliseconds", MX_CEL_F_GET_MILLISECONDS},
};

static enum mx_cel_fn fn_lookup(const char *name, size_t n)
{
	for (size_t i = 0; i < sizeof fn_names / sizeof fn_names[0]; i++)
		if (strlen(fn_names[i].name) == n && memcmp(fn_names[i].name, name, n) == 0)
			return fn_names[i].fn;
	return MX_CEL_F_UNKNOWN;
}

/* Compile literal regex patterns and time-zone names once, at compile time. */
static void precompile(struct parser *p, struct mx_cel_node *call)
{
	struct mx_cel_node *arg = NULL;
	if (call->nargs >= 1)
		arg = call->args[call->nargs - 1];
	if (arg == NULL || arg->kind != MX_CEL_N_LIT || arg->lit.kind != MX_CEL_STRING)
		return;
	if (call->fn == MX_CEL_F_MATCHES && (call->target != NULL || call->nargs == 2)) {
		char msg[128];
		void *code = mx_cel_regex_compile(p->prog, arg->lit.s.p, arg->lit.s.n, msg, sizeof msg);
		if (code == NULL)
			return; /* reported again, as an evaluation error */
		struct mx_cel_regex_ref *r = mx_cel_arena_alloc(p->a, sizeof *r);
		if (r == NULL) {
			mx_cel_regex_free(code);
			perr(p, call->pos, "%s", "out of memory");
			return;
		}
		r->code = code;
		r->next = p->prog->regexes;
		p->prog->regexes = r;
		call->aux = code;
	} else if (call->fn >= MX_CEL_F_GET_FULL_YEAR && call->target != NULL && call->nargs == 1) {
		const struct mx_cel_tz *tz = NULL;
		if (mx_cel_tz_load(p->a, arg->lit.s.p, arg->lit.s.n, &tz) == 0)
			call->aux = tz;
	}
}

static struct mx_cel_node *parse_expr(struct parser *p);

/* Arguments after '(' up to and including ')'. */
static bool parse_args(struct parser *p, struct nodevec *nv)
{
	if (p->tok.kind == MX_CEL_T_RPAREN) {
		advance(p);
		return !p->failed;
	}
	for (;;) {
		struct mx_cel_node *e = parse_expr(p);
		if (e == NULL || !nv_push(p, nv, e))
			return false;
		if (p->tok.kind == MX_CEL_T_COMMA) {
			advance(p);
			continue;
		}
		return expect(p, MX_CEL_T_RPAREN, "{')', ','}");
	}
}

static struct mx_cel_node *make_call(struct parser *p, struct mx_cel_node *target, const char *name,
                                     size_t name_len, size_t pos, struct nodevec *args)
{
	struct mx_cel_node *n = NULL;
	bool has_name = name_len == 3 && memcmp(name, "has", 3) == 0;
	if (target == NULL && has_name && args->n == 1) {
		struct mx_cel_node *sel = args->v[0];
		if (sel->kind != MX_CEL_N_SELECT) {
			perr(p, sel->pos, "%s", "invalid argument to has() macro");
			return NULL;
		}
		sel->kind = MX_CEL_N_HAS;
		return sel;
	}
	if (target != NULL) {
		int macro = -1;
		if (args->n == 2) {
			static const char *const m2[] = {"all", "exists", "exists_one", "map", "filter"};
			static const enum mx_cel_macro k2[] = {MX_CEL_M_ALL, MX_CEL_M_EXISTS,
			                                       MX_CEL_M_EXISTS_ONE, MX_CEL_M_MAP,
			                                       MX_CEL_M_FILTER};
			for (int i = 0; i < 5; i++)
				if (strlen(m2[i]) == name_len && memcmp(m2[i], name, name_len) == 0)
					macro = (int)k2[i];
		} else if (args->n == 3 && name_len == 3 && memcmp(name, "map", 3) == 0) {
			macro = MX_CEL_M_MAP_FILTER;
		}
		if (args->n == 2 && name_len == 9 && memcmp(name, "existsOne", 9) == 0)
			macro = MX_CEL_M_EXISTS_ONE;
		/* two-variable comprehensions: all/exists/existsOne(i, v, p), transformList/Map(i, v, [p,] f) */
		bool two = false;
		if (macro < 0 && (args->n == 3 || args->n == 4)) {
			static const char *const m3[] = {"all",        "exists",        "existsOne",
			                                 "exists_one", "transformList", "transformMap"};
			static const enum mx_cel_macro k3[] = {
			        MX_CEL_M_ALL,        MX_CEL_M_EXISTS,         MX_CEL_M_EXISTS_ONE,
			        MX_CEL_M_EXISTS_ONE, MX_CEL_M_TRANSFORM_LIST, MX_CEL_M_TRANSFORM_MAP};
			for (int i = 0; i < 6; i++)
				if (strlen(m3[i]) == name_len && memcmp(m3[i], name, name_len) == 0 &&
				    (args->n == 3 || i >= 4))
					macro = (int)k3[i];
			two = macro >= 0;
		}
		if (macro >= 0) {
			struct mx_cel_node *v = args->v[0];
			struct mx_cel_node *v2 = two ? args->v[1] : NULL;
			if (v->kind != MX_CEL_N_IDENT || (v2 != NULL && v2->kind != MX_CEL_N_IDENT)) {
				perr(p, v->pos, "%s", "argument is not an identifier");
				return NULL;
			}
			n = node_new(p, MX_CEL_N_COMPR, pos);
			if (n == NULL)
				return NULL;
			n->op = (uint8_t)macro;
			n->name = v->name;
			n->name_len = v->name_len;
			n->hash = v->hash;
			if (v2 != NULL) {
				n->name2 = v2->name;
				n->name2_len = v2->name_len;
			}
			n->target = target;
			n->args = args->v + 1 + two;
			n->nargs = args->n - 1 - two;
			return seal(p, n);
		}
	}
	n = node_new(p, MX_CEL_N_CALL, pos);
	if (n == NULL)
		return NULL;
	n->name = arena_strn(p, name, name_len);
	n->name_len = name_len;
	n->fn = (uint16_t)fn_lookup(name, name_len);
	n->target = target;
	n->args = args->v;
	n->nargs = args->n;
	if (seal(p, n) == NULL)
		return NULL;
	precompile(p, n);
	return p->failed ? NULL : n;
}

/* ---- primary ---- */

static struct mx_cel_node *parse_struct(struct parser *p, struct mx_cel_node *type_expr)
{
	/* name{field: value, …}: parsed for completeness; evaluation reports it unsupported */
	struct mx_cel_node *n = node_new(p, MX_CEL_N_STRUCT, p->tok.pos);
	if (n == NULL)
		return NULL;
	n->name = type_expr->qual;
	n->name_len = type_expr->qual_len;
	advance(p);
	struct nodevec nv = {0};
	while (!p->failed && p->tok.kind != MX_CEL_T_RBRACE) {
		if (p->tok.kind != MX_CEL_T_IDENT) {
			unexpected(p);
			return NULL;
		}
		struct mx_cel_node *f = node_new(p, MX_CEL_N_LIT, p->tok.pos);
		if (f == NULL)
			return NULL;
		advance(p);
		if (!expect(p, MX_CEL_T_COLON, "':'"))
			return NULL;
		struct mx_cel_node *v = parse_expr(p);
		if (v == NULL || !nv_push(p, &nv, f) || !nv_push(p, &nv, v))
			return NULL;
		if (p->tok.kind == MX_CEL_T_COMMA)
			advance(p);
		else
			break;
	}
	if (!expect(p, MX_CEL_T_RBRACE, "'}'"))
		return NULL;
	n->args = nv.v;
	n->nargs = nv.n;
	return seal(p, n);
}

static struct mx_cel_node *parse_literal(struct parser *p, bool negate)
{
	struct mx_cel_node *n = node_new(p, MX_CEL_N_LIT, p->tok.pos);
	if (n == NULL)
		return NULL;
	switch (p->tok.kind) {
	case MX_CEL_T_INT:
		n->lit.kind = MX_CEL_INT;
		if (p->tok.int_overflow && !negate) {
			perr(p, p->tok.pos, "%s", "int literal out of range");
			return NULL;
		}
		n->lit.i = negate ? (int64_t)(0 - p->tok.lit.u) : (int64_t)p->tok.lit.u;
		break;
	case MX_CEL_T_UINT:
		n->lit.kind = MX_CEL_UINT;
		n->lit.u = p->tok.lit.u;
		break;
	case MX_CEL_T_DOUBLE:
		n->lit.kind = MX_CEL_DOUBLE;
		n->lit.d = negate ? -p->tok.lit.d : p->tok.lit.d;
		break;
	case MX_CEL_T_STRING:
	case MX_CEL_T_BYTES: n->lit = p->tok.lit; break;
	case MX_CEL_T_TRUE:
	case MX_CEL_T_FALSE:
		n->lit.kind = MX_CEL_BOOL;
		n->lit.b = p->tok.kind == MX_CEL_T_TRUE;
		break;
	case MX_CEL_T_NULL: n->lit.kind = MX_CEL_NULL; break;
	default: unexpected(p); return NULL;
	}
	advance(p);
	return p->failed ? NULL : n;
}

static struct mx_cel_node *parse_primary(struct parser *p)
{
	size_t pos = p->tok.pos;
	switch (p->tok.kind) {
	case MX_CEL_T_DOT:
		advance(p);
		if (p->tok.kind != MX_CEL_T_IDENT) {
			unexpected(p);
			return NULL;
		}
		/* fall through: a leading dot names the root scope, which is the only scope */
		/* FALLTHROUGH */
	case MX_CEL_T_IDENT: {
		const char *name = p->lx.src + p->tok.pos;
		size_t len = p->tok.len;
		if (mx_cel_is_reserved(name, len)) {
			perr(p, p->tok.pos, "reserved identifier: %s", arena_strn(p, name, len));
			return NULL;
		}
		advance(p);
		if (p->failed)
			return NULL;
		if (p->tok.kind == MX_CEL_T_LPAREN) {
			advance(p);
			struct nodevec nv = {0};
			if (!parse_args(p, &nv))
				return NULL;
			return make_call(p, NULL, name, len, pos, &nv);
		}
		struct mx_cel_node *n = node_new(p, MX_CEL_N_IDENT, pos);
		if (n == NULL)
			return NULL;
		n->name = arena_strn(p, name, len);
		n->name_len = len;
		n->hash = mx_cel_hash_bytes(name, len);
		n->qual = n->name;
		n->qual_len = len;
		n->qual_hash = n->hash;
		return n;
	}
	case MX_CEL_T_LPAREN: {
		advance(p);
		struct mx_cel_node *e = parse_expr(p);
		if (e == NULL || !expect(p, MX_CEL_T_RPAREN, "')'"))
			return NULL;
		return e;
	}
	case MX_CEL_T_LBRACKET: {
		advance(p);
		struct nodevec nv = {0};
		while (!p->failed && p->tok.kind != MX_CEL_T_RBRACKET) {
			struct mx_cel_node *e = parse_expr(p);
			if (e == NULL || !nv_push(p, &nv, e))
				return NULL;
			if (p->tok.kind == MX_CEL_T_COMMA)
				advance(p);
			else
				break;
		}
		if (!expect(p, MX_CEL_T_RBRACKET, "']'"))
			return NULL;
		struct mx_cel_node *n = node_new(p, MX_CEL_N_LIST, pos);
		if (n == NULL)
			return NULL;
		n->args = nv.v;
		n->nargs = nv.n;
		return seal(p, n);
	}
	case MX_CEL_T_LBRACE: {
		advance(p);
		struct nodevec nv = {0};
		while (!p->failed && p->tok.kind != MX_CEL_T_RBRACE) {
			struct mx_cel_node *k = parse_expr(p);
			if (k == NULL || !expect(p, MX_CEL_T_COLON, "':'"))
				return NULL;
			struct mx_cel_node *v = parse_expr(p);
			if (v == NULL || !nv_push(p, &nv, k) || !nv_push(p, &nv, v))
				return NULL;
			if (p->tok.kind == MX_CEL_T_COMMA)
				advance(p);
			else
				break;
		}
		if (!expect(p, MX_CEL_T_RBRACE, "'}'"))
			return NULL;
		struct mx_cel_node *n = node_new(p, MX_CEL_N_MAP, pos);
		if (n == NULL)
			return NULL;
		n->args = nv.v;
		n->nargs = nv.n;
		return seal(p, n);
	}
	default: return parse_literal(p, false);
	}
}

/* ---- member ---- */

static struct mx_cel_node *parse_member_rest(struct parser *p, struct mx_cel_node *e)
{
	while (e != NULL && !p->failed) {
		size_t pos = p->tok.pos;
		if (p->tok.kind == MX_CEL_T_DOT) {
			advance(p);
			bool quoted = p->tok.kind == MX_CEL_T_QIDENT;
			if (p->tok.kind != MX_CEL_T_IDENT && !quoted) {
				/* keywords are not selectors */
				unexpected(p);
				return NULL;
			}
			const char *name = p->lx.src + p->tok.pos + quoted;
			size_t len = p->tok.len - 2 * quoted;
			advance(p);
			if (p->failed)
				return NULL;
			if (p->tok.kind == MX_CEL_T_LPAREN && !quoted) {
				advance(p);
				struct nodevec nv = {0};
				if (!parse_args(p, &nv))
					return NULL;
				e = make_call(p, e, name, len, pos, &nv);
				continue;
			}
			struct mx_cel_node *n = node_new(p, MX_CEL_N_SELECT, pos);
			if (n == NULL)
				return NULL;
			n->name = arena_strn(p, name, len);
			n->name_len = len;
			n->hash = mx_cel_hash_bytes(name, len);
			n->target = e;
			if (e->qual != NULL && !quoted) {
				char *q = mx_cel_arena_alloc(p->a, e->qual_len + len + 2);
				if (q == NULL) {
					perr(p, pos, "%s", "out of memory");
					return NULL;
				}
				memcpy(q, e->qual, e->qual_len);
				q[e->qual_len] = '.';
				memcpy(q + e->qual_len + 1, name, len);
				q[e->qual_len + 1 + len] = 0;
				n->qual = q;
				n->qual_len = e->qual_len + 1 + len;
				n->qual_hash = mx_cel_hash_bytes(q, n->qual_len);
			}
			e = seal(p, n);
		} else if (p->tok.kind == MX_CEL_T_LBRACKET) {
			advance(p);
			struct mx_cel_node *idx = parse_expr(p);
			if (idx == NULL || !expect(p, MX_CEL_T_RBRACKET, "']'"))
				return NULL;
			struct mx_cel_node *n = node_new(p, MX_CEL_N_INDEX, pos);
			if (n == NULL)
				return NULL;
			struct mx_cel_node **args = mx_cel_arena_alloc(p->a, sizeof *args);
			if (args == NULL) {
				perr(p, pos, "%s", "out of memory");
				return NULL;
			}
			args[0] = idx;
			n->target = e;
			n->args = args;
			n->nargs = 1;
			e = seal(p, n);
		} else if (p->tok.kind == MX_CEL_T_LBRACE && e->qual != NULL) {
			e = parse_struct(p, e);
		} else {
			break;
		}
	}
	return p->failed ? NULL : e;
}

static struct mx_cel_node *parse_unary(struct parser *p)
{
	size_t pos = p->tok.pos;
	if (p->tok.kind == MX_CEL_T_NOT || p->tok.kind == MX_CEL_T_MINUS) {
		enum mx_cel_tok k = p->tok.kind;
		uint32_t count = 0;
		while (p->tok.kind == k && !p->failed) {
			count++;
			advance(p);
		}
		if (p->failed)
			return NULL;
		struct mx_cel_node *e;
		if (k == MX_CEL_T_MINUS && (p->tok.kind == MX_CEL_T_INT || p->tok.kind == MX_CEL_T_DOUBLE)) {
			/* the innermost minus belongs to the literal: -9223372036854775808 is valid */
			e = parse_member_rest(p, parse_literal(p, true));
			count--;
		} else {
			e = parse_member_rest(p, parse_primary(p));
		}
		while (e != NULL && count-- > 0) {
			struct mx_cel_node *n =
			        node_new(p, k == MX_CEL_T_NOT ? MX_CEL_N_NOT : MX_CEL_N_NEG, pos);
			if (n == NULL)
				return NULL;
			n->target = e;
			e = seal(p, n);
		}
		return e;
	}
	return parse_member_rest(p, parse_primary(p));
}

/* ---- binary operators ---- */

static struct mx_cel_node *binary(struct parser *p, enum mx_cel_node_kind kind, int op, size_t pos,
                                  struct mx_cel_node *l, struct mx_cel_node *r)
{
	if (l == NULL || r == NULL)
		return NULL;
	struct mx_cel_node *n = node_new(p, kind, pos);
	if (n == NULL)
		return NULL;
	struct mx_cel_node **args = mx_cel_arena_alloc(p->a, sizeof *args);
	if (args == NULL) {
		perr(p, pos, "%s", "out of memory");
		return NULL;
	}
	args[0] = r;
	n->op = (uint8_t)op;
	n->target = l;
	n->args = args;
	n->nargs = 1;
	return seal(p, n);
}

/* The operator token t is at precedence level 1 (* / %), 2 (+ -) or 3
 * (relations and `in`), or -1. */
static int binary_op(int level, enum mx_cel_tok t)
{
	switch (level) {
	case 1:
		switch (t) {
		case MX_CEL_T_STAR: return MX_CEL_OP_MUL;
		case MX_CEL_T_SLASH: return MX_CEL_OP_DIV;
		case MX_CEL_T_PERCENT: return MX_CEL_OP_MOD;
		default: return -1;
		}
	case 2:
		switch (t) {
		case MX_CEL_T_PLUS: return MX_CEL_OP_ADD;
		case MX_CEL_T_MINUS: return MX_CEL_OP_SUB;
		default: return -1;
		}
	default:
		switch (t) {
		case MX_CEL_T_EQ: return MX_CEL_OP_EQ;
		case MX_CEL_T_NE: return MX_CEL_OP_NE;
		case MX_CEL_T_LT: return MX_CEL_OP_LT;
		case MX_CEL_T_LE: return MX_CEL_OP_LE;
		case MX_CEL_T_GT: return MX_CEL_OP_GT;
		case MX_CEL_T_GE: return MX_CEL_OP_GE;
		case MX_CEL_T_IN: return MX_CEL_OP_IN;
		default: return -1;
		}
	}
}

/* Left-associative binary operators at `level` (3: relations, loosest) and
 * tighter; level 0 is a unary expression. */
static struct mx_cel_node *parse_binary(struct parser *p, int level)
{
	if (level == 0)
		return parse_unary(p);
	struct mx_cel_node *l = parse_binary(p, level - 1);
	while (l != NULL && !p->failed) {
		int op = binary_op(level, p->tok.kind);
		if (op < 0)
			return l;
		size_t pos = p->tok.pos;
		advance(p);
		l = binary(p, MX_CEL_N_BINARY, op, pos, l, parse_binary(p, level - 1));
	}
	return p->failed ? NULL : l;
}

/* Chains of && and || are built balanced so a long chain stays shallow. */
static struct mx_cel_node *balance(struct parser *p, enum mx_cel_node_kind kind, struct nodevec *nv,
                                   size_t *pos, uint32_t lo, uint32_t hi)
{
	if (lo == hi)
		return nv->v[lo];
	uint32_t mid = lo + (hi - lo) / 2;
	struct mx_cel_node *l = balance(p, kind, nv, pos, lo, mid);
	struct mx_cel_node *r = balance(p, kind, nv, pos, mid + 1, hi);
	return binary(p, kind, 0, pos[mid], l, r);
}

static struct mx_cel_node *parse_logic(struct parser *p, enum mx_cel_tok tk, enum mx_cel_node_kind kind)
{
	struct mx_cel_node *first =
	        tk == MX_CEL_T_AND ? parse_binary(p, 3) : parse_logic(p, MX_CEL_T_AND, MX_CEL_N_AND);
	if (first == NULL || p->tok.kind != tk)
		return first;
	struct nodevec nv = {0};
	size_t posbuf[64];
	size_t *pos = posbuf;
	size_t poscap = 64;
	if (!nv_push(p, &nv, first))
		return NULL;
	while (p->tok.kind == tk && !p->failed) {
		if (nv.n - 1 >= poscap) {
			size_t *np = mx_cel_arena_alloc(p->a, poscap * 2 * sizeof *np);
			if (np == NULL) {
				perr(p, p->tok.pos, "%s", "out of memory");
				return NULL;
			}
			memcpy(np, pos, poscap * sizeof *np);
			pos = np;
			poscap *= 2;
		}
		pos[nv.n - 1] = p->tok.pos;
		advance(p);
		struct mx_cel_node *r =
		        tk == MX_CEL_T_AND ? parse_binary(p, 3) : parse_logic(p, MX_CEL_T_AND, MX_CEL_N_AND);
		if (r == NULL || !nv_push(p, &nv, r))
			return NULL;
	}
	if (p->failed)
		return NULL;
	return balance(p, kind, &nv, pos, 0, nv.n - 1);
}

static struct mx_cel_node *parse_expr(struct parser *p)
{
	if (++p->depth > MX_CEL_MAX_DEPTH) {
		perr(p, p->tok.pos, "expression nested too deeply (more than %s levels)", DEPTH_TEXT);
		return NULL;
	}
	struct mx_cel_node *c = parse_logic(p, MX_CEL_T_OR, MX_CEL_N_OR);
	if (c != NULL && p->tok.kind == MX_CEL_T_QUESTION) {
		size_t pos = p->tok.pos;
		advance(p);
		struct mx_cel_node *t = parse_logic(p, MX_CEL_T_OR, MX_CEL_N_OR);
		if (t == NULL || !expect(p, MX_CEL_T_COLON, "':'")) {
			p->depth--;
			return NULL;
		}
		struct mx_cel_node *f = parse_expr(p);
		struct mx_cel_node *n = f ? node_new(p, MX_CEL_N_COND, pos) : NULL;
		struct mx_cel_node **args = n ? mx_cel_arena_alloc(p->a, 2 * sizeof *args) : NULL;
		if (args == NULL) {
			perr(p, pos, "%s", "out of memory");
			p->depth--;
			return NULL;
		}
		args[0] = t;
		args[1] = f;
		n->target = c;
		n->args = args;
		n->nargs = 2;
		c = seal(p, n);
	}
	p->depth--;
	return p->failed ? NULL : c;
}

/* ---- compile ---- */

/* "ERROR: <input>:L:C: Syntax error: msg\n | line\n | ....^" */
static int syntax_error(const char *src, size_t n, size_t pos, const char *msg, struct mx_err *err)
{
	size_t line_start = 0;
	int line = 1;
	for (size_t i = 0; i < pos && i < n; i++)
		if (src[i] == '\n') {
			line++;
			line_start = i + 1;
		}
	size_t upto = pos < n ? pos : n;
	int col = 1 + (int)mx_utf8_count(src + line_start, upto > line_start ? upto - line_start : 0);
	size_t line_end = line_start;
	while (line_end < n && src[line_end] != '\n')
		line_end++;
	struct mx_buf b;
	mx_buf_init(&b, MX_ERR_MSG_MAX - 1);
	mx_buf_printf(&b, "ERROR: <input>:%d:%d: Syntax error: %s\n | ", line, col, msg);
	size_t show = line_end - line_start;
	if (show > 200)
		show = 200;
	mx_buf_append(&b, src + line_start, show);
	mx_buf_puts(&b, "\n | ");
	for (int i = 1; i < col && i < 200; i++)
		mx_buf_putc(&b, '.');
	mx_buf_putc(&b, '^');
	int rc = mx_err_set(err, MX_EINVAL, "%s", mx_buf_str(&b));
	if (err != NULL) {
		err->line = line;
		err->col = col;
	}
	mx_buf_free(&b);
	return rc;
}

int mx_cel_compile(const char *src, struct mx_cel_program **out, struct mx_err *err)
{
	return mx_cel_compile_n(src, strlen(src), out, err);
}

int mx_cel_compile_n(const char *src, size_t n, struct mx_cel_program **out, struct mx_err *err)
{
	*out = NULL;
	if (n > MX_CEL_MAX_SOURCE)
		return mx_err_set(err, MX_ELIMIT, "CEL expression is %zu bytes; the limit is %d", n,
		                  MX_CEL_MAX_SOURCE);
	struct mx_cel_program *prog = mx_calloc(1, sizeof *prog);
	if (prog == NULL)
		return mx_err_set(err, MX_ENOMEM, "out of memory");
	mx_cel_arena_init(&prog->arena, NULL, 0, MX_CEL_MAX_EVAL_BYTES);
	char *copy = mx_cel_arena_dup(&prog->arena, src, n);
	if (copy == NULL) {
		mx_cel_program_free(prog);
		return mx_err_set(err, MX_ENOMEM, "out of memory");
	}
	prog->src = copy;
	prog->src_len = n;
	if (mx_cel_regex_init(prog)) {
		mx_cel_program_free(prog);
		return mx_err_set(err, MX_ENOMEM, "out of memory");
	}
	struct parser p = {0};
	p.prog = prog;
	p.a = &prog->arena;
	p.lx.src = copy;
	p.lx.n = n;
	p.lx.arena = &prog->arena;
	advance(&p);
	struct mx_cel_node *root = p.failed ? NULL : parse_expr(&p);
	if (root != NULL && p.tok.kind != MX_CEL_T_EOF) {
		char b[64];
		char m[128];
		snprintf(m, sizeof m, "extraneous input '%s' expecting <EOF>", tok_text(&p, b, sizeof b));
		perr(&p, p.tok.pos, "%s", m);
	}
	if (p.failed || root == NULL) {
		if (!p.failed)
			perr(&p, p.tok.pos, "%s", "invalid expression");
		int rc = strcmp(p.errmsg, "out of memory") == 0
		                 ? mx_err_set(err, MX_ENOMEM, "out of memory")
		                 : syntax_error(copy, n, p.errpos, p.errmsg, err);
		if (strncmp(p.errmsg, "expression nested too deeply", 28) == 0 && err != NULL)
			err->code = rc = MX_ELIMIT;
		mx_cel_program_free(prog);
		return rc;
	}
	prog->root = root;
	*out = prog;
	return 0;
}

void mx_cel_program_free(struct mx_cel_program *p)
{
	if (p == NULL)
		return;
	for (struct mx_cel_regex_ref *r = p->regexes; r != NULL; r = r->next)
		mx_cel_regex_free(r->code);
	mx_cel_regex_fini(p);
	mx_cel_arena_free(&p->arena);
	mx_free(p);
}

const char *mx_cel_program_source(const struct mx_cel_program *p)
{
	return p->src;
}
