/* SPDX-License-Identifier: Apache-2.0 */
/*
 * jinja_int — internals shared by the files of the Jinja engine (not a
 * public API: callers include jinja/jinja.h).
 *
 * One file a phase. At compile: lex.c turns the (newline-normalised)
 * source into tokens, parse.c turns tokens into a tree of statements and
 * expressions, analyse.c computes the free variables once; jinja.c holds
 * the arena, the error helper and the compile entry. At render: eval.c
 * walks the tree (operators, expressions, statements) over the values of
 * value.c, calling the str methods and globals of methods.c, the filters of
 * filters.c and the tests of tests.c; text.c has Python's character
 * classes and the string operations filters and methods share.
 *
 * Everything a template owns lives in one arena, freed in one call; the
 * tree is never written after compile, so renders from several threads
 * share it safely. A render keeps its state (frames of local variables,
 * the iteration budget) on the caller's stack, and its values are fresh
 * jansson references or references to the caller's context.
 *
 * Values follow Python as Jinja2 sees them: JSON strings are str, integers
 * int, reals float, true/false bool, null None, arrays list, objects dict.
 * A render-time value is a struct val: a jansson reference, or no reference
 * at all for Jinja's Undefined (which remembers the lookup that produced
 * it, for the error message should it reach arithmetic).
 *
 * Deliberate differences from Jinja2, all towards leniency or simplicity:
 * an attribute, item or method of an undefined value is undefined (Jinja
 * raises); generators (unique, reverse, map, select) are lists; tuples are
 * lists; dict literals take string keys only; case mapping covers ASCII,
 * Latin-1/Extended-A, Greek and Cyrillic.
 */
#ifndef MX_JINJA_JINJA_INT_H
#define MX_JINJA_JINJA_INT_H

#include "jinja/jinja.h"

#include "core/buf.h"
#include "core/err.h"

#include <jansson.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define MAX_CALL_ARGS 32

/* The kind of a special value (special.c), 0 for plain JSON. */
int mx_jinja_kind(const json_t *j);
#define MAX_VALUE_DEPTH 1000

/* ---- characters of the template language (ASCII) ---- */

static inline int is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static inline int is_name_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static inline int is_name_char(char c)
{
	return is_name_start(c) || (c >= '0' && c <= '9');
}

static inline int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* ---- arena (jinja.c): every node, name and string of a compiled template ---- */

struct arena;

void *mx_jinja_arena_alloc(struct arena **head, size_t n);
char *mx_jinja_arena_strndup(struct arena **a, const char *s, size_t n);
/* Grow an arena-backed vector of n elements to twice its capacity. */
void *mx_jinja_vec_grow(struct arena **a, void *old, size_t n, size_t *cap, size_t elem);

/* "line L, column C: message" into err, the first error wins; returns code. */
__attribute__((format(printf, 5, 0))) int mx_jinja_fail_atv(struct mx_err *err, int code, int line, int col,
                                                            const char *fmt, va_list ap);

/* ---- tokens (lex.c) ---- */

enum tok_type {
	TK_EOF,
	TK_DATA,
	TK_VAR_BEGIN,
	TK_VAR_END,
	TK_BLOCK_BEGIN,
	TK_BLOCK_END,
	TK_NAME,
	TK_STRING,
	TK_INT,
	TK_FLOAT,
	TK_OP,
};

enum op {
	OP_NONE,
	OP_ADD,
	OP_SUB,
	OP_MUL,
	OP_DIV,
	OP_FLOORDIV,
	OP_MOD,
	OP_POW,
	OP_TILDE,
	OP_LBRACKET,
	OP_RBRACKET,
	OP_LPAREN,
	OP_RPAREN,
	OP_LBRACE,
	OP_RBRACE,
	OP_EQ,
	OP_NE,
	OP_LT,
	OP_LE,
	OP_GT,
	OP_GE,
	OP_ASSIGN,
	OP_DOT,
	OP_COLON,
	OP_PIPE,
	OP_COMMA,
	OP_SEMICOLON,
	OP_IN, /* only in compare chains */
	OP_NOTIN,
};

struct token {
	enum tok_type type;
	enum op op;
	int line, col;
	const char *p; /* the token's text in the source; DATA: after whitespace control */
	size_t n;
	const char *sval; /* STRING: the decoded value (arena) */
	size_t slen;
	json_int_t ival;
	double fval;
};

struct lexer {
	const char *s;
	size_t n;
	size_t mark; /* line/col are known up to here */
	int mark_line, mark_col;
	struct token *toks;
	size_t ntoks, cap;
	struct arena **arena;
	struct mx_err *err;
	char brackets[MX_JINJA_MAX_EXPR_DEPTH];
	int nbrackets;
};

const char *mx_jinja_op_text(int op);
int mx_jinja_lex(struct lexer *lx);

/* ---- the tree (parse.c) ---- */

enum ekind {
	E_STR, /* name/name_len: the value */
	E_INT,
	E_FLOAT,
	E_TRUE,
	E_FALSE,
	E_NONE,
	E_NAME, /* name */
	E_LIST, /* args */
	E_DICT, /* args: keys, vals: values */
	E_ATTR, /* a.name */
	E_ITEM, /* a[b] */
	E_SLICE, /* a[args[0]:args[1]:args[2]], entries may be NULL */
	E_CALL, /* a(args, kwnames=vals) */
	E_FILTER, /* a | filter(args); variadic filters: args positional, vals keyword slots */
	E_TEST, /* a is [not] test(args) */
	E_NOT,
	E_NEG,
	E_POS,
	E_BIN, /* a op b, arithmetic */
	E_CONCAT, /* args[0] ~ args[1] ~ ... */
	E_AND,
	E_OR,
	E_COMPARE, /* a ops[0] args[0] ops[1] args[1] ... */
	E_COND, /* a if b else c (c may be NULL) */
	E_BLOCKVAL, /* the captured body of a {% filter %} block */
};

struct filter_def;
struct test_def;

struct expr {
	enum ekind kind;
	int op;
	int line, col, depth;
	int negate;
	const char *name;
	size_t name_len;
	json_int_t ival;
	double fval;
	struct expr *a, *b, *c;
	struct expr **args;
	size_t nargs;
	struct expr **vals;
	size_t nvals;
	const char **kwnames;
	int *ops;
	const struct filter_def *filter;
	const struct test_def *test;
};

enum skind { S_DATA, S_OUTPUT, S_IF, S_FOR, S_SET, S_SETBLOCK, S_WITH, S_MACRO, S_CALLBLOCK, S_FILTERBLOCK };

struct stmt {
	enum skind kind;
	int line, col;
	struct stmt *next;
	const char *text; /* S_DATA */
	size_t len;
	struct expr *expr; /* S_OUTPUT, S_SET value, S_FOR iterable */
	struct expr **conds; /* S_IF: conds[i] guards bodies[i] */
	struct stmt **bodies;
	size_t nconds;
	struct stmt *body; /* S_FOR, S_SETBLOCK */
	struct stmt *else_body; /* S_IF, S_FOR */
	const char **targets; /* S_FOR, S_SET, S_SETBLOCK */
	size_t ntargets;
	struct expr *filter; /* S_FOR ... if filter */
	const char *attr; /* S_SET: {% set ns.attr = ... %} */
	int recursive; /* S_FOR */
	/* S_WITH: targets = conds; S_MACRO (name in text) and S_CALLBLOCK: parameters in
	 * targets, their defaults in conds (NULL: none); S_CALLBLOCK: expr is the call;
	 * S_FILTERBLOCK: expr is the filter chain over E_BLOCKVAL */
};

struct mx_jinja_template {
	struct arena *arena;
	struct stmt *body;
	const char **free_vars;
	size_t nfree;
};

struct parser {
	const struct token *t;
	size_t pos, ntoks;
	struct arena **arena;
	struct mx_err *err;
	int nesting; /* open blocks */
	int depth; /* expression recursion */
	int failed;
};

/*
 * Statements up to one of the tags in ends (left unconsumed: the parser
 * stands on its "{%"), or to the end of the template when nends is 0.
 */
int mx_jinja_parse_body(struct parser *p, const char *const *ends, int nends, struct stmt **out);

/* ---- free variables (analyse.c) ---- */

int mx_jinja_compute_free_vars(struct mx_jinja_template *t);

/* ---- render-time values (value.c; declared here: the parser looks filters and tests up) ---- */

#define VAL_LOOP 1 /* the loop variable of a {% for %}: loop.cycle() works on it */
#define VAL_MISSING 2 /* an optional argument that was not passed */

struct val {
	json_t *j; /* owned reference; NULL: undefined */
	const struct expr *why; /* undefined: the lookup that produced it */
	const char *objtype; /* undefined attribute/item: the container's type */
	int flags;
};

struct var {
	const char *name;
	struct val v;
};

struct rframe {
	struct rframe *parent;
	struct var *vars;
	size_t n, cap;
};

/* Kinds of special values (special.c). */
enum {
	SK_TUPLE = 1,
	SK_MARKUP,
	SK_GROUP, /* groupby's (grouper, list) */
	SK_UNDEF, /* an empty object standing for Undefined inside a list (map of a missing attribute) */
	SK_MACRO, /* p: the S_MACRO statement (or S_CALLBLOCK), frame: where it was defined */
	SK_NAMESPACE,
	SK_CYCLER,
	SK_JOINER,
	SK_LOOP, /* p: the struct loopstate of the running loop */
};

struct rframe;

struct special {
	json_t *j; /* owned reference; NULL: a free slot */
	int kind;
	const char *name;
	const void *p;
	struct rframe *frame;
};

struct render {
	const json_t *ctx;
	struct special *specs; /* open-addressed by address (special.c) */
	size_t nspec, nspec_cap;
	int too_deep; /* printing stopped at MAX_VALUE_DEPTH */
	const struct val *blockval; /* E_BLOCKVAL: the body of a {% filter %} block */
	const struct expr *caller_call; /* the call of a {% call %} block: it gets caller= */
	const struct val *caller;
	int call_depth; /* macros calling macros */
	struct rframe *frame;
	struct mx_buf *out;
	struct mx_err *err;
	size_t max_str;
	long iterations;
};

typedef int (*filter_fn)(struct render *r, const struct expr *e, struct val *v, struct val *args,
                         size_t nargs);
typedef int (*test_fn)(struct render *r, const struct expr *e, const struct val *v, const struct val *args,
                       int *res);

struct filter_def {
	const char *name;
	filter_fn fn;
	int nrequired;
	int variadic; /* extra positional arguments; params are keyword-only */
	const char *params[5];
};

struct test_def {
	const char *name;
	test_fn fn;
	int nargs;
};

static inline int nparams_of(const struct filter_def *f)
{
	int n = 0;
	while (n < 5 && f->params[n])
		n++;
	return n;
}

static inline void vdrop(struct val *v)
{
	json_decref(v->j);
	v->j = NULL;
}

static inline struct val vundef(const struct expr *why, const char *objtype)
{
	struct val v = {NULL, why, objtype, 0};
	return v;
}

/* Take a new reference (NULL means out of memory, not undefined). */
static inline int vset(struct val *out, json_t *j)
{
	*out = vundef(NULL, NULL);
	if (j == NULL)
		return MX_ENOMEM;
	out->j = j;
	return 0;
}

static inline struct val vcopy(const struct val *v)
{
	struct val c = *v;
	json_incref(c.j);
	c.flags &= ~VAL_MISSING;
	return c;
}

static inline struct val vborrow(json_t *j)
{
	struct val v = vundef(NULL, NULL);
	v.j = json_incref(j);
	return v;
}

/* An element of a list: Undefined when it is the SK_UNDEF stand-in. */
static inline struct val vitem(json_t *j)
{
	if (j && json_is_object(j) && json_object_size(j) == 0 && mx_jinja_kind(j) == SK_UNDEF)
		return vundef(NULL, NULL);
	return vborrow(j);
}

static inline int given(const struct val *a)
{
	return !(a->flags & VAL_MISSING);
}

struct num {
	int is_int;
	json_int_t i;
	double d;
};

/* int, float or bool (bool is an int in Python). */
static inline int get_num(const json_t *j, struct num *n)
{
	if (j == NULL)
		return 0;
	switch (json_typeof(j)) {
	case JSON_INTEGER: n->is_int = 1, n->i = json_integer_value(j), n->d = (double)n->i; return 1;
	case JSON_TRUE: n->is_int = 1, n->i = 1, n->d = 1; return 1;
	case JSON_FALSE: n->is_int = 1, n->i = 0, n->d = 0; return 1;
	case JSON_REAL: n->is_int = 0, n->i = 0, n->d = json_real_value(j); return 1;
	default: return 0;
	}
}

static inline int truthy(const struct val *v)
{
	const json_t *j = v->j;
	if (j == NULL)
		return 0;
	switch (json_typeof(j)) {
	case JSON_OBJECT: return json_object_size(j) > 0 || mx_jinja_kind(j) >= SK_MACRO;
	case JSON_ARRAY: return json_array_size(j) > 0;
	case JSON_STRING: return json_string_length(j) > 0;
	case JSON_INTEGER: return json_integer_value(j) != 0;
	case JSON_REAL: return json_real_value(j) != 0.0;
	case JSON_TRUE: return 1;
	default: return 0;
	}
}

/* ---- value.c ---- */

/* A render error at line:col, or at node `at` (the first error wins); returns code. */
__attribute__((format(printf, 5, 6))) int mx_jinja_rerr_at(struct render *r, int line, int col, int code,
                                                           const char *fmt, ...);
__attribute__((format(printf, 4, 5))) int mx_jinja_rerr(struct render *r, const struct expr *at, int code,
                                                        const char *fmt, ...);
/* Python's type name of v ("Undefined" for Undefined). */
const char *mx_jinja_vtype(const struct val *v);
/* Jinja's UndefinedError for v, at node at. */
int mx_jinja_undef_err(struct render *r, const struct expr *at, const struct val *v);
/* A float or number result; inf and nan are errors. */
int mx_jinja_mk_real(struct render *r, const struct expr *e, double d, struct val *out);
int mx_jinja_mk_num(struct render *r, const struct expr *e, const struct num *n, struct val *out);
/* str(v); Undefined prints as nothing. */
int mx_jinja_write_str(struct mx_buf *b, const struct val *v);
/* Python's == over JSON values (1 == 1.0 == True), and over values. */
int mx_jinja_py_eq(const json_t *a, const json_t *b, int depth);
int mx_jinja_veq(const struct val *a, const struct val *b);
/* a < b; -1 when Python would raise TypeError. */
int mx_jinja_py_lt(const json_t *a, const json_t *b, int *lt, int depth);
/* A string buffer bounded by the render's string limit. */
void mx_jinja_sb_init(struct render *r, struct mx_buf *b);
/* Turn a string buffer into a value (and free the buffer). */
int mx_jinja_sb_finish(struct render *r, const struct expr *e, struct mx_buf *b, int rc, struct val *out);
/* A str value of s[0..n). */
int mx_jinja_mk_str(struct render *r, const struct expr *e, const char *s, size_t n, struct val *out);
/* str(v) as a fresh buffer the caller frees. */
int mx_jinja_soft_str(struct render *r, const struct expr *e, const struct val *v, struct mx_buf *b);
/* list(v): a new reference to a JSON array. */
int mx_jinja_to_list(struct render *r, const struct expr *e, const struct val *v, json_t **out);
/* obj[key] and obj.name as Jinja's getitem/getattr: Undefined (naming why) when absent. */
int mx_jinja_get_item(const struct expr *why, const json_t *obj, const json_t *key, struct val *out);
int mx_jinja_get_attr(const struct expr *why, const json_t *obj, const char *name, struct val *out);
/* Jinja's make_attrgetter: "a.b.0" walks items; an int picks an index. */
int mx_jinja_get_path(const json_t *obj, const struct val *path, struct val *out);

/* ---- character classes and string operations (text.c) ---- */

enum { CASE_UPPER, CASE_LOWER, CASE_TITLE, CASE_CAPITALIZE, CASE_PYTITLE };

/* str.isspace() */
int mx_jinja_cp_space(uint32_t c);
uint32_t mx_jinja_cp_lower(uint32_t c);
int mx_jinja_cp_is_upper(uint32_t c);
int mx_jinja_cp_is_lower(uint32_t c);
int mx_jinja_cp_alpha(uint32_t c);
int mx_jinja_cp_digit(uint32_t c);
/* \w of Python's re (Unicode): letters, digits, underscore. */
int mx_jinja_cp_word(uint32_t c);
int mx_jinja_str_case(struct render *r, const struct expr *e, const char *s, size_t n, int mode,
                      struct val *out);
/* str.strip([chars]) */
int mx_jinja_str_strip(struct render *r, const struct expr *e, const char *s, size_t n,
                       const struct val *chars, int left, int right, struct val *out);
/* str.replace(old, new[, count]) */
int mx_jinja_str_replace(struct render *r, const struct expr *e, const char *s, size_t n, const char *old,
                         size_t oldn, const char *rep, size_t repn, json_int_t count, struct val *out);
/* str.split([sep[, maxsplit]]) */
int mx_jinja_str_split(struct render *r, const struct expr *e, const char *s, size_t n, const struct val *sep,
                       json_int_t maxsplit, struct val *out);
/* sep.join(items); strict: items must be strings (str.join), else str() each (the filter). */
int mx_jinja_str_join(struct render *r, const struct expr *e, const char *sep, size_t sepn,
                      const json_t *items, const struct val *attribute, int strict, struct val *out);
int mx_jinja_need_args(struct render *r, const struct expr *e, const char *name, size_t n, size_t min,
                       size_t max);
int mx_jinja_arg_int(struct render *r, const struct expr *e, const struct val *a, json_int_t def,
                     const char *what, json_int_t *out);

/* ---- textwrap.c: str.splitlines(), indent, wordwrap ---- */

/* The length of the line boundary (str.splitlines()) at s[i], 0 when none. */
size_t mx_jinja_line_break(const char *s, size_t n, size_t i);
/* The next line of s from *pos: 1 and [*start, *end), 0 at the end. */
int mx_jinja_next_line(const char *s, size_t n, size_t *pos, size_t *start, size_t *end);
int mx_jinja_indent(struct mx_buf *b, const char *s, size_t n, const char *ind, size_t indn, int first,
                    int blank);
int mx_jinja_wordwrap(struct mx_buf *b, const char *s, size_t n, size_t width, int break_long, int hyphens,
                      const char *wrap, size_t wrapn);

/* ---- eval.c: operators, expressions, statements ---- */

int mx_jinja_binop(struct render *r, const struct expr *e, int op, const struct val *a, const struct val *b,
                   struct val *out);
const char *mx_jinja_find_bytes(const char *h, size_t hn, const char *n, size_t nn);
int mx_jinja_compare_values(struct render *r, const struct expr *e, int op, const struct val *a,
                            const struct val *b, int *res);

/* ---- methods.c: str methods and globals ---- */

/* islower()/isupper(): some cased character, and all cased ones in that case. */
int mx_jinja_str_cased(const char *s, size_t n, int want_upper);
int mx_jinja_call_method(struct render *r, const struct expr *e, const struct val *obj, const char *name,
                         struct val *args, size_t n, struct val *out);
int mx_jinja_call_global(struct render *r, const struct expr *e, const char *name, struct val *args,
                         size_t nargs, struct val *kwargs, struct val *out);

/* ---- filters.c ---- */

const struct filter_def *mx_jinja_find_filter(const char *name);
const struct filter_def *mx_jinja_find_filter_more(const char *name);
/* Jinja built-ins this engine leaves out: named as unsupported, not unknown. */
int mx_jinja_unsupported_filter(const char *name);

/* ---- special.c: tuples, Markup, macros, namespace, cycler, joiner, loop; printing ---- */

void mx_jinja_special_begin(struct render *r);
void mx_jinja_special_end(struct render *r);
struct special *mx_jinja_special_find(const json_t *j);
int mx_jinja_kind(const json_t *j);
int mx_jinja_special_add(json_t *j, int kind, struct special **out);
int mx_jinja_mk_special(json_t *j, int kind, struct val *out);
int mx_jinja_mk_tuple(json_t *a, struct val *out);
/* A new reference to a stand-in for Undefined to put in a list (NULL when out of memory). */
json_t *mx_jinja_undef_item(void);
/* A new (key, value) tuple, NULL when out of memory. */
json_t *mx_jinja_pair(const char *k, size_t klen, json_t *v);
int mx_jinja_mk_markup(const char *s, size_t n, struct val *out);
int mx_jinja_is_markup(const json_t *j);
/* markupsafe.escape of s[0..n) appended to b. */
int mx_jinja_escape_html(struct mx_buf *b, const char *s, size_t n);
/* repr(str) with Python's escapes of what str.isprintable() rejects. */
int mx_jinja_repr_str(struct mx_buf *b, const char *s, size_t n);
/* str(j) (repr 0) or repr(j) appended to b; NULL prints nothing. */
int mx_jinja_print(struct mx_buf *b, const json_t *j, int repr);

/* ---- format.c: printf-style % and str.format() ---- */

int mx_jinja_percent(struct render *r, const struct expr *e, const char *s, size_t n, const json_t *args,
                     int markup, struct val *out);
int mx_jinja_str_format(struct render *r, const struct expr *e, const char *s, size_t n,
                        const struct val *args, size_t nargs, const struct val *kwargs,
                        const char *const *kwnames, size_t nkw, struct val *out);

/* ---- tests.c ---- */

const struct test_def *mx_jinja_find_test(const char *name);

#endif
