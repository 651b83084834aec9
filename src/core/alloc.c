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

static atomic_size_t live_bytes;
static atomic_long fail_countdown;

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
	atomic_fetch_add_explicit(&live_bytes, n, memory_order_relaxed);
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
	atomic_fetch_add_explicit(&live_bytes, n, memory_order_relaxed);
	atomic_fetch_sub_explicit(&live_bytes, old, memory_order_relaxed);
	return p + MX_ALLOC_HDR;
}

void mx_free(void *ptr)
{
	if (ptr == NULL)
		return;
	unsigned char *base = (unsigned char *)ptr - MX_ALLOC_HDR;
	size_t n;
	memcpy(&n, base, sizeof n);
	atomic_fetch_sub_explicit(&live_bytes, n, memory_order_relaxed);
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
	return atomic_load_explicit(&live_bytes, memory_order_relaxed);
}

void mx_alloc_fail_after(long n)
{
	atomic_store(&fail_countdown, n);
}

void mx_alloc_init_jansson(void)
{
	json_set_alloc_funcs(mx_malloc, mx_free);
}
