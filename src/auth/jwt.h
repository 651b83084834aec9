/* SPDX-License-Identifier: Apache-2.0 */
/*
 * jwt — JSON Web Tokens in compact form (RFC 7519) signed with a public
 * key (JWS, RFC 7515), checked against a JSON Web Key Set (RFC 7517):
 * verifier mode's first way to accept a bearer token.
 *
 * Algorithms: RS256/384/512 (PKCS#1 v1.5), PS256/384/512 (PSS, salt =
 * hash length) and ES256/384/512 (P-256, P-384, P-521); nothing else, so
 * `alg: none` and the HMAC family (HS*, which an attacker signs with the
 * public key as the secret) are refused before any key is touched. A key
 * is used only for algorithms of its type and curve, and only for the
 * `alg` it names when it names one. Signatures go to OpenSSL (libcrypto)
 * directly.
 *
 * A key set is immutable once parsed and may be shared by threads; a
 * verification allocates only the claims it returns.
 */
#ifndef MX_AUTH_JWT_H
#define MX_AUTH_JWT_H

#include <jansson.h>
#include <stddef.h>

/* Tokens longer than this are refused unread (headers carry them; 16 KiB
 * is far above what an identity provider issues). */
#define MX_JWT_MAX_LEN 16384

struct mx_jwks;

/* Parse a JWKS document ({"keys": [...]}). Keys that are not signature
 * keys of a supported type, or that do not parse, are skipped (counted in
 * *skipped when not NULL). 0, or -1 with why when the document is not a
 * JWKS or out of memory. */
int mx_jwks_parse(const char *json, size_t len, struct mx_jwks **out, size_t *skipped, char *why, size_t n);
void mx_jwks_free(struct mx_jwks *ks);
size_t mx_jwks_count(const struct mx_jwks *ks);
/* Has the set a key with this kid? */
int mx_jwks_has_kid(const struct mx_jwks *ks, const char *kid);

enum mx_jwt_result {
	MX_JWT_OK,
	MX_JWT_MALFORMED, /* not three base64url parts of JSON objects */
	MX_JWT_TOO_LONG,
	MX_JWT_BAD_ALG, /* none, HS*, or anything not listed above */
	MX_JWT_UNKNOWN_KEY, /* no key of the set fits kid and alg */
	MX_JWT_BAD_SIGNATURE,
	MX_JWT_EXPIRED,
	MX_JWT_NOT_YET_VALID, /* nbf or iat in the future */
	MX_JWT_BAD_ISSUER,
	MX_JWT_BAD_AUDIENCE,
};

struct mx_jwt_expect {
	const char *issuer; /* iss must equal it; NULL: not checked */
	const char *audience; /* aud (string or list) must hold it; NULL: not checked */
	long skew; /* seconds of clock skew allowed for exp/nbf/iat */
	double now; /* seconds since the epoch; 0: the clock */
};

/* Does the token have the compact JWS shape (exactly two dots)? */
int mx_jwt_looks_like(const char *token);

/* The protected header's kid (or "") without verifying anything; 0, or -1
 * when the header is unreadable. */
int mx_jwt_kid(const char *token, char *kid, size_t n);

/* Verify token against keys and expectations. On MX_JWT_OK *claims is the
 * payload (new reference). Checked in this order: length, shape, alg,
 * key, signature, exp, nbf, iss, aud — so nothing of an unsigned payload
 * is believed. */
enum mx_jwt_result mx_jwt_verify(const char *token, const struct mx_jwks *keys, const struct mx_jwt_expect *e,
                                 json_t **claims);

/* A short lower-case name for logs and metrics ("expired", "bad_signature" …). */
const char *mx_jwt_result_name(enum mx_jwt_result r);

#endif
