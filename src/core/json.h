/* SPDX-License-Identifier: Apache-2.0 */
/*
 * json — helpers over jansson, the JSON DOM of mxcp.
 *
 * Values that flow through a call (arguments, results) are json_t trees.
 * Output goes through a writer (jansson's dump into a bounded mx_buf),
 * never string concatenation.
 */
#ifndef MX_CORE_JSON_H
#define MX_CORE_JSON_H

#include "core/buf.h"

#include <jansson.h>

/* Flags for mx_json_dump. */
#define MX_JSON_COMPACT 0
#define MX_JSON_PRETTY 1
#define MX_JSON_SORTED 2
#define MX_JSON_SPACED 4 /* compact with Python's ", " and ": " separators */

/* Append the serialisation of v to b. */
int mx_json_dump(struct mx_buf *b, const json_t *v, int flags);
/* Serialise to a new string (mx_free it). NULL on failure. */
char *mx_json_dumps(const json_t *v, int flags);
/* Print v and a newline to a stdio stream. */
int mx_json_print(FILE *f, const json_t *v, int flags);

/* Deep equality where 1 == 1.0 (JSON numbers compare by value). */
int mx_json_equal_num(const json_t *a, const json_t *b);
/* Python's ==: as mx_json_equal_num, and True == 1 == 1.0. */
int mx_json_equal_py(const json_t *a, const json_t *b);

#endif
