/* SPDX-License-Identifier: Apache-2.0 */
/* Tests for src/auth/oauth/ (Fernet against the spec's vector, the SQLite
 * store's one-time take, expiry and sweep) and src/core/form.c. */
#include "harness.h"

#include "auth/oauth/fernet.h"
#include "auth/oauth/store.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/form.h"

#include <stdio.h>
#include <string.h>

/* The Fernet spec's generate.json vector (cryptography.io). */
static void test_fernet_vector(void **state)
{
	(void)state;
	struct mx_fernet_key k;
	assert_int_equal(0, mx_fernet_key_parse("cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=", &k));
	unsigned char iv[16];
	for (int i = 0; i < 16; i++)
		iv[i] = (unsigned char)i;
	char *tok = mx_fernet_encrypt(&k, "hello", 5, 499162800, iv);
	assert_non_null(tok);
	assert_string_equal("gAAAAAAdwJ6wAAECAwQFBgcICQoLDA0ODy021cpGVWKZ_eEwCGM4BLLF_"
	                    "5CV9dOPmrhuVUPgJobwOz7JcbmrR64jVmpU4I"
	                    "wqDA==",
	                    tok);
	char *plain = NULL;
	assert_int_equal(0, mx_fernet_decrypt(&k, tok, &plain, NULL));
	assert_string_equal("hello", plain);
	mx_free(plain);
	/* A flipped byte fails the HMAC. */
	tok[30] = tok[30] == 'A' ? 'B' : 'A';
	assert_int_not_equal(0, mx_fernet_decrypt(&k, tok, &plain, NULL));
	mx_free(tok);
	assert_int_not_equal(0, mx_fernet_key_parse("too-short", &k));
}

static void test_form(void **state)
{
	(void)state;
	json_t *o = NULL;
	const char *q = "a=1&b=x+y%2Fz&c=&d";
	assert_int_equal(0, mx_form_parse(q, strlen(q), &o));
	assert_string_equal("x y/z", json_string_value(json_object_get(o, "b")));
	assert_string_equal("", json_string_value(json_object_get(o, "d")));
	json_decref(o);
	assert_int_not_equal(0, mx_form_parse("a=1&a=2", 7, &o)); /* RFC 6749 §3.1 */
	assert_int_not_equal(0, mx_form_parse("a=%4", 4, &o));
	assert_int_not_equal(0, mx_form_parse("a=%00", 5, &o));
	struct mx_buf b;
	mx_buf_init(&b, 1024);
	mx_form_put(&b, "redirect_uri", "http://h/cb?x=1 2");
	mx_form_put(&b, "s", "a~b");
	assert_string_equal("redirect_uri=http%3A%2F%2Fh%2Fcb%3Fx%3D1%202&s=a~b", mx_buf_str(&b));
	mx_buf_free(&b);
}

static void test_sqlite_store(void **state)
{
	(void)state;
	char dir[512], path[600];
	mx_test_tmpdir(dir, sizeof dir);
	snprintf(path, sizeof path, "%s/sub/oauth.db", dir);
	struct mx_oauth_store *s = NULL;
	assert_int_equal(0, mx_oauth_store_sqlite_open(path, &s, NULL));
	json_t *v = json_pack("{s:s}", "k", "v");
	assert_int_equal(0, s->put(s, MX_OAUTH_T_CODES, "c1", v, 1000));
	assert_int_equal(0, s->put(s, MX_OAUTH_T_CODES, "c2", v, 10));
	assert_int_equal(0, s->put(s, MX_OAUTH_T_CLIENTS, "cl", v, 0));
	assert_int_equal(MX_EINVAL, s->put(s, "x; DROP TABLE states", "k", v, 0));
	json_decref(v);
	json_t *got = NULL;
	/* Expired rows are never returned. */
	assert_int_equal(MX_ENOTFOUND, s->get(s, MX_OAUTH_T_CODES, "c2", 500, &got));
	/* take works once. */
	assert_int_equal(0, s->take(s, MX_OAUTH_T_CODES, "c1", 500, &got));
	assert_string_equal("v", json_string_value(json_object_get(got, "k")));
	json_decref(got);
	assert_int_equal(MX_ENOTFOUND, s->take(s, MX_OAUTH_T_CODES, "c1", 500, &got));
	/* Sweep deletes the expired, keeps the everlasting; a client survives a reopen. */
	assert_int_equal(0, s->sweep(s, 500));
	s->close(s);
	assert_int_equal(0, mx_oauth_store_sqlite_open(path, &s, NULL));
	assert_int_equal(MX_ENOTFOUND, s->get(s, MX_OAUTH_T_CODES, "c2", 0, &got));
	assert_int_equal(0, s->get(s, MX_OAUTH_T_CLIENTS, "cl", 1e12, &got));
	json_decref(got);
	s->close(s);
	mx_test_rmrf(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_fernet_vector),
	        cmocka_unit_test(test_form),
	        cmocka_unit_test(test_sqlite_store),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
