/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pytext — Python-compatible text of JSON values and numbers.
 *
 * MXCP is a Python program: its messages print values with str() and
 * repr(), its templates with Jinja2's str(), and it reads numbers with
 * int() and float(). These functions give the same text for the same
 * values (JSON strings are str, integers int, reals float, true/false
 * bool, null None, arrays list, objects dict) so that the type system,
 * the test runner, the request-context functions and the Jinja engine
 * all say what MXCP says. Pure functions, any thread.
 */
#ifndef MX_CORE_PYTEXT_H
#define MX_CORE_PYTEXT_H

#include "core/buf.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* Deeper values than this are not printed (MX_ELIMIT). */
#define MX_PYTEXT_MAX_DEPTH 1000

/* Python's type name: "str", "int", "float", "bool", "list", "dict", "NoneType". */
const char *mx_pytext_type(const json_t *v);

/* repr(float): the shortest text that reads back as d (0.1, 1.0, 1e+16,
 * nan, inf). */
void mx_pytext_float(double d, char *out, size_t outsz);
int mx_pytext_put_float(struct mx_buf *b, double d);

/* repr(str): single quotes unless the text holds ' and no "; backslash
 * escapes for the quote, \\, \n, \r, \t, and \xNN / \uNNNN for what
 * Python does not print (controls, U+0080..U+00A0, U+00AD, U+2028/9). */
int mx_pytext_repr_str(struct mx_buf *b, const char *s, size_t n);

/* repr(v) ('x', 1, 1.5, True, None, ['a', 1], {'k': None}) and str(v) (a
 * string is itself, anything else its repr), appended to b. */
int mx_pytext_repr(struct mx_buf *b, const json_t *v);
int mx_pytext_str(struct mx_buf *b, const json_t *v);

/* int(s, base) with base 0 or 2..36: surrounding whitespace, a sign, a
 * 0x/0o/0b prefix (base 0, or the matching base), single underscores
 * between digits. 0, MX_EINVAL when s is not such a number, MX_ELIMIT when it
 * is one but does not fit int64. */
int mx_pytext_parse_int(const char *s, size_t n, int base, int64_t *out);

/* float(s): surrounding whitespace, a sign, digits with single underscores,
 * a fraction, an exponent, or inf / infinity / nan in any case (*out may
 * then be infinite or NaN, as it may be for "1e999"). 0, MX_EINVAL when s is
 * not a float literal, MX_ENOMEM. */
int mx_pytext_parse_float(const char *s, size_t n, double *out);

#endif
