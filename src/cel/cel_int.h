/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cel_int — internals shared by the files of src/cel/ (not a public API):
 * the bump arena every CEL object lives in, the syntax tree, the lexer's
 * tokens, the builtin function ids, and the value helpers the evaluator and
 * the activation share, and the evaluation state eval.c and stdlib.c share.
 *
 * Files: lex.c (tokens), parse.c (the grammar and mx_cel_compile), value.c
 * (values, maps, JSON, activations), time.c (timestamps, durations, time
 * zones), eval.c (the tree walk, macros and the eval API), stdlib.c
 * (operators, conversions, functions), regex.c (matches() over PCRE2).
 *
 * Ownership: a program owns one arena (tree, decoded literals, regexes,
 * time zones); an activation owns one; each evaluation owns one. Values
 * point into whichever arena made them and are never freed one by one.
 * Nothing here is thread-aware: arenas are confined to their owner, and the
 * program and activation are read-only once built.
 */
#ifndef MX_CEL_CEL_INT_H
#define MX_CEL_CEL_INT_H

#include "cel/cel.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- arena ---- */

struct mx_cel_chunk;

struct mx_cel_arena {
	struct mx_cel_chunk *chunks; /* heap chunks, newest first */
	char *cur, *end;
	size_t total; /* bytes taken from the heap */
	size_t limit;
	bool over_limit; /* an allocation failed because of limit, not the heap */
};

void mx_cel_arena_init(struct mx_cel_arena *a, void *first, size_t first_n, size_t limit);
/* 8-byte aligned; NULL when out of memory or past the limit. */
void *mx_cel_arena_alloc(struct mx_cel_arena *a, size_t n);
void *mx_cel_arena_dup(struct mx_cel_arena *a, const void *p, size_t n); /* adds a NUL */
void mx_cel_arena_free(struct mx_cel_arena *a);

/* ---- time ---- */

/* A time zone: either a fixed offset or a parsed TZif file. */
struct mx_cel_tz;

/* Parse RFC 3339 ("2009-02-13T23:31:30.123Z", "…+01:00"). 0 or -1. */
int mx_cel_timestamp_parse(const char *s, size_t n, int64_t *sec, int32_t *nsec);
/* Format as RFC 3339 UTC, fraction without trailing zeros (Go's RFC3339Nano). Returns length. */
size_t mx_cel_timestamp_format(int64_t sec, int32_t nsec, char *out, size_t outsz);
/* Parse a Go-style duration ("1h30m", "-1.5s", "100ns"). 0 or -1. */
int mx_cel_duration_parse(const char *s, size_t n, int64_t *ns);
/* Format as "<seconds>[.frac]s" (protobuf JSON form). Returns length. */
size_t mx_cel_duration_format(int64_t ns, char *out, size_t outsz);
/* Resolve "UTC", "+05:30", "-02:00", "02:00" or an IANA name from the tz
   database into *out (allocated from a). 0, or -1 if unknown. */
int mx_cel_tz_load(struct mx_cel_arena *a, const char *name, size_t n, const struct mx_cel_tz **out);
/* Offset from UTC in seconds at the instant sec (tz NULL = UTC). */
int64_t mx_cel_tz_offset(const struct mx_cel_tz *tz, int64_t sec);

/* ---- values ---- */

/* Interned type values (names of the builtin types). */
extern const struct mx_cel_value mx_cel_type_int, mx_cel_type_uint, mx_cel_type_double, mx_cel_type_bool,
        mx_cel_type_string, mx_cel_type_bytes, mx_cel_type_list, mx_cel_type_map, mx_cel_type_null,
        mx_cel_type_type, mx_cel_type_timestamp, mx_cel_type_duration;
/* The value of a builtin type name used as an expression ("int", "google.protobuf.Timestamp"), or NULL. */
const struct mx_cel_value *mx_cel_type_by_name(const char *name, size_t n);

/* Equality and ordering. cmp returns -1/0/1, or 2 when unordered (NaN) and -2 when no overload. */
bool mx_cel_equal(const struct mx_cel_value *a, const struct mx_cel_value *b);
int mx_cel_compare(const struct mx_cel_value *a, const struct mx_cel_value *b);
uint32_t mx_cel_hash_key(const struct mx_cel_value *k);
bool mx_cel_is_key_kind(enum mx_cel_kind k);
/* Finish a map built in place: 1 on a duplicate key (*dup set), MX_ENOMEM, or 0 with the index built. */
int mx_cel_map_finish(struct mx_cel_arena *a, struct mx_cel_map *m, size_t *dup);
const struct mx_cel_value *mx_cel_map_get(const struct mx_cel_map *m, const struct mx_cel_value *key);
const struct mx_cel_value *mx_cel_map_get_str(const struct mx_cel_map *m, const char *s, size_t n);

/* Deep-copy JSON into a (ints stay ints when integral JSON integers). 0 or MX_ENOMEM. */
int mx_cel_from_json(struct mx_cel_arena *a, const json_t *j, struct mx_cel_value *out, int depth);
int mx_cel_copy_value(struct mx_cel_arena *a, const struct mx_cel_value *in, struct mx_cel_value *out);

/* Activation lookup: NULL when unbound. */
const struct mx_cel_value *mx_cel_activation_get(const struct mx_cel_activation *a, const char *name,
                                                 size_t n, uint32_t hash);
bool mx_cel_activation_has_dotted(const struct mx_cel_activation *a);
uint32_t mx_cel_hash_bytes(const char *p, size_t n);

/* ---- syntax tree ---- */

enum mx_cel_node_kind {
	MX_CEL_N_LIT,
	MX_CEL_N_IDENT,
	MX_CEL_N_SELECT,
	MX_CEL_N_HAS, /* has(target.name) */
	MX_CEL_N_INDEX, /* target[args[0]] */
	MX_CEL_N_CALL, /* name(args…) or target.name(args…) */
	MX_CEL_N_LIST,
	MX_CEL_N_MAP, /* args: key0, val0, key1, val1, … */
	MX_CEL_N_STRUCT, /* name{field: value, …}: parsed, fails at evaluation */
	MX_CEL_N_AND,
	MX_CEL_N_OR,
	MX_CEL_N_COND, /* target ? args[0] : args[1] */
	MX_CEL_N_NOT,
	MX_CEL_N_NEG,
	MX_CEL_N_BINARY, /* op; target op args[0] */
	MX_CEL_N_COMPR, /* op = macro; var name; target = range; args[0] (, args[1]) */
};

enum mx_cel_binop {
	MX_CEL_OP_EQ,
	MX_CEL_OP_NE,
	MX_CEL_OP_LT,
	MX_CEL_OP_LE,
	MX_CEL_OP_GT,
	MX_CEL_OP_GE,
	MX_CEL_OP_IN,
	MX_CEL_OP_ADD,
	MX_CEL_OP_SUB,
	MX_CEL_OP_MUL,
	MX_CEL_OP_DIV,
	MX_CEL_OP_MOD,
};

enum mx_cel_macro {
	MX_CEL_M_ALL,
	MX_CEL_M_EXISTS,
	MX_CEL_M_EXISTS_ONE,
	MX_CEL_M_MAP, /* args[0] = transform */
	MX_CEL_M_MAP_FILTER, /* args[0] = predicate, args[1] = transform */
	MX_CEL_M_FILTER,
	MX_CEL_M_TRANSFORM_LIST, /* two variables; args[0] = transform, or predicate + transform */
	MX_CEL_M_TRANSFORM_MAP,
};

enum mx_cel_fn {
	MX_CEL_F_UNKNOWN,
	MX_CEL_F_SIZE,
	MX_CEL_F_CONTAINS,
	MX_CEL_F_STARTS_WITH,
	MX_CEL_F_ENDS_WITH,
	MX_CEL_F_MATCHES,
	MX_CEL_F_INT,
	MX_CEL_F_UINT,
	MX_CEL_F_DOUBLE,
	MX_CEL_F_STRING,
	MX_CEL_F_BYTES,
	MX_CEL_F_BOOL,
	MX_CEL_F_DYN,
	MX_CEL_F_TYPE,
	MX_CEL_F_TIMESTAMP,
	MX_CEL_F_DURATION,
	MX_CEL_F_GET_FULL_YEAR,
	MX_CEL_F_GET_MONTH,
	MX_CEL_F_GET_DAY_OF_YEAR,
	MX_CEL_F_GET_DAY_OF_MONTH,
	MX_CEL_F_GET_DATE,
	MX_CEL_F_GET_DAY_OF_WEEK,
	MX_CEL_F_GET_HOURS,
	MX_CEL_F_GET_MINUTES,
	MX_CEL_F_GET_SECONDS,
	MX_CEL_F_GET_MILLISECONDS,
};

struct mx_cel_node {
	uint8_t kind; /* enum mx_cel_node_kind */
	uint8_t op; /* enum mx_cel_binop or enum mx_cel_macro */
	uint16_t fn; /* enum mx_cel_fn for calls */
	uint32_t pos; /* byte offset in the source */
	uint32_t height; /* 1 + tallest child */
	uint32_t nargs;
	uint32_t hash; /* of name */
	size_t name_len;
	const char *name; /* ident, field, function, struct type, macro variable */
	const char *name2; /* second macro variable (value) of two-variable comprehensions */
	size_t name2_len;
	const char *qual; /* select chains of plain idents: "a.b.c" (NULL otherwise) */
	size_t qual_len;
	uint32_t qual_hash;
	struct mx_cel_node *target;
	struct mx_cel_node **args;
	struct mx_cel_value lit;
	const void
	        *aux; /* pcre2_code * for matches() with a literal pattern, mx_cel_tz * for a literal zone */
};

/* A compiled expression. Immutable after mx_cel_compile returns. */
struct mx_cel_regex_ref {
	struct mx_cel_regex_ref *next;
	void *code; /* pcre2_code * */
};

struct mx_cel_program {
	struct mx_cel_arena arena;
	const char *src;
	size_t src_len;
	struct mx_cel_node *root;
	struct mx_cel_regex_ref *regexes; /* freed with the program */
	void *re_gctx; /* pcre2_general_context * routing PCRE2 through mx_malloc */
	void *re_mctx; /* pcre2_match_context * with backtracking limits (read-only) */
};

/* Compile a regular expression (RE2 syntax subset) with our allocator; NULL + msg on error. */
int mx_cel_regex_init(struct mx_cel_program *p);
void mx_cel_regex_fini(struct mx_cel_program *p);
void *mx_cel_regex_compile(const struct mx_cel_program *p, const char *re, size_t n, char *msg, size_t msgsz);
void mx_cel_regex_free(void *code);
/* 1 match, 0 no match, -1 error (msg filled). */
int mx_cel_regex_search(const struct mx_cel_program *p, const void *code, const char *s, size_t n, char *msg,
                        size_t msgsz);

/* ---- lexer ---- */

enum mx_cel_tok {
	MX_CEL_T_EOF,
	MX_CEL_T_ERROR,
	MX_CEL_T_INT, /* lit.u holds the magnitude; neg_ok when it is exactly 2^63 */
	MX_CEL_T_UINT,
	MX_CEL_T_DOUBLE,
	MX_CEL_T_STRING,
	MX_CEL_T_BYTES,
	MX_CEL_T_IDENT,
	MX_CEL_T_QIDENT, /* `quoted field name`, only after '.' */
	MX_CEL_T_TRUE,
	MX_CEL_T_FALSE,
	MX_CEL_T_NULL,
	MX_CEL_T_IN,
	MX_CEL_T_LPAREN,
	MX_CEL_T_RPAREN,
	MX_CEL_T_LBRACKET,
	MX_CEL_T_RBRACKET,
	MX_CEL_T_LBRACE,
	MX_CEL_T_RBRACE,
	MX_CEL_T_DOT,
	MX_CEL_T_COMMA,
	MX_CEL_T_COLON,
	MX_CEL_T_QUESTION,
	MX_CEL_T_NOT,
	MX_CEL_T_MINUS,
	MX_CEL_T_PLUS,
	MX_CEL_T_STAR,
	MX_CEL_T_SLASH,
	MX_CEL_T_PERCENT,
	MX_CEL_T_EQ,
	MX_CEL_T_NE,
	MX_CEL_T_LT,
	MX_CEL_T_LE,
	MX_CEL_T_GT,
	MX_CEL_T_GE,
	MX_CEL_T_AND,
	MX_CEL_T_OR,
};

struct mx_cel_token {
	enum mx_cel_tok kind;
	size_t pos, len;
	bool int_overflow; /* INT literal above INT64_MAX (only -2^63 is then valid) */
	struct mx_cel_value lit;
	const char *errmsg; /* for MX_CEL_T_ERROR */
	size_t errpos;
};

struct mx_cel_lexer {
	const char *src;
	size_t n, pos;
	struct mx_cel_arena *arena; /* decoded string literals */
};

/* Next token; string literals are decoded into the lexer's arena. */
void mx_cel_lex_next(struct mx_cel_lexer *lx, struct mx_cel_token *t);
bool mx_cel_is_reserved(const char *p, size_t n);

/* ---- evaluation (eval.c) and the standard library (stdlib.c) ---- */

struct mx_cel_scope; /* a comprehension's local variable, chained outwards */

/* The state of one evaluation: read-only program and activation, its own arena. */
struct mx_cel_ev {
	const struct mx_cel_program *prog;
	const struct mx_cel_activation *act;
	struct mx_cel_arena *a;
	const struct mx_cel_scope *locals;
};

/* Evaluate node n into *out (an error value on failure). */
void mx_cel_eval_node(struct mx_cel_ev *e, const struct mx_cel_node *n, struct mx_cel_value *out);

/* Error results: out of memory (or past the arena's limit), a message, no overload for fn. */
void mx_cel_ev_oom(struct mx_cel_ev *e, struct mx_cel_value *out);
__attribute__((format(printf, 3, 4))) void mx_cel_ev_fail(struct mx_cel_ev *e, struct mx_cel_value *out,
                                                          const char *fmt, ...);
void mx_cel_ev_no_overload(struct mx_cel_ev *e, struct mx_cel_value *out, const char *fn,
                           const struct mx_cel_value *a, const struct mx_cel_value *b);

static inline void mx_cel_set_bool(struct mx_cel_value *out, bool b)
{
	out->kind = MX_CEL_BOOL;
	out->b = b;
}

static inline void mx_cel_set_int(struct mx_cel_value *out, int64_t i)
{
	out->kind = MX_CEL_INT;
	out->i = i;
}

/* A string or bytes result, copied into the evaluation's arena. */
void mx_cel_set_str(struct mx_cel_ev *e, struct mx_cel_value *out, enum mx_cel_kind k, const char *p,
                    size_t n);

/* The arithmetic operators (+ - * / %) over evaluated operands. */
void mx_cel_arith(struct mx_cel_ev *e, int op, const struct mx_cel_value *l, const struct mx_cel_value *r,
                  struct mx_cel_value *out);
/* A function or method call node (n->kind MX_CEL_N_CALL). */
void mx_cel_call(struct mx_cel_ev *e, const struct mx_cel_node *n, struct mx_cel_value *out);

#endif
