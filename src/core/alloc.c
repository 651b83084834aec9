/* SPDX-License-Identifier: Apache-2.0 */
/*
 * alloc — see alloc.h. Each block carries a 16-byte header holding its size,
 * so mx_free can account for it without asking the C library.
 */
#include "core/alloc.h"

#include <jansson.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MX_ALLOC_HDR 16

/* Live bytes, counted in shards: one shared counter would be written by
 * every thread on every allocation, and the bouncing of its cache line cost
 * ~5% of a small HTTP call on two cores. A thread adds to its own shard
 * (a block freed by another thread is subtracted there: shards go
 * negative, their sum is exact). */
#define SHARDS 16
static struct {
	_Alignas(64) atomic_llong n;
} live_bytes[SHARDS];
static atomic_uint next_shard;
static _Thread_local int my_shard = -1;
static atomic_long fail_countdown;

static atomic_llong *shard(void)
{
	if (my_shard < 0)
		my_shard = (int)(atomic_fetch_add_explicit(&next_shard, 1, memory_order_relaxed) % SHARDS);
	return &live_bytes[my_shard].n;
}

static int should_fail(void)
{
	long n = atomic_load_explicit(&fail_countdown, memory_order_relaxed);
	if (n <= 0)
		return 0;
	n = atomic_fetch_sub(&fail_countdown, 1);
	return n == 1;
}

void *mx_malloc(size_t n)
{
	if (should_fail() || n > SIZE_MAX - MX_ALLOC_HDR)
		return NULL;
	unsigned char *p = malloc(n + MX_ALLOC_HDR);
	if (p == NULL)
		return NULL;
	memcpy(p, &n, sizeof n);
	atomic_fetch_add_explicit(shard(), (long long)n, memory_order_relaxed);
	return p + MX_ALLOC_HDR;
}

void *mx_calloc(size_t count, size_t size)
{
	if (size != 0 && count > SIZE_MAX / size)
		return NULL;
	void *p = mx_malloc(count * size);
	if (p != NULL)
		memset(p, 0, count * size);
	return p;
}

void *mx_realloc(void *ptr, size_t n)
{
	if (ptr == NULL)
		return mx_malloc(n);
	if (should_fail() || n > SIZE_MAX - MX_ALLOC_HDR)
		return NULL;
	unsigned char *base = (unsigned char *)ptr - MX_ALLOC_HDR;
	size_t old;
	memcpy(&old, base, sizeof old);
	unsigned char *p = realloc(base, n + MX_ALLOC_HDR);
	if (p == NULL)
		return NULL;
	memcpy(p, &n, sizeof n);
	atomic_fetch_add_explicit(shard(), (long long)n - (long long)old, memory_order_relaxed);
	return p + MX_ALLOC_HDR;
}

void mx_free(void *ptr)
{
	if (ptr == NULL)
		return;
	unsigned char *base = (unsigned char *)ptr - MX_ALLOC_HDR;
	size_t n;
	memcpy(&n, base, sizeof n);
	atomic_fetch_sub_explicit(shard(), (long long)n, memory_order_relaxed);
	free(base);
}

char *mx_strndup(const char *s, size_t n)
{
	char *d = mx_malloc(n + 1);
	if (d == NULL)
		return NULL;
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

char *mx_strdup(const char *s)
{
	return s == NULL ? NULL : mx_strndup(s, strlen(s));
}

size_t mx_alloc_live_bytes(void)
{
	long long sum = 0;
	for (int i = 0; i < SHARDS; i++)
		sum += atomic_load_explicit(&live_bytes[i].n, memory_order_relaxed);
	return sum > 0 ? (size_t)sum : 0;
}

void mx_alloc_fail_after(long n)
{
	atomic_store(&fail_countdown, n);
}

void *mx_malloc_ud(size_t n, void *data)
{
	(void)data;
	return mx_malloc(n);
}

void mx_free_ud(void *p, void *data)
{
	(void)data;
	mx_free(p);
}

void mx_alloc_init_jansson(void)
{
	json_set_alloc_funcs(mx_malloc, mx_free);
}
