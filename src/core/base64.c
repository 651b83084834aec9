/* SPDX-License-Identifier: Apache-2.0 */
/* base64 — see base64.h. */
#include "core/base64.h"

#include "core/alloc.h"

#include <stdint.h>

static const char ALPHABET[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t mx_base64_encoded_len(size_t n)
{
	return (n + 2) / 3 * 4;
}

size_t mx_base64_encode(const void *data, size_t n, char *out)
{
	const unsigned char *p = data;
	size_t o = 0;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		out[o++] = ALPHABET[(v >> 18) & 63];
		out[o++] = ALPHABET[(v >> 12) & 63];
		out[o++] = i + 1 < n ? ALPHABET[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < n ? ALPHABET[v & 63] : '=';
	}
	out[o] = '\0';
	return o;
}

json_t *mx_base64_json(const void *p, size_t n)
{
	char *out = mx_malloc(mx_base64_encoded_len(n) + 1);
	if (out == NULL)
		return NULL;
	json_t *j = json_stringn(out, mx_base64_encode(p, n, out));
	mx_free(out);
	return j;
}

static int digit_value(unsigned char c, int url)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == (url ? '-' : '+'))
		return 62;
	if (c == (url ? '_' : '/'))
		return 63;
	return -1;
}

static int decode(const char *s, size_t n, int url, void *out, size_t outsz, size_t *outlen)
{
	unsigned char *o = out;
	unsigned acc = 0;
	int bits = 0;
	size_t k = 0;
	for (size_t i = 0; i < n && s[i] != '='; i++) {
		int d = digit_value((unsigned char)s[i], url);
		if (d < 0)
			return -1;
		acc = (acc << 6) | (unsigned)d;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (k >= outsz)
				return -1;
			o[k++] = (unsigned char)((acc >> bits) & 0xff);
		}
	}
	*outlen = k;
	return 0;
}

int mx_base64_decode(const char *s, size_t n, void *out, size_t outsz, size_t *outlen)
{
	return decode(s, n, 0, out, outsz, outlen);
}

size_t mx_base64url_encode(const void *p, size_t n, char *out, int pad)
{
	size_t len = mx_base64_encode(p, n, out);
	for (size_t i = 0; i < len; i++) {
		if (out[i] == '+')
			out[i] = '-';
		else if (out[i] == '/')
			out[i] = '_';
	}
	while (!pad && len > 0 && out[len - 1] == '=')
		out[--len] = '\0';
	return len;
}

int mx_base64url_decode(const char *s, size_t n, void *out, size_t outsz, size_t *outlen)
{
	return decode(s, n, 1, out, outsz, outlen);
}
