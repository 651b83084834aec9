/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fernet — the Fernet token format (cryptography.io's spec), which MXCP
 * uses to encrypt provider tokens at rest under `auth_encryption_key`:
 * a key is 32 bytes in URL-safe base64 (16 signing, 16 encryption); a
 * token is base64url(0x80 ‖ time(8, big-endian) ‖ IV(16) ‖ AES-128-CBC
 * ciphertext (PKCS#7) ‖ HMAC-SHA256(32)). A store written by MXCP reads
 * here and the other way round. OpenSSL's libcrypto; pure functions,
 * any thread.
 */
#ifndef MX_AUTH_OAUTH_FERNET_H
#define MX_AUTH_OAUTH_FERNET_H

#include <stddef.h>
#include <stdint.h>

struct mx_fernet_key {
	unsigned char signing[16];
	unsigned char encryption[16];
};

/* Parse a key (44 characters of URL-safe base64). 0, or MX_EINVAL. */
int mx_fernet_key_parse(const char *text, struct mx_fernet_key *key);

/* Encrypt p[0..n) at time now: a new NUL-terminated token (mx_free), or
 * NULL when out of memory. iv NULL: random. */
char *mx_fernet_encrypt(const struct mx_fernet_key *key, const void *p, size_t n, int64_t now,
                        const unsigned char *iv);

/* Decrypt a token into a new NUL-terminated plaintext (mx_free; its
 * length in *n when n is not NULL). MX_EINVAL when the token is not
 * well-formed or its HMAC does not match. */
int mx_fernet_decrypt(const struct mx_fernet_key *key, const char *token, char **out, size_t *n);

#endif
