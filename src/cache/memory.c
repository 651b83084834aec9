/* SPDX-License-Identifier: Apache-2.0 */
/*
 * memory — the in-process backend of the response cache (see cache.h).
 *
 * 64 shards chosen by the key's hash; each is a chained hash table plus
 * the queues of its eviction policy, under its own reader/writer lock and
 * with its own share of the byte budget.
 *
 * S3-FIFO (Yang et al., SOSP '23; the default): a new key enters the small
 * FIFO (10% of the shard's bytes), or the main FIFO when its hash is in the
 * ghost ring (it was evicted from the small queue recently). A hit only
 * raises the entry's 2-bit frequency, atomically, under the shared lock:
 * readers never write the queues and never wait for each other. Eviction
 * (on insert, under the exclusive lock) takes from the small queue while it
 * is over its share: an entry hit since it came moves to the main queue,
 * one that was not is dropped and remembered in the ghost ring; from the
 * main queue an entry with frequency left goes round again with one less,
 * else it is dropped. One-hit wonders leave quickly, a popular set stays.
 *
 * LRU (for measurement, bench/cache_bench.c): one queue, a hit moves the
 * entry to the tail, so a hit takes the exclusive lock.
 *
 * Expired entries are misses; they leave when eviction reaches them or
 * when their key is stored again. Accounting counts each entry's header,
 * key, value and bucket slot against max_bytes.
 */
#include "cache/internal.h"

#include "core/alloc.h"
#include "core/time.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#define NSHARDS 64
#define GHOST_N 256
#define INITIAL_BUCKETS 64

enum { Q_SMALL, Q_MAIN };

struct entry {
	struct entry *hnext; /* bucket chain */
	struct entry *prev, *next; /* queue: head is the oldest */
	uint64_t hash, generation;
	double expires; /* mx_mono_s() */
	size_t size; /* accounted bytes */
	uint32_t klen, vlen;
	_Atomic unsigned char freq;
	unsigned char queue;
	char data[]; /* key, value, NUL */
};

struct fifo {
	struct entry *head, *tail;
	size_t bytes;
};

struct shard {
	pthread_rwlock_t lock;
	struct entry **buckets;
	size_t nbuckets, count;
	struct fifo small, main;
	size_t budget;
	uint64_t ghost[GHOST_N];
	size_t ghost_pos;
	char pad[64]; /* keep neighbouring shards' locks off one cache line */
};

struct mem {
	struct shard shards[NSHARDS];
	enum mx_cache_policy policy;
	atomic_ullong evictions, bytes, entries;
};

static struct shard *shard_of(struct mem *m, uint64_t h)
{
	return &m->shards[h >> 58];
}

static void fifo_push(struct fifo *q, struct entry *e)
{
	e->next = NULL;
	e->prev = q->tail;
	if (q->tail)
		q->tail->next = e;
	else
		q->head = e;
	q->tail = e;
	q->bytes += e->size;
}

static void fifo_unlink(struct fifo *q, struct entry *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		q->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		q->tail = e->prev;
	e->prev = e->next = NULL;
	q->bytes -= e->size;
}

static struct entry *find(struct shard *s, uint64_t h, uint64_t gen, const void *key, size_t klen)
{
	for (struct entry *e = s->buckets[h & (s->nbuckets - 1)]; e; e = e->hnext)
		if (e->hash == h && e->generation == gen && e->klen == klen &&
		    memcmp(e->data, key, klen) == 0)
			return e;
	return NULL;
}

/* Unlink e from its bucket and queue and free it. */
static void drop(struct mem *m, struct shard *s, struct entry *e)
{
	struct entry **pp = &s->buckets[e->hash & (s->nbuckets - 1)];
	while (*pp != e)
		pp = &(*pp)->hnext;
	*pp = e->hnext;
	fifo_unlink(e->queue == Q_SMALL ? &s->small : &s->main, e);
	s->count--;
	atomic_fetch_sub(&m->bytes, e->size);
	atomic_fetch_sub(&m->entries, 1);
	mx_free(e);
}

static void ghost_add(struct shard *s, uint64_t h)
{
	s->ghost[s->ghost_pos] = h;
	s->ghost_pos = (s->ghost_pos + 1) % GHOST_N;
}

static int ghost_take(struct shard *s, uint64_t h)
{
	for (size_t i = 0; i < GHOST_N; i++) {
		if (s->ghost[i] == h && h != 0) {
			s->ghost[i] = 0;
			return 1;
		}
	}
	return 0;
}

/* Make room: one step of the policy (drops at most one entry). */
static void evict_step(struct mem *m, struct shard *s, double now)
{
	if (m->policy == MX_CACHE_LRU) {
		drop(m, s, s->main.head);
		atomic_fetch_add(&m->evictions, 1);
		return;
	}
	if (s->small.head && (s->small.bytes > s->budget / 10 || s->main.head == NULL)) {
		struct entry *e = s->small.head;
		unsigned char f = atomic_load_explicit(&e->freq, memory_order_relaxed);
		if (f > 0 && e->expires > now) {
			fifo_unlink(&s->small, e);
			atomic_store_explicit(&e->freq, 0, memory_order_relaxed);
			e->queue = Q_MAIN;
			fifo_push(&s->main, e);
			return;
		}
		ghost_add(s, e->hash);
		drop(m, s, e);
		atomic_fetch_add(&m->evictions, 1);
		return;
	}
	struct entry *e = s->main.head;
	unsigned char f = atomic_load_explicit(&e->freq, memory_order_relaxed);
	if (f > 0 && e->expires > now) {
		atomic_store_explicit(&e->freq, (unsigned char)(f - 1), memory_order_relaxed);
		fifo_unlink(&s->main, e);
		fifo_push(&s->main, e);
		return;
	}
	drop(m, s, e);
	atomic_fetch_add(&m->evictions, 1);
}

static int grow(struct shard *s)
{
	size_t n = s->nbuckets * 2;
	struct entry **b = mx_calloc(n, sizeof *b);
	if (b == NULL)
		return MX_ENOMEM;
	for (size_t i = 0; i < s->nbuckets; i++) {
		for (struct entry *e = s->buckets[i], *next; e; e = next) {
			next = e->hnext;
			e->hnext = b[e->hash & (n - 1)];
			b[e->hash & (n - 1)] = e;
		}
	}
	mx_free(s->buckets);
	s->buckets = b;
	s->nbuckets = n;
	return 0;
}

/* ---------------------------------------------------------------- the ops */

static int mem_get(void *b, uint64_t gen, const void *key, size_t klen, char **val, size_t *vlen,
                   uint64_t *token)
{
	struct mem *m = b;
	uint64_t h = mx_cache_hash(gen, key, klen);
	struct shard *s = shard_of(m, h);
	int lru = m->policy == MX_CACHE_LRU;
	*token = 0;
	if (lru)
		pthread_rwlock_wrlock(&s->lock);
	else
		pthread_rwlock_rdlock(&s->lock);
	struct entry *e = find(s, h, gen, key, klen);
	int rc = MX_ENOTFOUND;
	if (e && e->expires > mx_mono_s()) {
		if (lru) {
			fifo_unlink(&s->main, e);
			fifo_push(&s->main, e);
		} else {
			unsigned char f = atomic_load_explicit(&e->freq, memory_order_relaxed);
			if (f < 3)
				atomic_compare_exchange_weak_explicit(&e->freq, &f, (unsigned char)(f + 1),
				                                      memory_order_relaxed,
				                                      memory_order_relaxed);
		}
		char *copy = mx_malloc((size_t)e->vlen + 1);
		if (copy) {
			memcpy(copy, e->data + e->klen, (size_t)e->vlen + 1);
			*val = copy;
			*vlen = e->vlen;
			rc = 0;
		} else {
			rc = MX_ENOMEM;
		}
	}
	pthread_rwlock_unlock(&s->lock);
	return rc;
}

static int mem_put(void *b, uint64_t gen, const void *key, size_t klen, const void *val, size_t vlen,
                   double ttl_s, uint64_t token)
{
	(void)token;
	struct mem *m = b;
	if (klen > UINT32_MAX / 2 || vlen > UINT32_MAX / 2)
		return 0;
	uint64_t h = mx_cache_hash(gen, key, klen);
	struct shard *s = shard_of(m, h);
	size_t size = sizeof(struct entry) + klen + vlen + 1 + sizeof(struct entry *);
	if (size > s->budget / 2)
		return 0; /* would push out half the shard: not worth keeping */
	struct entry *e = mx_malloc(sizeof *e + klen + vlen + 1);
	if (e == NULL)
		return MX_ENOMEM;
	memset(e, 0, sizeof *e);
	e->hash = h;
	e->generation = gen;
	e->klen = (uint32_t)klen;
	e->vlen = (uint32_t)vlen;
	e->size = size;
	memcpy(e->data, key, klen);
	memcpy(e->data + klen, val, vlen);
	e->data[klen + vlen] = '\0';
	double now = mx_mono_s();
	e->expires = now + ttl_s;
	atomic_init(&e->freq, 0);

	pthread_rwlock_wrlock(&s->lock);
	struct entry *old = find(s, h, gen, key, klen);
	if (old)
		drop(m, s, old);
	if (s->count + 1 > s->nbuckets)
		grow(s); /* out of memory: longer chains, still correct */
	e->queue = m->policy == MX_CACHE_LRU || ghost_take(s, h) ? Q_MAIN : Q_SMALL;
	fifo_push(e->queue == Q_SMALL ? &s->small : &s->main, e);
	e->hnext = s->buckets[h & (s->nbuckets - 1)];
	s->buckets[h & (s->nbuckets - 1)] = e;
	s->count++;
	atomic_fetch_add(&m->bytes, size);
	atomic_fetch_add(&m->entries, 1);
	while (s->small.bytes + s->main.bytes > s->budget)
		evict_step(m, s, now);
	pthread_rwlock_unlock(&s->lock);
	return 0;
}

static void clear_shard(struct mem *m, struct shard *s)
{
	while (s->small.head)
		drop(m, s, s->small.head);
	while (s->main.head)
		drop(m, s, s->main.head);
	memset(s->ghost, 0, sizeof s->ghost);
}

static int mem_flush(void *b)
{
	struct mem *m = b;
	for (size_t i = 0; i < NSHARDS; i++) {
		pthread_rwlock_wrlock(&m->shards[i].lock);
		clear_shard(m, &m->shards[i]);
		pthread_rwlock_unlock(&m->shards[i].lock);
	}
	return 0;
}

static void mem_stats(void *b, struct mx_cache_stats *out)
{
	struct mem *m = b;
	out->evictions = atomic_load(&m->evictions);
	out->bytes = atomic_load(&m->bytes);
	out->entries = atomic_load(&m->entries);
	out->down = 0;
}

static void mem_close(void *b)
{
	struct mem *m = b;
	for (size_t i = 0; i < NSHARDS; i++) {
		clear_shard(m, &m->shards[i]);
		mx_free(m->shards[i].buckets);
		pthread_rwlock_destroy(&m->shards[i].lock);
	}
	mx_free(m);
}

int mx_cache_memory_open(const struct mx_cache_options *opt, void **out, struct mx_err *err)
{
	struct mem *m = mx_calloc(1, sizeof *m);
	if (m == NULL)
		return mx_err_set(err, MX_ENOMEM, "out of memory");
	m->policy = opt->policy;
	size_t max = opt->max_bytes ? opt->max_bytes : (size_t)64 << 20;
	for (size_t i = 0; i < NSHARDS; i++) {
		struct shard *s = &m->shards[i];
		pthread_rwlock_init(&s->lock, NULL);
		s->budget = max / NSHARDS;
		s->nbuckets = INITIAL_BUCKETS;
		s->buckets = mx_calloc(s->nbuckets, sizeof *s->buckets);
		if (s->buckets == NULL) {
			m->shards[i].nbuckets = 0;
			for (size_t j = 0; j <= i; j++) {
				mx_free(m->shards[j].buckets);
				pthread_rwlock_destroy(&m->shards[j].lock);
			}
			mx_free(m);
			return mx_err_set(err, MX_ENOMEM, "out of memory");
		}
	}
	*out = m;
	return 0;
}

const struct mx_cache_ops mx_cache_memory_ops = {
        .get = mem_get,
        .put = mem_put,
        .flush = mem_flush,
        .stats = mem_stats,
        .close = mem_close,
};
