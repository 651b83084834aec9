/* SPDX-License-Identifier: Apache-2.0 */
/*
 * internal — what the cache facade (cache.c) and its backends (memory.c,
 * redis.c) share: the backend vtable. The facade counts hits, misses,
 * stores and errors; a backend reports evictions, bytes, entries and
 * whether it is down.
 */
#ifndef MX_CACHE_INTERNAL_H
#define MX_CACHE_INTERNAL_H

#include "cache/cache.h"

struct mx_cache_ops {
	int (*get)(void *b, uint64_t generation, const void *key, size_t klen, char **val, size_t *vlen,
	           uint64_t *token);
	int (*put)(void *b, uint64_t generation, const void *key, size_t klen, const void *val, size_t vlen,
	           double ttl_s, uint64_t token);
	int (*flush)(void *b);
	void (*stats)(void *b, struct mx_cache_stats *out);
	void (*close)(void *b);
};

int mx_cache_memory_open(const struct mx_cache_options *opt, void **out, struct mx_err *err);
extern const struct mx_cache_ops mx_cache_memory_ops;
int mx_cache_redis_open(const struct mx_cache_options *opt, void **out, struct mx_err *err);
extern const struct mx_cache_ops mx_cache_redis_ops;

#endif
