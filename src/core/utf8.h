/* SPDX-License-Identifier: Apache-2.0 */
/*
 * utf8 — UTF-8 text helpers shared by the languages (Jinja, CEL), the type
 * system, the URI templates and the metrics labels. Pure functions.
 *
 * Valid UTF-8 is RFC 3629's: no overlong forms, no surrogates, nothing past
 * U+10FFFF. The counting and stepping functions expect valid text (jansson
 * checks every string it holds; the parsers check their input once).
 */
#ifndef MX_CORE_UTF8_H
#define MX_CORE_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Encode code point cp (at most 0x10FFFF) into out; returns the bytes written (1..4). */
size_t mx_utf8_put(char *out, uint32_t cp);

/* The value of a hexadecimal digit, or -1. */
int mx_hex_digit(int c);

/* Whether s[0..n) is valid UTF-8. */
bool mx_utf8_valid(const char *s, size_t n);

/* The length (1..4) of the valid character that starts s[0..n), or 0 when
 * the bytes there are not one (n == 0 included). */
size_t mx_utf8_char_len(const char *s, size_t n);

/* Code points in valid text s[0..n). */
size_t mx_utf8_count(const char *s, size_t n);

/* The code point at s[*i] of valid text; *i moves past it. Inline: the
 * string functions of the languages call it once a character. */
static inline uint32_t mx_utf8_next(const char *s, size_t n, size_t *i)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned c = p[*i];
	size_t len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : 4;
	uint32_t cp = len == 1 ? c : len == 2 ? c & 0x1F : len == 3 ? c & 0x0F : c & 0x07;
	for (size_t k = 1; k < len && *i + k < n; k++)
		cp = (cp << 6) | (p[*i + k] & 0x3F);
	*i += len;
	return cp;
}

/* Byte offset of code point index k of valid text (n when k is past the end). */
size_t mx_utf8_offset(const char *s, size_t n, size_t k);

#endif
