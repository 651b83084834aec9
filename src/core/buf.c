/* SPDX-License-Identifier: Apache-2.0 */
/* buf — see buf.h. */
#include "core/buf.h"

#include "core/alloc.h"
#include "core/err.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

void mx_buf_init(struct mx_buf *b, size_t max)
{
	b->p = NULL;
	b->len = b->cap = 0;
	b->max = max;
}

void mx_buf_free(struct mx_buf *b)
{
	mx_free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

void mx_buf_reset(struct mx_buf *b)
{
	b->len = 0;
	if (b->p)
		b->p[0] = '\0';
}

static int reserve(struct mx_buf *b, size_t extra)
{
	if (extra > b->max || b->len > b->max - extra)
		return MX_ELIMIT;
	size_t need = b->len + extra + 1;
	if (need <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap *= 2;
	char *p = mx_realloc(b->p, cap);
	if (p == NULL)
		return MX_ENOMEM;
	b->p = p;
	b->cap = cap;
	return 0;
}

int mx_buf_append(struct mx_buf *b, const void *data, size_t n)
{
	int rc = reserve(b, n);
	if (rc)
		return rc;
	if (n)
		memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

int mx_buf_puts(struct mx_buf *b, const char *s)
{
	return mx_buf_append(b, s, strlen(s));
}

int mx_buf_putc(struct mx_buf *b, char c)
{
	return mx_buf_append(b, &c, 1);
}

int mx_buf_vprintf(struct mx_buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return MX_EINVAL;
	int rc = reserve(b, (size_t)n);
	if (rc)
		return rc;
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int mx_buf_printf(struct mx_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = mx_buf_vprintf(b, fmt, ap);
	va_end(ap);
	return rc;
}

const char *mx_buf_str(const struct mx_buf *b)
{
	return b->p ? b->p : "";
}

char *mx_buf_detach(struct mx_buf *b)
{
	char *p = b->p;
	if (p == NULL)
		p = mx_strdup("");
	b->p = NULL;
	b->len = b->cap = 0;
	return p;
}

int mx_buf_read_file(struct mx_buf *b, const char *path)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return errno == ENOENT ? MX_ENOTFOUND : MX_EIO;
	char chunk[16384];
	size_t n;
	int rc = 0;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
		rc = mx_buf_append(b, chunk, n);
		if (rc)
			break;
	}
	if (rc == 0 && ferror(f))
		rc = MX_EIO;
	fclose(f);
	if (rc == 0 && b->p == NULL)
		rc = mx_buf_append(b, "", 0);
	return rc;
}

int mx_buf_put_quoted(struct mx_buf *b, const char *s, size_t len, char q)
{
	int rc = mx_buf_append(b, &q, 1);
	for (size_t i = 0; i < len && rc == 0; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == (unsigned char)q || c == '\\')
			rc = mx_buf_printf(b, "\\%c", c);
		else if (c == '\n')
			rc = mx_buf_append(b, "\\n", 2);
		else if (c == '\r')
			rc = mx_buf_append(b, "\\r", 2);
		else if (c == '\t')
			rc = mx_buf_append(b, "\\t", 2);
		else if (c < 0x20 || c == 0x7f)
			rc = mx_buf_printf(b, "\\x%02x", c);
		else
			rc = mx_buf_append(b, s + i, 1);
	}
	return rc ? rc : mx_buf_append(b, &q, 1);
}
