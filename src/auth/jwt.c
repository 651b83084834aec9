/* SPDX-License-Identifier: Apache-2.0 */
/*
 * jwt — see jwt.h. Keys become EVP_PKEYs once, when the set is parsed
 * (OpenSSL 3's EVP_PKEY_fromdata); a verification decodes the three
 * parts, picks the key and runs one EVP_DigestVerify. ECDSA signatures
 * come as r‖s (RFC 7518 §3.4) and are turned into the DER OpenSSL takes.
 */
#include "auth/jwt.h"

#include "core/alloc.h"
#include "core/base64.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* ------------------------------------------------------------ algorithms */

enum kty { KTY_RSA, KTY_EC };

struct alg {
	const char *name;
	enum kty kty;
	int pss;
	const char *digest;
	const char *curve; /* EC: the JWK crv it needs */
	size_t coord; /* EC: bytes of r and of s */
};

static const struct alg ALGS[] = {
        {"RS256", KTY_RSA, 0, "SHA256", NULL, 0},    {"RS384", KTY_RSA, 0, "SHA384", NULL, 0},
        {"RS512", KTY_RSA, 0, "SHA512", NULL, 0},    {"PS256", KTY_RSA, 1, "SHA256", NULL, 0},
        {"PS384", KTY_RSA, 1, "SHA384", NULL, 0},    {"PS512", KTY_RSA, 1, "SHA512", NULL, 0},
        {"ES256", KTY_EC, 0, "SHA256", "P-256", 32}, {"ES384", KTY_EC, 0, "SHA384", "P-384", 48},
        {"ES512", KTY_EC, 0, "SHA512", "P-521", 66},
};

static const struct alg *alg_find(const char *name)
{
	for (size_t i = 0; name && i < sizeof ALGS / sizeof *ALGS; i++)
		if (strcmp(ALGS[i].name, name) == 0)
			return &ALGS[i];
	return NULL;
}

/* -------------------------------------------------------------- base64url */

/* Decode base64url without padding (as JWS writes it) into a new buffer
 * (NUL-terminated, for JSON); NULL when s holds anything else. */
static unsigned char *b64url_decode(const char *s, size_t n, size_t *outlen)
{
	if (n % 4 == 1)
		return NULL;
	char *std = mx_malloc(n + 4);
	unsigned char *out = mx_malloc(n + 1);
	if (std == NULL || out == NULL) {
		mx_free(std);
		mx_free(out);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '-')
			c = '+';
		else if (c == '_')
			c = '/';
		else if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) {
			mx_free(std);
			mx_free(out);
			return NULL;
		}
		std[i] = c;
	}
	size_t m = n;
	while (m % 4)
		std[m++] = '=';
	int rc = mx_base64_decode(std, m, out, n + 1, outlen);
	mx_free(std);
	if (rc != 0) {
		mx_free(out);
		return NULL;
	}
	out[*outlen] = '\0';
	return out;
}

static json_t *b64url_json(const char *s, size_t n)
{
	size_t len;
	unsigned char *p = b64url_decode(s, n, &len);
	if (p == NULL)
		return NULL;
	json_t *j = json_loadb((const char *)p, len, JSON_REJECT_DUPLICATES, NULL);
	mx_free(p);
	if (j && !json_is_object(j)) {
		json_decref(j);
		return NULL;
	}
	return j;
}

static BIGNUM *b64url_bn(const char *s)
{
	if (s == NULL)
		return NULL;
	size_t len;
	unsigned char *p = b64url_decode(s, strlen(s), &len);
	if (p == NULL || len == 0) {
		mx_free(p);
		return NULL;
	}
	BIGNUM *bn = BN_bin2bn(p, (int)len, NULL);
	mx_free(p);
	return bn;
}

/* ------------------------------------------------------------------ keys */

struct jwk {
	char kid[128];
	char alg[16]; /* "" when the key names none */
	enum kty kty;
	char crv[8];
	EVP_PKEY *pkey;
};

struct mx_jwks {
	size_t n;
	struct jwk keys[];
};

static EVP_PKEY *rsa_key(const json_t *k)
{
	BIGNUM *n = b64url_bn(json_string_value(json_object_get(k, "n")));
	BIGNUM *e = b64url_bn(json_string_value(json_object_get(k, "e")));
	EVP_PKEY *pkey = NULL;
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	/* Below 2048 bits RSA is breakable; RFC 7518 §3.3 asks for at least. */
	if (n == NULL || e == NULL || bld == NULL || BN_num_bits(n) < 2048)
		goto done;
	if (!OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) ||
	    (params = OSSL_PARAM_BLD_to_param(bld)) == NULL)
		goto done;
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	if (ctx == NULL || EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0)
		pkey = NULL;
done:
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(n);
	BN_free(e);
	return pkey;
}

static EVP_PKEY *ec_key(const json_t *k, const char *crv)
{
	const char *group = strcmp(crv, "P-256") == 0   ? "prime256v1"
	                    : strcmp(crv, "P-384") == 0 ? "secp384r1"
	                    : strcmp(crv, "P-521") == 0 ? "secp521r1"
	                                                : NULL;
	size_t coord = strcmp(crv, "P-256") == 0 ? 32 : strcmp(crv, "P-384") == 0 ? 48 : 66;
	const char *xs = json_string_value(json_object_get(k, "x"));
	const char *ys = json_string_value(json_object_get(k, "y"));
	if (group == NULL || xs == NULL || ys == NULL)
		return NULL;
	size_t xl, yl;
	unsigned char *x = b64url_decode(xs, strlen(xs), &xl);
	unsigned char *y = b64url_decode(ys, strlen(ys), &yl);
	EVP_PKEY *pkey = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	unsigned char pub[1 + 2 * 66];
	if (x == NULL || y == NULL || xl != coord || yl != coord)
		goto done;
	pub[0] = 0x04; /* uncompressed point */
	memcpy(pub + 1, x, coord);
	memcpy(pub + 1 + coord, y, coord);
	if ((bld = OSSL_PARAM_BLD_new()) == NULL ||
	    !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, group, 0) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, 1 + 2 * coord) ||
	    (params = OSSL_PARAM_BLD_to_param(bld)) == NULL)
		goto done;
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	/* fromdata checks that the point is on the curve. */
	if (ctx == NULL || EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0)
		pkey = NULL;
done:
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	mx_free(x);
	mx_free(y);
	return pkey;
}

static int jwk_load(const json_t *k, struct jwk *out)
{
	const char *kty = json_string_value(json_object_get(k, "kty"));
	const char *use = json_string_value(json_object_get(k, "use"));
	const char *kid = json_string_value(json_object_get(k, "kid"));
	const char *alg = json_string_value(json_object_get(k, "alg"));
	const char *crv = json_string_value(json_object_get(k, "crv"));
	if (kty == NULL || (use && strcmp(use, "sig") != 0))
		return -1;
	if (alg && alg_find(alg) == NULL)
		return -1; /* a key for HS*, RSA-OAEP …: never for us */
	if ((kid && strlen(kid) >= sizeof out->kid) || (alg && strlen(alg) >= sizeof out->alg))
		return -1;
	memset(out, 0, sizeof *out);
	snprintf(out->kid, sizeof out->kid, "%s", kid ? kid : "");
	snprintf(out->alg, sizeof out->alg, "%s", alg ? alg : "");
	if (strcmp(kty, "RSA") == 0) {
		out->kty = KTY_RSA;
		out->pkey = rsa_key(k);
	} else if (strcmp(kty, "EC") == 0 && crv && strlen(crv) < sizeof out->crv) {
		out->kty = KTY_EC;
		snprintf(out->crv, sizeof out->crv, "%s", crv);
		out->pkey = ec_key(k, crv);
	}
	return out->pkey ? 0 : -1;
}

int mx_jwks_parse(const char *json, size_t len, struct mx_jwks **out, size_t *skipped, char *why, size_t n)
{
	*out = NULL;
	if (skipped)
		*skipped = 0;
	json_t *doc = json_loadb(json, len, 0, NULL);
	const json_t *keys = json_object_get(doc, "keys");
	if (!json_is_array(keys)) {
		json_decref(doc);
		snprintf(why, n, "not a JWKS document (no \"keys\" array)");
		return -1;
	}
	size_t cap = json_array_size(keys);
	struct mx_jwks *ks = mx_calloc(1, sizeof *ks + (cap ? cap : 1) * sizeof(struct jwk));
	if (ks == NULL) {
		json_decref(doc);
		snprintf(why, n, "out of memory");
		return -1;
	}
	size_t i;
	const json_t *k;
	json_array_foreach (keys, i, k) {
		if (json_is_object(k) && jwk_load(k, &ks->keys[ks->n]) == 0)
			ks->n++;
		else if (skipped)
			(*skipped)++;
	}
	json_decref(doc);
	*out = ks;
	return 0;
}

void mx_jwks_free(struct mx_jwks *ks)
{
	if (ks == NULL)
		return;
	for (size_t i = 0; i < ks->n; i++)
		EVP_PKEY_free(ks->keys[i].pkey);
	mx_free(ks);
}

size_t mx_jwks_count(const struct mx_jwks *ks)
{
	return ks ? ks->n : 0;
}

int mx_jwks_has_kid(const struct mx_jwks *ks, const char *kid)
{
	for (size_t i = 0; ks && kid && i < ks->n; i++)
		if (strcmp(ks->keys[i].kid, kid) == 0)
			return 1;
	return 0;
}

static int key_fits(const struct jwk *k, const struct alg *a, const char *kid)
{
	if (kid && kid[0] && strcmp(k->kid, kid) != 0)
		return 0;
	if (k->alg[0] && strcmp(k->alg, a->name) != 0)
		return 0;
	if (k->kty != a->kty)
		return 0;
	return a->kty != KTY_EC || strcmp(k->crv, a->curve) == 0;
}

/* ------------------------------------------------------------- signatures */

/* r‖s → DER ECDSA-Sig-Value; NULL when the length is not the curve's. */
static unsigned char *ecdsa_der(const unsigned char *sig, size_t len, size_t coord, int *derlen)
{
	if (len != 2 * coord)
		return NULL;
	ECDSA_SIG *es = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(sig, (int)coord, NULL);
	BIGNUM *s = BN_bin2bn(sig + coord, (int)coord, NULL);
	unsigned char *der = NULL;
	if (es == NULL || r == NULL || s == NULL || !ECDSA_SIG_set0(es, r, s)) {
		BN_free(r);
		BN_free(s);
		ECDSA_SIG_free(es);
		return NULL;
	}
	*derlen = i2d_ECDSA_SIG(es, &der);
	ECDSA_SIG_free(es);
	return *derlen > 0 ? der : NULL;
}

static int signature_ok(EVP_PKEY *pkey, const struct alg *a, const char *input, size_t ilen,
                        const unsigned char *sig, size_t slen)
{
	unsigned char *der = NULL;
	int derlen = 0;
	if (a->kty == KTY_EC) {
		if ((der = ecdsa_der(sig, slen, a->coord, &derlen)) == NULL)
			return 0;
		sig = der;
		slen = (size_t)derlen;
	}
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	int ok = md != NULL && EVP_DigestVerifyInit_ex(md, &pctx, a->digest, NULL, NULL, pkey, NULL) == 1;
	if (ok && a->pss)
		ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) > 0 &&
		     EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) > 0;
	else if (ok && a->kty == KTY_RSA)
		ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) > 0;
	ok = ok && EVP_DigestVerify(md, sig, slen, (const unsigned char *)input, ilen) == 1;
	EVP_MD_CTX_free(md);
	OPENSSL_free(der);
	return ok;
}

/* ---------------------------------------------------------------- tokens */

int mx_jwt_looks_like(const char *token)
{
	int dots = 0;
	for (const char *p = token; p && *p; p++)
		dots += *p == '.';
	return token && dots == 2;
}

int mx_jwt_kid(const char *token, char *kid, size_t n)
{
	kid[0] = '\0';
	const char *dot = token ? strchr(token, '.') : NULL;
	if (dot == NULL || (size_t)(dot - token) > MX_JWT_MAX_LEN)
		return -1;
	json_t *h = b64url_json(token, (size_t)(dot - token));
	if (h == NULL)
		return -1;
	const char *k = json_string_value(json_object_get(h, "kid"));
	snprintf(kid, n, "%s", k ? k : "");
	json_decref(h);
	return 0;
}

/* NumericDate claims: absent is fine, anything but a number is not. */
static int numeric(const json_t *claims, const char *name, double *out)
{
	const json_t *v = json_object_get(claims, name);
	if (v == NULL)
		return 0;
	if (!json_is_number(v))
		return -1;
	*out = json_number_value(v);
	return 1;
}

static int audience_ok(const json_t *aud, const char *want)
{
	if (json_is_string(aud))
		return strcmp(json_string_value(aud), want) == 0;
	size_t i;
	const json_t *v;
	json_array_foreach (aud, i, v) {
		if (json_is_string(v) && strcmp(json_string_value(v), want) == 0)
			return 1;
	}
	return 0;
}

enum mx_jwt_result mx_jwt_verify(const char *token, const struct mx_jwks *keys, const struct mx_jwt_expect *e,
                                 json_t **claims)
{
	*claims = NULL;
	if (token == NULL)
		return MX_JWT_MALFORMED;
	size_t len = strnlen(token, MX_JWT_MAX_LEN + 1);
	if (len > MX_JWT_MAX_LEN)
		return MX_JWT_TOO_LONG;
	const char *d1 = strchr(token, '.');
	const char *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
	if (d1 == NULL || d2 == NULL || strchr(d2 + 1, '.') != NULL || d1 == token || d2 == d1 + 1 ||
	    d2[1] == '\0')
		return MX_JWT_MALFORMED;
	json_t *header = b64url_json(token, (size_t)(d1 - token));
	if (header == NULL)
		return MX_JWT_MALFORMED;
	const struct alg *a = alg_find(json_string_value(json_object_get(header, "alg")));
	const char *kid = json_string_value(json_object_get(header, "kid"));
	/* A critical extension we do not understand must not be ignored
	 * (RFC 7515 §4.1.11); we understand none. */
	int crit = json_object_get(header, "crit") != NULL;
	enum mx_jwt_result r = MX_JWT_OK;
	const struct jwk *key = NULL;
	size_t slen = 0;
	unsigned char *sig = NULL;
	json_t *payload = NULL;
	if (a == NULL || crit) {
		r = MX_JWT_BAD_ALG;
		goto out;
	}
	if ((sig = b64url_decode(d2 + 1, strlen(d2 + 1), &slen)) == NULL) {
		r = MX_JWT_MALFORMED;
		goto out;
	}
	/* With a kid, the one key that has it; without, every key that fits
	 * the algorithm is tried (a set of one is the common case). */
	int tried = 0, verified = 0;
	for (size_t i = 0; keys && i < keys->n && !verified; i++) {
		if (!key_fits(&keys->keys[i], a, kid))
			continue;
		tried++;
		if (signature_ok(keys->keys[i].pkey, a, token, (size_t)(d2 - token), sig, slen)) {
			verified = 1;
			key = &keys->keys[i];
		}
	}
	(void)key;
	if (!verified) {
		r = tried ? MX_JWT_BAD_SIGNATURE : MX_JWT_UNKNOWN_KEY;
		goto out;
	}
	if ((payload = b64url_json(d1 + 1, (size_t)(d2 - d1 - 1))) == NULL) {
		r = MX_JWT_MALFORMED;
		goto out;
	}
	double now = e && e->now > 0 ? e->now : (double)time(NULL);
	double skew = e ? (double)e->skew : 0, t = 0;
	int has;
	if ((has = numeric(payload, "exp", &t)) < 0 || (has && now - skew >= t)) {
		r = has < 0 ? MX_JWT_MALFORMED : MX_JWT_EXPIRED;
		goto out;
	}
	if ((has = numeric(payload, "nbf", &t)) < 0 || (has && now + skew < t)) {
		r = has < 0 ? MX_JWT_MALFORMED : MX_JWT_NOT_YET_VALID;
		goto out;
	}
	if ((has = numeric(payload, "iat", &t)) < 0) {
		r = MX_JWT_MALFORMED;
		goto out;
	}
	if (e && e->issuer) {
		const char *iss = json_string_value(json_object_get(payload, "iss"));
		if (iss == NULL || strcmp(iss, e->issuer) != 0) {
			r = MX_JWT_BAD_ISSUER;
			goto out;
		}
	}
	if (e && e->audience && !audience_ok(json_object_get(payload, "aud"), e->audience)) {
		r = MX_JWT_BAD_AUDIENCE;
		goto out;
	}
	*claims = payload;
	payload = NULL;
out:
	json_decref(header);
	json_decref(payload);
	mx_free(sig);
	return r;
}

const char *mx_jwt_result_name(enum mx_jwt_result r)
{
	switch (r) {
	case MX_JWT_OK: return "ok";
	case MX_JWT_MALFORMED: return "malformed";
	case MX_JWT_TOO_LONG: return "too_long";
	case MX_JWT_BAD_ALG: return "bad_alg";
	case MX_JWT_UNKNOWN_KEY: return "unknown_key";
	case MX_JWT_BAD_SIGNATURE: return "bad_signature";
	case MX_JWT_EXPIRED: return "expired";
	case MX_JWT_NOT_YET_VALID: return "not_yet_valid";
	case MX_JWT_BAD_ISSUER: return "bad_issuer";
	case MX_JWT_BAD_AUDIENCE: return "bad_audience";
	}
	return "invalid";
}
