/* SPDX-License-Identifier: Apache-2.0 */
/*
 * buf — a growable byte buffer with a hard upper bound.
 *
 * Every buffer is given its maximum at init (curl's dynbuf); an append that
 * would pass it fails with MX_ELIMIT and leaves the contents as they were.
 * The contents are always NUL-terminated, so b->p can be used as a C string.
 */
#ifndef MX_CORE_BUF_H
#define MX_CORE_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct mx_buf {
	char *p;
	size_t len;
	size_t cap;
	size_t max;
};

#define MX_BUF_UNBOUNDED ((size_t)1 << 40)

void mx_buf_init(struct mx_buf *b, size_t max);
void mx_buf_free(struct mx_buf *b);
void mx_buf_reset(struct mx_buf *b);
int mx_buf_append(struct mx_buf *b, const void *data, size_t n);
int mx_buf_puts(struct mx_buf *b, const char *s);
int mx_buf_putc(struct mx_buf *b, char c);
int mx_buf_printf(struct mx_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int mx_buf_vprintf(struct mx_buf *b, const char *fmt, va_list ap);
/* s between two q's, with q and backslash escaped by a backslash, \n \r \t,
 * and other control characters as \xNN: a Python repr() string and a YAML
 * double-quoted scalar alike. */
int mx_buf_put_quoted(struct mx_buf *b, const char *s, size_t len, char q);
/* The contents as a C string ("" when empty; never NULL). */
const char *mx_buf_str(const struct mx_buf *b);
/* Hand the contents to the caller (free with mx_free) and reset b. */
char *mx_buf_detach(struct mx_buf *b);

/* Read a whole file into b (bounded by b->max). */
int mx_buf_read_file(struct mx_buf *b, const char *path);

#endif
