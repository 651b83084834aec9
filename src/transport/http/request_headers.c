/* SPDX-License-Identifier: Apache-2.0 */
/* request_headers — see request_headers.h. */
#include "transport/http/request_headers.h"

#include "core/buf.h"
#include "core/utf8.h"

#include <string.h>

/* Longer names are dropped: no SQL looks such a header up. */
#define MX_HEADER_NAME_MAX 256

static json_t *header_value(const char *v, size_t n)
{
	json_t *s = json_stringn(v, n);
	if (s != NULL)
		return s;
	/* not UTF-8: every byte is one Latin-1 character */
	struct mx_buf b;
	mx_buf_init(&b, 2 * n + 1);
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		char u[4];
		rc = mx_buf_append(&b, u, mx_utf8_put(u, (unsigned char)v[i]));
	}
	s = rc == 0 ? json_stringn(mx_buf_str(&b), b.len) : NULL;
	mx_buf_free(&b);
	return s;
}

static enum MHD_Result add_header(void *cls, enum MHD_ValueKind kind, const char *key, size_t key_size,
                                  const char *value, size_t value_size)
{
	(void)kind;
	json_t *obj = cls;
	char name[MX_HEADER_NAME_MAX];
	if (key == NULL || key_size == 0 || key_size >= sizeof name)
		return MHD_YES;
	for (size_t i = 0; i < key_size; i++) {
		char ch = key[i];
		name[i] = ch >= 'A' && ch <= 'Z' ? (char)(ch - 'A' + 'a') : ch;
	}
	name[key_size] = '\0';
	if (memchr(name, '\0', key_size) != NULL || json_object_get(obj, name) != NULL)
		return MHD_YES;
	json_t *v = header_value(value ? value : "", value ? value_size : 0);
	json_object_set_new(obj, name, v); /* a NULL v is refused, nothing leaks */
	return MHD_YES;
}

json_t *mx_http_request_headers(struct MHD_Connection *c)
{
	json_t *obj = json_object();
	if (obj != NULL)
		MHD_get_connection_values_n(c, MHD_HEADER_KIND, add_header, obj);
	return obj;
}
