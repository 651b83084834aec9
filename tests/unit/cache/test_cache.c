/* SPDX-License-Identifier: Apache-2.0 */
/* Tests for src/cache/: the memory store (hits, misses, generations, TTL,
 * the byte bound, S3-FIFO keeping a hot set, flush, concurrent readers),
 * the Redis URL parser, and a Redis that is down (misses, never failures). */
#include "harness.h"

#include "cache/cache.h"
#include "core/alloc.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static struct mx_cache *open_memory(size_t max_bytes, enum mx_cache_policy policy)
{
	struct mx_cache_options opt = {.backend = MX_CACHE_MEMORY, .max_bytes = max_bytes, .policy = policy};
	struct mx_cache *c = NULL;
	struct mx_err err;
	assert_int_equal(0, mx_cache_open(&opt, &c, &err));
	return c;
}

static int get_str(struct mx_cache *c, uint64_t gen, const char *key, char *out, size_t outsz)
{
	char *v = NULL;
	size_t n = 0;
	uint64_t token;
	int rc = mx_cache_get(c, gen, key, strlen(key), &v, &n, &token);
	if (rc == 0) {
		snprintf(out, outsz, "%.*s", (int)n, v);
		mx_free(v);
	}
	return rc;
}

static void put_str(struct mx_cache *c, uint64_t gen, const char *key, const char *val, double ttl)
{
	assert_int_equal(0, mx_cache_put(c, gen, key, strlen(key), val, strlen(val), ttl, 0));
}

static void test_hit_miss_generation(void **state)
{
	(void)state;
	struct mx_cache *c = open_memory(0, MX_CACHE_S3FIFO);
	char out[64];
	uint64_t g1 = mx_cache_next_generation(c), g2 = mx_cache_next_generation(c);
	assert_true(g2 > g1);
	assert_int_equal(MX_ENOTFOUND, get_str(c, g1, "t\ngreet\n{\"name\":\"Ann\"}", out, sizeof out));
	put_str(c, g1, "t\ngreet\n{\"name\":\"Ann\"}", "\"Hello, Ann!\"", 60);
	assert_int_equal(0, get_str(c, g1, "t\ngreet\n{\"name\":\"Ann\"}", out, sizeof out));
	assert_string_equal("\"Hello, Ann!\"", out);
	/* another snapshot's generation never sees it */
	assert_int_equal(MX_ENOTFOUND, get_str(c, g2, "t\ngreet\n{\"name\":\"Ann\"}", out, sizeof out));
	/* a store replaces */
	put_str(c, g1, "t\ngreet\n{\"name\":\"Ann\"}", "\"Hi\"", 60);
	assert_int_equal(0, get_str(c, g1, "t\ngreet\n{\"name\":\"Ann\"}", out, sizeof out));
	assert_string_equal("\"Hi\"", out);
	struct mx_cache_stats st;
	mx_cache_get_stats(c, &st);
	assert_int_equal(2, st.hits);
	assert_int_equal(2, st.misses);
	assert_int_equal(1, st.entries);
	assert_true(st.bytes > 0);
	assert_int_equal(0, mx_cache_flush(c));
	assert_int_equal(MX_ENOTFOUND, get_str(c, g1, "t\ngreet\n{\"name\":\"Ann\"}", out, sizeof out));
	mx_cache_get_stats(c, &st);
	assert_int_equal(0, st.entries);
	assert_int_equal(0, st.bytes);
	mx_cache_close(c);
}

static void test_ttl(void **state)
{
	(void)state;
	struct mx_cache *c = open_memory(0, MX_CACHE_S3FIFO);
	char out[16];
	put_str(c, 1, "k", "v", 0.05);
	assert_int_equal(0, get_str(c, 1, "k", out, sizeof out));
	usleep(80 * 1000);
	assert_int_equal(MX_ENOTFOUND, get_str(c, 1, "k", out, sizeof out));
	/* a zero TTL is not stored at all */
	assert_int_equal(0, mx_cache_put(c, 1, "z", 1, "v", 1, 0, 0));
	assert_int_equal(MX_ENOTFOUND, get_str(c, 1, "z", out, sizeof out));
	mx_cache_close(c);
}

/* The bound holds whatever is stored, and evictions are counted. */
static void test_bound(void **state)
{
	(void)state;
	size_t max = 256 * 1024;
	struct mx_cache *c = open_memory(max, MX_CACHE_S3FIFO);
	char key[32], val[200];
	memset(val, 'x', sizeof val - 1);
	val[sizeof val - 1] = '\0';
	for (int i = 0; i < 20000; i++) {
		snprintf(key, sizeof key, "key%d", i);
		put_str(c, 1, key, val, 60);
	}
	struct mx_cache_stats st;
	mx_cache_get_stats(c, &st);
	assert_true(st.bytes <= max);
	assert_true(st.evictions > 0);
	assert_true(st.entries > 100);
	/* a value larger than a shard's share is not kept */
	char *big = mx_malloc(max);
	memset(big, 'y', max);
	assert_int_equal(0, mx_cache_put(c, 1, "big", 3, big, max, 60, 0));
	mx_free(big);
	char out[8];
	assert_int_equal(MX_ENOTFOUND, get_str(c, 1, "big", out, sizeof out));
	mx_cache_close(c);
}

/* A hot set that is hit survives a scan of one-hit wonders under S3-FIFO. */
static void test_s3fifo_keeps_hot_set(void **state)
{
	(void)state;
	struct mx_cache *c = open_memory(512 * 1024, MX_CACHE_S3FIFO);
	char key[32], out[256], val[100];
	memset(val, 'v', sizeof val - 1);
	val[sizeof val - 1] = '\0';
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < 200; i++) {
			snprintf(key, sizeof key, "hot%d", i);
			if (get_str(c, 1, key, out, sizeof out) != 0)
				put_str(c, 1, key, val, 60);
		}
	}
	for (int i = 0; i < 50000; i++) {
		snprintf(key, sizeof key, "scan%d", i);
		put_str(c, 1, key, val, 60);
	}
	int kept = 0;
	for (int i = 0; i < 200; i++) {
		snprintf(key, sizeof key, "hot%d", i);
		kept += get_str(c, 1, key, out, sizeof out) == 0;
	}
	assert_true(kept > 150);
	mx_cache_close(c);
}

static void test_lru(void **state)
{
	(void)state;
	struct mx_cache *c = open_memory(0, MX_CACHE_LRU);
	char out[16];
	put_str(c, 1, "a", "1", 60);
	assert_int_equal(0, get_str(c, 1, "a", out, sizeof out));
	assert_string_equal("1", out);
	mx_cache_close(c);
}

struct reader {
	struct mx_cache *c;
	int hits;
};

static void *read_loop(void *arg)
{
	struct reader *r = arg;
	char key[16], out[32];
	for (int i = 0; i < 20000; i++) {
		snprintf(key, sizeof key, "k%d", i % 64);
		if (get_str(r->c, 1, key, out, sizeof out) == 0)
			r->hits++;
		else
			put_str(r->c, 1, key, key, 60);
	}
	return NULL;
}

static void test_concurrent(void **state)
{
	(void)state;
	struct mx_cache *c = open_memory(0, MX_CACHE_S3FIFO);
	pthread_t t[4];
	struct reader r[4];
	for (int i = 0; i < 4; i++) {
		r[i] = (struct reader){.c = c};
		pthread_create(&t[i], NULL, read_loop, &r[i]);
	}
	int hits = 0;
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		hits += r[i].hits;
	}
	assert_true(hits > 4 * 20000 - 4 * 64 - 1000);
	mx_cache_close(c);
}

static void test_redis_url(void **state)
{
	(void)state;
	char host[64], user[32], pw[32];
	int port, db;
	struct mx_err err;
	assert_int_equal(0, mx_cache_parse_redis_url("redis://127.0.0.1:6390/2", host, sizeof host, &port,
	                                             &db, user, sizeof user, pw, sizeof pw, &err));
	assert_string_equal("127.0.0.1", host);
	assert_int_equal(6390, port);
	assert_int_equal(2, db);
	assert_string_equal("", pw);
	assert_int_equal(0, mx_cache_parse_redis_url("redis://:s3cret@cache", host, sizeof host, &port, &db,
	                                             user, sizeof user, pw, sizeof pw, &err));
	assert_string_equal("cache", host);
	assert_int_equal(6379, port);
	assert_int_equal(0, db);
	assert_string_equal("", user);
	assert_string_equal("s3cret", pw);
	assert_int_equal(0, mx_cache_parse_redis_url("redis://app:pw@h:1/0", host, sizeof host, &port, &db,
	                                             user, sizeof user, pw, sizeof pw, &err));
	assert_string_equal("app", user);
	assert_string_equal("pw", pw);
	assert_int_equal(MX_EINVAL, mx_cache_parse_redis_url("http://h", host, sizeof host, &port, &db, user,
	                                                     sizeof user, pw, sizeof pw, &err));
	assert_int_equal(MX_EINVAL, mx_cache_parse_redis_url("redis://h:99999", host, sizeof host, &port, &db,
	                                                     user, sizeof user, pw, sizeof pw, &err));
	assert_int_equal(MX_EINVAL, mx_cache_parse_redis_url("redis://h/x", host, sizeof host, &port, &db,
	                                                     user, sizeof user, pw, sizeof pw, &err));
}

/* Nothing listens: every operation is a miss or an error, at once after
 * the first (the server is believed down for a second), never a crash. */
static void test_redis_down(void **state)
{
	(void)state;
	struct mx_cache_options opt = {
	        .backend = MX_CACHE_REDIS, .redis_url = "redis://127.0.0.1:1/0", .namespace_ = "t:default"};
	struct mx_cache *c = NULL;
	struct mx_err err;
	assert_int_equal(0, mx_cache_open(&opt, &c, &err));
	char out[8];
	assert_int_equal(MX_EIO, get_str(c, 1, "k", out, sizeof out));
	assert_int_equal(MX_EIO, get_str(c, 1, "k", out, sizeof out));
	assert_int_equal(MX_EIO, mx_cache_put(c, 1, "k", 1, "v", 1, 60, 0));
	struct mx_cache_stats st;
	mx_cache_get_stats(c, &st);
	assert_int_equal(2, st.misses);
	assert_int_equal(3, st.errors);
	assert_int_equal(1, st.down);
	mx_cache_close(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_hit_miss_generation),
	        cmocka_unit_test(test_ttl),
	        cmocka_unit_test(test_bound),
	        cmocka_unit_test(test_s3fifo_keeps_hot_set),
	        cmocka_unit_test(test_lru),
	        cmocka_unit_test(test_concurrent),
	        cmocka_unit_test(test_redis_url),
	        cmocka_unit_test(test_redis_down),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
