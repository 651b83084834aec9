/* SPDX-License-Identifier: Apache-2.0 */
/*
 * base64 — RFC 4648 base64 (the standard alphabet, '=' padding): BLOB and
 * CEL bytes values as JSON text, and the "=?base64?…?=" header form of
 * MCP; and its URL-safe alphabet ('-', '_') for JWTs, PKCE and Fernet
 * tokens. Pure functions.
 */
#ifndef MX_CORE_BASE64_H
#define MX_CORE_BASE64_H

#include <jansson.h>
#include <stddef.h>

/* Length of the encoding of n bytes, padding included, without a NUL. */
size_t mx_base64_encoded_len(size_t n);

/* Encode p[0..n) into out (room for mx_base64_encoded_len(n) + 1 bytes),
 * NUL-terminated; returns the length. */
size_t mx_base64_encode(const void *p, size_t n, char *out);

/* The encoding of p[0..n) as a new JSON string; NULL when out of memory. */
json_t *mx_base64_json(const void *p, size_t n);

/* Decode s[0..n) into out (room for outsz bytes); decoding stops at the
 * first '=' and trailing bits are dropped. 0 with the length in *outlen,
 * or -1 when s holds a byte outside the alphabet or out is too small. */
int mx_base64_decode(const char *s, size_t n, void *out, size_t outsz, size_t *outlen);

/* The URL-safe alphabet (RFC 4648 §5): encode with or without '='
 * padding (out as for mx_base64_encode); decode with or without it. */
size_t mx_base64url_encode(const void *p, size_t n, char *out, int pad);
int mx_base64url_decode(const char *s, size_t n, void *out, size_t outsz, size_t *outlen);

#endif
