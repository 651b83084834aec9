/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cel — the Common Expression Language engine behind policy conditions.
 *
 * Compile once, evaluate many. mx_cel_compile parses an expression into an
 * immutable program (AST plus pre-decoded literals and pre-compiled regular
 * expressions); evaluating it never re-parses and never writes to the
 * program, so one program may be evaluated from any number of threads at
 * once. Each evaluation allocates its intermediate values from a private
 * arena (the first few kilobytes live on the stack) that is dropped when the
 * call returns; nothing is reference-counted.
 *
 * An activation binds variable names to values. It is built once per call
 * (typically from a JSON object: every key a variable) and is read-only
 * during evaluation, so it too may be shared between threads.
 *
 * Semantics follow cel-spec (doc/langdef.md): no implicit conversions;
 * int/uint overflow, division by zero, bad indexes and missing keys are
 * errors; && and || absorb errors commutatively; numbers of different types
 * compare by value (1 == 1u == 1.0).
 *
 * Limits against hostile input: MX_CEL_MAX_SOURCE bytes of source,
 * MX_CEL_MAX_DEPTH nesting, and a per-evaluation memory bound.
 */
#ifndef MX_CEL_CEL_H
#define MX_CEL_CEL_H

#include "core/err.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MX_CEL_MAX_SOURCE (32 * 1024) /* bytes of expression text */
#define MX_CEL_MAX_DEPTH 250 /* nesting of the syntax tree */
#define MX_CEL_MAX_EVAL_BYTES (64u * 1024 * 1024) /* arena bound per evaluation */

enum mx_cel_kind {
	MX_CEL_NULL,
	MX_CEL_BOOL,
	MX_CEL_INT,
	MX_CEL_UINT,
	MX_CEL_DOUBLE,
	MX_CEL_STRING,
	MX_CEL_BYTES,
	MX_CEL_LIST,
	MX_CEL_MAP,
	MX_CEL_TYPE, /* s holds the type name: "int", "google.protobuf.Timestamp", … */
	MX_CEL_TIMESTAMP,
	MX_CEL_DURATION,
	MX_CEL_ERROR, /* s holds the message */
};

struct mx_cel_list;
struct mx_cel_map;

/*
 * A value. Strings, bytes, lists and maps point into memory owned by
 * whoever made the value (a program, an activation or an evaluation
 * result); values never own anything and are copied by assignment.
 * String and bytes data are NUL-terminated (s.p[s.n] == 0) for convenience,
 * but may contain NULs.
 */
struct mx_cel_value {
	enum mx_cel_kind kind;
	union {
		bool b;
		int64_t i;
		uint64_t u;
		double d;
		struct {
			const char *p;
			size_t n;
		} s;
		const struct mx_cel_list *list;
		const struct mx_cel_map *map;
		struct {
			int64_t sec; /* timestamp: seconds since the Unix epoch */
			int32_t nsec; /* 0..999999999 */
		} t; /* durations use i: signed nanoseconds (cel-spec: an int64, about ±290 years) */
	};
};

struct mx_cel_list {
	size_t n;
	const struct mx_cel_value *items;
};

/* Entries keep their literal/insertion order; lookups use a hash index when large. */
struct mx_cel_map {
	size_t n;
	const struct mx_cel_value *keys;
	const struct mx_cel_value *vals;
	const uint32_t *index; /* open addressing, index_cap slots of entry+1 (0 = empty); NULL if small */
	size_t index_cap;
};

struct mx_cel_program;
struct mx_cel_activation;
struct mx_cel_result;

/* ---- compile ---- */

/*
 * Parse src. On a syntax error err->msg reads
 *   ERROR: <input>:1:5: Syntax error: <what>
 *    | a + 
 *    | ....^
 * and err->line/err->col locate it.
 */
int mx_cel_compile(const char *src, struct mx_cel_program **out, struct mx_err *err);
/* The same for source text of known length (which may contain NUL bytes). */
int mx_cel_compile_n(const char *src, size_t n, struct mx_cel_program **out, struct mx_err *err);
void mx_cel_program_free(struct mx_cel_program *p);
const char *mx_cel_program_source(const struct mx_cel_program *p);

/* ---- activation ---- */

int mx_cel_activation_new(struct mx_cel_activation **out);
/* Every key of the JSON object obj becomes a variable (obj may be NULL: no variables). */
int mx_cel_activation_from_json(const json_t *obj, struct mx_cel_activation **out, struct mx_err *err);
/* Bind (or rebind) one variable. The value is copied deeply into the activation. */
int mx_cel_activation_bind_json(struct mx_cel_activation *a, const char *name, const json_t *v,
                                struct mx_err *err);
int mx_cel_activation_bind(struct mx_cel_activation *a, const char *name, const struct mx_cel_value *v);
void mx_cel_activation_free(struct mx_cel_activation *a);

/* ---- evaluate ---- */

/*
 * Evaluate to a JSON value: ints, uints and doubles become numbers, bytes
 * base64 text, timestamps RFC 3339 text, durations "<seconds>s", types their
 * name. A CEL error (missing key, overflow, no such overload) returns
 * MX_EINVAL with the message in err.
 */
int mx_cel_eval(const struct mx_cel_program *p, const struct mx_cel_activation *act, json_t **out,
                struct mx_err *err);
/* Evaluate a condition: anything but a bool is an error. */
int mx_cel_eval_bool(const struct mx_cel_program *p, const struct mx_cel_activation *act, bool *out,
                     struct mx_err *err);
/*
 * Evaluate and keep the typed value (tests, conformance). The result owns
 * the value's memory; a CEL error is returned as 0 with a value of kind
 * MX_CEL_ERROR. Only failures outside CEL (out of memory) return nonzero.
 */
int mx_cel_eval_value(const struct mx_cel_program *p, const struct mx_cel_activation *act,
                      struct mx_cel_result **out);
const struct mx_cel_value *mx_cel_result_value(const struct mx_cel_result *r);
void mx_cel_result_free(struct mx_cel_result *r);

/* ---- values ---- */

/* CEL equality (heterogeneous numbers compare by value; NaN != NaN). Errors compare unequal. */
bool mx_cel_value_equal(const struct mx_cel_value *a, const struct mx_cel_value *b);
/* Convert to JSON (see mx_cel_eval). Returns NULL on out of memory or an error value. */
json_t *mx_cel_value_to_json(const struct mx_cel_value *v);
/* The CEL type name of v ("int", "list", "google.protobuf.Duration", …). */
const char *mx_cel_type_name(const struct mx_cel_value *v);

#endif
