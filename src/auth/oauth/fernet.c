/* SPDX-License-Identifier: Apache-2.0 */
/* fernet — see fernet.h. */
#include "auth/oauth/fernet.h"

#include "core/alloc.h"
#include "core/base64.h"
#include "core/err.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <string.h>

#define HEADER 25 /* version, time, IV */
#define MAC 32

int mx_fernet_key_parse(const char *text, struct mx_fernet_key *key)
{
	unsigned char raw[48];
	size_t n = 0;
	if (text == NULL || strlen(text) != 44 || mx_base64url_decode(text, 44, raw, sizeof raw, &n) != 0 ||
	    n != 32)
		return MX_EINVAL;
	memcpy(key->signing, raw, 16);
	memcpy(key->encryption, raw + 16, 16);
	OPENSSL_cleanse(raw, sizeof raw);
	return 0;
}

char *mx_fernet_encrypt(const struct mx_fernet_key *key, const void *p, size_t n, int64_t now,
                        const unsigned char *iv)
{
	size_t cap = HEADER + n + 16 + MAC;
	unsigned char *raw = mx_malloc(cap);
	char *out = raw != NULL ? mx_malloc(mx_base64_encoded_len(cap) + 1) : NULL;
	EVP_CIPHER_CTX *c = out != NULL ? EVP_CIPHER_CTX_new() : NULL;
	if (c == NULL) {
		mx_free(raw);
		mx_free(out);
		return NULL;
	}
	raw[0] = 0x80;
	for (int i = 0; i < 8; i++)
		raw[1 + i] = (unsigned char)((uint64_t)now >> (56 - 8 * i));
	if (iv != NULL)
		memcpy(raw + 9, iv, 16);
	int ok = iv != NULL || RAND_bytes(raw + 9, 16) == 1;
	int len = 0, fin = 0;
	ok = ok && EVP_EncryptInit_ex(c, EVP_aes_128_cbc(), NULL, key->encryption, raw + 9) == 1;
	ok = ok && EVP_EncryptUpdate(c, raw + HEADER, &len, p, (int)n) == 1;
	ok = ok && EVP_EncryptFinal_ex(c, raw + HEADER + len, &fin) == 1;
	EVP_CIPHER_CTX_free(c);
	size_t body = HEADER + (size_t)len + (size_t)fin;
	unsigned int maclen = 0;
	ok = ok && HMAC(EVP_sha256(), key->signing, 16, raw, body, raw + body, &maclen) != NULL;
	if (ok)
		mx_base64url_encode(raw, body + MAC, out, 1);
	OPENSSL_cleanse(raw, cap);
	mx_free(raw);
	if (!ok) {
		mx_free(out);
		return NULL;
	}
	return out;
}

int mx_fernet_decrypt(const struct mx_fernet_key *key, const char *token, char **out, size_t *n)
{
	*out = NULL;
	size_t tlen = strlen(token);
	size_t cap = tlen / 4 * 3 + 3;
	unsigned char *raw = mx_malloc(cap);
	if (raw == NULL)
		return MX_ENOMEM;
	size_t len = 0;
	int rc = MX_EINVAL;
	if (mx_base64url_decode(token, tlen, raw, cap, &len) != 0 || len < HEADER + 16 + MAC ||
	    raw[0] != 0x80 || (len - HEADER - MAC) % 16 != 0)
		goto done;
	unsigned char mac[MAC];
	unsigned int maclen = 0;
	if (HMAC(EVP_sha256(), key->signing, 16, raw, len - MAC, mac, &maclen) == NULL ||
	    CRYPTO_memcmp(mac, raw + len - MAC, MAC) != 0)
		goto done;
	size_t clen = len - HEADER - MAC;
	char *plain = mx_malloc(clen + 1);
	EVP_CIPHER_CTX *c = plain != NULL ? EVP_CIPHER_CTX_new() : NULL;
	if (c == NULL) {
		mx_free(plain);
		rc = MX_ENOMEM;
		goto done;
	}
	int a = 0, b = 0;
	int ok = EVP_DecryptInit_ex(c, EVP_aes_128_cbc(), NULL, key->encryption, raw + 9) == 1 &&
	         EVP_DecryptUpdate(c, (unsigned char *)plain, &a, raw + HEADER, (int)clen) == 1 &&
	         EVP_DecryptFinal_ex(c, (unsigned char *)plain + a, &b) == 1;
	EVP_CIPHER_CTX_free(c);
	if (!ok) {
		mx_free(plain);
		goto done;
	}
	plain[a + b] = '\0';
	if (n != NULL)
		*n = (size_t)(a + b);
	*out = plain;
	rc = 0;
done:
	OPENSSL_cleanse(raw, cap);
	mx_free(raw);
	return rc;
}
