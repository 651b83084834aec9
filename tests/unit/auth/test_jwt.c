/* SPDX-License-Identifier: Apache-2.0 */
/* Tests for src/auth/jwt.c: keys made here with OpenSSL, tokens signed
 * RS256/PS256/ES256 accepted; forged, tampered, alg none, HS256, expired,
 * not yet valid, wrong issuer or audience, unknown key, oversized and
 * malformed tokens refused; and the cost of one verification with the key
 * set parsed (printed, for the per-call cost of authentication). */
#include "harness.h"

#include "auth/jwt.h"
#include "core/alloc.h"
#include "core/base64.h"

#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rsa.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static EVP_PKEY *rsa_key, *ec_key, *other_rsa;
static struct mx_jwks *keys;

static void b64url(const unsigned char *p, size_t n, char *out)
{
	size_t len = mx_base64_encode(p, n, out);
	while (len > 0 && out[len - 1] == '=')
		out[--len] = '\0';
	for (char *c = out; *c; c++)
		*c = *c == '+' ? '-' : *c == '/' ? '_' : *c;
}

static void bn_b64url(EVP_PKEY *k, const char *name, char *out)
{
	BIGNUM *bn = NULL;
	assert_int_equal(1, EVP_PKEY_get_bn_param(k, name, &bn));
	unsigned char buf[600];
	int n = BN_bn2bin(bn, buf);
	BN_free(bn);
	b64url(buf, (size_t)n, out);
}

static char *jwks_json(void)
{
	static char doc[4096];
	char n[600], e[16], x[64], y[64];
	bn_b64url(rsa_key, OSSL_PKEY_PARAM_RSA_N, n);
	bn_b64url(rsa_key, OSSL_PKEY_PARAM_RSA_E, e);
	unsigned char pub[65];
	size_t len = 0;
	assert_int_equal(
	        1, EVP_PKEY_get_octet_string_param(ec_key, OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof pub, &len));
	assert_int_equal(65, len);
	b64url(pub + 1, 32, x);
	b64url(pub + 33, 32, y);
	snprintf(doc, sizeof doc,
	         "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"rsa-1\",\"use\":\"sig\",\"n\":\"%s\",\"e\":\"%s\"},"
	         "{\"kty\":\"EC\",\"kid\":\"ec-1\",\"crv\":\"P-256\",\"x\":\"%s\",\"y\":\"%s\"},"
	         "{\"kty\":\"oct\",\"kid\":\"hmac\",\"k\":\"c2VjcmV0\"}]}",
	         n, e, x, y);
	return doc;
}

/* header.payload.signature of the JSON texts, signed by alg with key. */
static char *sign(const char *alg, const char *kid, const char *payload, EVP_PKEY *key)
{
	char header[128], h64[256], p64[8192], s64[1024];
	snprintf(header, sizeof header, "{\"alg\":\"%s\",\"typ\":\"JWT\",\"kid\":\"%s\"}", alg, kid);
	b64url((const unsigned char *)header, strlen(header), h64);
	b64url((const unsigned char *)payload, strlen(payload), p64);
	static char token[16384];
	snprintf(token, sizeof token, "%s.%s", h64, p64);
	unsigned char sig[1024];
	size_t slen = sizeof sig;
	const char *md = strstr(alg, "256") ? "SHA256" : strstr(alg, "384") ? "SHA384" : "SHA512";
	if (strcmp(alg, "none") == 0) {
		slen = 0;
	} else if (alg[0] == 'H') {
		unsigned int l = 0;
		HMAC(EVP_sha256(), "public-key-as-secret", 20, (unsigned char *)token, strlen(token), sig,
		     &l);
		slen = l;
	} else {
		EVP_MD_CTX *c = EVP_MD_CTX_new();
		EVP_PKEY_CTX *pc = NULL;
		assert_int_equal(1, EVP_DigestSignInit_ex(c, &pc, md, NULL, NULL, key, NULL));
		if (alg[0] == 'P') {
			EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PSS_PADDING);
			EVP_PKEY_CTX_set_rsa_pss_saltlen(pc, RSA_PSS_SALTLEN_DIGEST);
		}
		assert_int_equal(1, EVP_DigestSign(c, sig, &slen, (unsigned char *)token, strlen(token)));
		EVP_MD_CTX_free(c);
		if (alg[0] == 'E') { /* DER → r‖s */
			const unsigned char *p = sig;
			ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)slen);
			memset(sig, 0, 64);
			BN_bn2binpad(ECDSA_SIG_get0_r(es), sig, 32);
			BN_bn2binpad(ECDSA_SIG_get0_s(es), sig + 32, 32);
			ECDSA_SIG_free(es);
			slen = 64;
		}
	}
	b64url(sig, slen, s64);
	size_t tl = strlen(token);
	snprintf(token + tl, sizeof token - tl, ".%s", s64);
	return token;
}

static char *claims(const char *extra)
{
	static char p[8192];
	long now = (long)time(NULL);
	snprintf(p, sizeof p,
	         "{\"iss\":\"https://"
	         "idp.test\",\"aud\":[\"mxcp-api\",\"x\"],\"sub\":\"alice\",\"iat\":%ld,\"exp\":%ld%s}",
	         now, now + 600, extra ? extra : "");
	return p;
}

static const struct mx_jwt_expect EXPECT = {.issuer = "https://idp.test", .audience = "mxcp-api", .skew = 30};

static enum mx_jwt_result check(const char *token)
{
	json_t *c = NULL;
	enum mx_jwt_result r = mx_jwt_verify(token, keys, &EXPECT, &c);
	if (r == MX_JWT_OK)
		assert_string_equal("alice", json_string_value(json_object_get(c, "sub")));
	else
		assert_null(c);
	json_decref(c);
	return r;
}

static int setup(void **state)
{
	(void)state;
	rsa_key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	other_rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	ec_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	char why[128];
	size_t skipped;
	const char *doc = jwks_json();
	assert_int_equal(0, mx_jwks_parse(doc, strlen(doc), &keys, &skipped, why, sizeof why));
	assert_int_equal(2, mx_jwks_count(keys));
	assert_int_equal(1, skipped); /* the oct key */
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	mx_jwks_free(keys);
	EVP_PKEY_free(rsa_key);
	EVP_PKEY_free(other_rsa);
	EVP_PKEY_free(ec_key);
	return 0;
}

static void test_accepted(void **state)
{
	(void)state;
	assert_int_equal(MX_JWT_OK, check(sign("RS256", "rsa-1", claims(NULL), rsa_key)));
	assert_int_equal(MX_JWT_OK, check(sign("RS512", "rsa-1", claims(NULL), rsa_key)));
	assert_int_equal(MX_JWT_OK, check(sign("PS256", "rsa-1", claims(NULL), rsa_key)));
	assert_int_equal(MX_JWT_OK, check(sign("PS384", "rsa-1", claims(NULL), rsa_key)));
	assert_int_equal(MX_JWT_OK, check(sign("ES256", "ec-1", claims(NULL), ec_key)));
	/* no kid: the keys that fit the algorithm are tried */
	assert_int_equal(MX_JWT_OK, check(sign("ES256", "", claims(NULL), ec_key)));
	assert_int_equal(1, mx_jwt_looks_like("a.b.c"));
	assert_int_equal(0, mx_jwt_looks_like("opaque-token"));
}

static void test_refused(void **state)
{
	(void)state;
	long now = (long)time(NULL);
	char extra[128];
	assert_int_equal(MX_JWT_BAD_SIGNATURE, check(sign("RS256", "rsa-1", claims(NULL), other_rsa)));
	assert_int_equal(MX_JWT_UNKNOWN_KEY, check(sign("RS256", "rsa-9", claims(NULL), other_rsa)));
	/* an EC signature with the RSA key's kid: no key fits */
	assert_int_equal(MX_JWT_UNKNOWN_KEY, check(sign("ES256", "rsa-1", claims(NULL), ec_key)));
	assert_int_equal(MX_JWT_BAD_ALG, check(sign("none", "rsa-1", claims(NULL), NULL)));
	assert_int_equal(MX_JWT_BAD_ALG, check(sign("HS256", "rsa-1", claims(NULL), NULL)));
	assert_int_equal(MX_JWT_BAD_ALG, check(sign("HS256", "hmac", claims(NULL), NULL)));
	/* tampered payload, genuine signature */
	char *t = sign("RS256", "rsa-1", claims(NULL), rsa_key);
	char *dot = strchr(t, '.');
	dot[3] = dot[3] == 'A' ? 'B' : 'A';
	enum mx_jwt_result r = check(t);
	assert_true(r == MX_JWT_BAD_SIGNATURE || r == MX_JWT_MALFORMED);
	snprintf(extra, sizeof extra, ",\"exp\":%ld", now - 120);
	char p[8192];
	snprintf(p, sizeof p,
	         "{\"iss\":\"https://idp.test\",\"aud\":\"mxcp-api\",\"sub\":\"alice\",\"exp\":%ld}",
	         now - 120);
	assert_int_equal(MX_JWT_EXPIRED, check(sign("RS256", "rsa-1", p, rsa_key)));
	/* within the skew: still fine */
	snprintf(p, sizeof p,
	         "{\"iss\":\"https://idp.test\",\"aud\":\"mxcp-api\",\"sub\":\"alice\",\"exp\":%ld}",
	         now - 5);
	assert_int_equal(MX_JWT_OK, check(sign("RS256", "rsa-1", p, rsa_key)));
	snprintf(extra, sizeof extra, ",\"nbf\":%ld", now + 3600);
	assert_int_equal(MX_JWT_NOT_YET_VALID, check(sign("ES256", "ec-1", claims(extra), ec_key)));
	snprintf(p, sizeof p, "{\"iss\":\"https://evil.test\",\"aud\":\"mxcp-api\",\"sub\":\"alice\"}");
	assert_int_equal(MX_JWT_BAD_ISSUER, check(sign("RS256", "rsa-1", p, rsa_key)));
	snprintf(p, sizeof p, "{\"iss\":\"https://idp.test\",\"aud\":\"other\",\"sub\":\"alice\"}");
	assert_int_equal(MX_JWT_BAD_AUDIENCE, check(sign("RS256", "rsa-1", p, rsa_key)));
	snprintf(p, sizeof p, "{\"iss\":\"https://idp.test\",\"sub\":\"alice\"}");
	assert_int_equal(MX_JWT_BAD_AUDIENCE, check(sign("RS256", "rsa-1", p, rsa_key)));
	snprintf(p, sizeof p,
	         "{\"iss\":\"https://idp.test\",\"aud\":\"mxcp-api\",\"sub\":\"alice\",\"exp\":\"soon\"}");
	assert_int_equal(MX_JWT_MALFORMED, check(sign("RS256", "rsa-1", p, rsa_key)));
	/* shape */
	assert_int_equal(MX_JWT_MALFORMED, check("garbage"));
	assert_int_equal(MX_JWT_MALFORMED, check("a.b.c"));
	assert_int_equal(MX_JWT_MALFORMED, check("a.b.c.d"));
	assert_int_equal(MX_JWT_MALFORMED, check("..."));
	char *big = mx_malloc(MX_JWT_MAX_LEN + 10);
	memset(big, 'A', MX_JWT_MAX_LEN + 9);
	big[MX_JWT_MAX_LEN + 9] = '\0';
	assert_int_equal(MX_JWT_TOO_LONG, check(big));
	mx_free(big);
	/* a document that is no JWKS */
	struct mx_jwks *none;
	char why[128];
	assert_int_equal(-1, mx_jwks_parse("{}", 2, &none, NULL, why, sizeof why));
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The per-call cost of verifier mode's JWT path with cached keys. */
static void test_cost(void **state)
{
	(void)state;
	static const char *const algs[][2] = {{"RS256", "rsa-1"}, {"PS256", "rsa-1"}, {"ES256", "ec-1"}};
	for (size_t a = 0; a < 3; a++) {
		char token[16384];
		snprintf(token, sizeof token, "%s",
		         sign(algs[a][0], algs[a][1], claims(NULL), algs[a][0][0] == 'E' ? ec_key : rsa_key));
		int n = 2000;
		double t0 = now_s();
		for (int i = 0; i < n; i++)
			assert_int_equal(MX_JWT_OK, check(token));
		printf("jwt verify %s: %.1f us per token\n", algs[a][0], (now_s() - t0) / n * 1e6);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_accepted),
	        cmocka_unit_test(test_refused),
	        cmocka_unit_test(test_cost),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
