/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cache — the facade over the two backends (see cache.h): picks the
 * backend's vtable at open, hands out snapshot generations, counts hits,
 * misses, stores and errors in atomics (read by /metrics), and parses the
 * Redis URL. Any thread.
 */
#include "cache/internal.h"

#include "core/alloc.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct mx_cache {
	enum mx_cache_backend backend;
	const struct mx_cache_ops *ops;
	void *b;
	atomic_ullong generation;
	atomic_ullong hits, misses, stores, errors;
};

static inline uint64_t mix(uint64_t a, uint64_t b)
{
	__extension__ typedef unsigned __int128 u128;
	u128 r = (u128)a * b;
	return (uint64_t)r ^ (uint64_t)(r >> 64);
}

uint64_t mx_cache_hash(uint64_t generation, const void *key, size_t klen)
{
	const unsigned char *p = key;
	size_t n = klen;
	uint64_t h = mix(generation ^ 0xa0761d6478bd642fULL, 0xe7037ed1a0b428dbULL ^ (uint64_t)klen);
	while (n >= 8) {
		uint64_t w;
		memcpy(&w, p, 8);
		h = mix(h ^ w, 0x8ebc6af09c88c6e3ULL);
		p += 8;
		n -= 8;
	}
	uint64_t w = 0;
	memcpy(&w, p, n);
	return mix(h ^ w ^ 0x589965cc75374cc3ULL, 0x1d8e4e27c47d124fULL);
}

int mx_cache_open(const struct mx_cache_options *opt, struct mx_cache **out, struct mx_err *err)
{
	*out = NULL;
	struct mx_cache *c = mx_calloc(1, sizeof *c);
	if (c == NULL)
		return mx_err_set(err, MX_ENOMEM, "out of memory");
	c->backend = opt->backend;
	c->ops = opt->backend == MX_CACHE_REDIS ? &mx_cache_redis_ops : &mx_cache_memory_ops;
	int rc = opt->backend == MX_CACHE_REDIS ? mx_cache_redis_open(opt, &c->b, err)
	                                        : mx_cache_memory_open(opt, &c->b, err);
	if (rc) {
		mx_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

void mx_cache_close(struct mx_cache *c)
{
	if (c == NULL)
		return;
	c->ops->close(c->b);
	mx_free(c);
}

enum mx_cache_backend mx_cache_backend_of(const struct mx_cache *c)
{
	return c->backend;
}

const char *mx_cache_backend_name(enum mx_cache_backend b)
{
	return b == MX_CACHE_REDIS ? "redis" : "memory";
}

uint64_t mx_cache_next_generation(struct mx_cache *c)
{
	return atomic_fetch_add(&c->generation, 1) + 1;
}

int mx_cache_get(struct mx_cache *c, uint64_t generation, const void *key, size_t klen, char **val,
                 size_t *vlen, uint64_t *token)
{
	*val = NULL;
	*vlen = 0;
	*token = 0;
	int rc = c->ops->get(c->b, generation, key, klen, val, vlen, token);
	if (rc == 0)
		atomic_fetch_add_explicit(&c->hits, 1, memory_order_relaxed);
	else
		atomic_fetch_add_explicit(&c->misses, 1, memory_order_relaxed);
	if (rc == MX_EIO)
		atomic_fetch_add_explicit(&c->errors, 1, memory_order_relaxed);
	return rc;
}

int mx_cache_put(struct mx_cache *c, uint64_t generation, const void *key, size_t klen, const void *val,
                 size_t vlen, double ttl_s, uint64_t token)
{
	if (ttl_s <= 0)
		return 0;
	int rc = c->ops->put(c->b, generation, key, klen, val, vlen, ttl_s, token);
	if (rc == 0)
		atomic_fetch_add_explicit(&c->stores, 1, memory_order_relaxed);
	else if (rc == MX_EIO)
		atomic_fetch_add_explicit(&c->errors, 1, memory_order_relaxed);
	return rc;
}

int mx_cache_flush(struct mx_cache *c)
{
	int rc = c->ops->flush(c->b);
	if (rc == MX_EIO)
		atomic_fetch_add(&c->errors, 1);
	return rc;
}

void mx_cache_get_stats(struct mx_cache *c, struct mx_cache_stats *out)
{
	memset(out, 0, sizeof *out);
	c->ops->stats(c->b, out);
	out->hits = atomic_load(&c->hits);
	out->misses = atomic_load(&c->misses);
	out->stores = atomic_load(&c->stores);
	out->errors = atomic_load(&c->errors);
}

/* ------------------------------------------------------------- Redis URL */

static int copy_part(char *dst, size_t dstsz, const char *p, size_t n)
{
	if (n >= dstsz)
		return -1;
	memcpy(dst, p, n);
	dst[n] = '\0';
	return 0;
}

int mx_cache_parse_redis_url(const char *url, char *host, size_t hostsz, int *port, int *db, char *user,
                             size_t usersz, char *password, size_t passwordsz, struct mx_err *err)
{
	static const char scheme[] = "redis://";
	*port = 6379;
	*db = 0;
	host[0] = user[0] = password[0] = '\0';
	if (url == NULL || strncmp(url, scheme, sizeof scheme - 1) != 0)
		return mx_err_set(err, MX_EINVAL,
		                  "cache.redis_url: expected redis://host[:port][/db], got '%s'",
		                  url ? url : "");
	const char *p = url + sizeof scheme - 1;
	const char *end = p + strcspn(p, "/?#");
	const char *at = memchr(p, '@', (size_t)(end - p));
	if (at) {
		const char *colon = memchr(p, ':', (size_t)(at - p));
		const char *uend = colon ? colon : at;
		if (copy_part(user, usersz, p, (size_t)(uend - p)) ||
		    (colon && copy_part(password, passwordsz, colon + 1, (size_t)(at - colon - 1))))
			return mx_err_set(err, MX_EINVAL, "cache.redis_url: credentials too long");
		p = at + 1;
	}
	const char *colon = memchr(p, ':', (size_t)(end - p));
	const char *hend = colon ? colon : end;
	if (hend == p || copy_part(host, hostsz, p, (size_t)(hend - p)))
		return mx_err_set(err, MX_EINVAL, "cache.redis_url: bad host in '%s'", url);
	if (colon) {
		char *e = NULL;
		long v = strtol(colon + 1, &e, 10);
		if (e != end || v <= 0 || v > 65535)
			return mx_err_set(err, MX_EINVAL, "cache.redis_url: bad port in '%s'", url);
		*port = (int)v;
	}
	if (*end == '/' && end[1] != '\0') {
		char *e = NULL;
		long v = strtol(end + 1, &e, 10);
		if (*e != '\0' || v < 0 || v > 1000000)
			return mx_err_set(err, MX_EINVAL, "cache.redis_url: bad database number in '%s'",
			                  url);
		*db = (int)v;
	}
	return 0;
}
