/* SPDX-License-Identifier: Apache-2.0 */
/* form — see form.h. */
#include "core/form.h"

#include "core/alloc.h"
#include "core/err.h"

#include <string.h>

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode s[0..n) ('+' is a space) into a new string. */
static int decode(const char *s, size_t n, char **out)
{
	char *d = mx_malloc(n + 1);
	if (d == NULL)
		return MX_ENOMEM;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '+') {
			c = ' ';
		} else if (c == '%') {
			int hi = i + 2 < n ? hex_value(s[i + 1]) : -1;
			int lo = hi >= 0 ? hex_value(s[i + 2]) : -1;
			if (hi < 0 || lo < 0) {
				mx_free(d);
				return MX_EINVAL;
			}
			c = (char)(hi * 16 + lo);
			i += 2;
		}
		if (c == '\0') {
			mx_free(d);
			return MX_EINVAL;
		}
		d[k++] = c;
	}
	d[k] = '\0';
	*out = d;
	return 0;
}

int mx_form_parse(const char *s, size_t n, json_t **out)
{
	*out = NULL;
	json_t *o = json_object();
	if (o == NULL)
		return MX_ENOMEM;
	size_t i = 0;
	while (s != NULL && i < n) {
		size_t end = i;
		while (end < n && s[end] != '&')
			end++;
		if (end > i) {
			size_t eq = i;
			while (eq < end && s[eq] != '=')
				eq++;
			char *name = NULL, *value = NULL;
			int rc = decode(s + i, eq - i, &name);
			if (rc == 0)
				rc = decode(eq < end ? s + eq + 1 : "", eq < end ? end - eq - 1 : 0, &value);
			if (rc == 0 && json_object_get(o, name) != NULL)
				rc = MX_EINVAL;
			if (rc == 0 && json_object_set_new(o, name, json_string(value)) != 0)
				rc = MX_EINVAL; /* not UTF-8 */
			mx_free(name);
			mx_free(value);
			if (rc != 0) {
				json_decref(o);
				return rc;
			}
		}
		i = end + 1;
	}
	*out = o;
	return 0;
}

int mx_form_encode(struct mx_buf *b, const char *s)
{
	static const char HEX[] = "0123456789ABCDEF";
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		unsigned char c = *p;
		int keep = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		           c == '-' || c == '.' || c == '_' || c == '~';
		int rc;
		if (keep) {
			rc = mx_buf_putc(b, (char)c);
		} else {
			char e[3] = {'%', HEX[c >> 4], HEX[c & 15]};
			rc = mx_buf_append(b, e, 3);
		}
		if (rc != 0)
			return rc;
	}
	return 0;
}

int mx_form_put(struct mx_buf *b, const char *name, const char *value)
{
	int rc = b->len > 0 ? mx_buf_putc(b, '&') : 0;
	if (rc == 0)
		rc = mx_form_encode(b, name);
	if (rc == 0)
		rc = mx_buf_putc(b, '=');
	if (rc == 0)
		rc = mx_form_encode(b, value);
	return rc;
}
