/* SPDX-License-Identifier: Apache-2.0 */
/*
 * alloc — the one allocation entry point of mxcp.
 *
 * Every heap allocation in the tree goes through mx_malloc/mx_calloc/
 * mx_realloc/mx_free (scripts/check-style.sh bans the raw calls elsewhere).
 * That gives two things: live-byte accounting for /metrics, and a fault
 * injection switch (fail the Nth allocation) for out-of-memory tests.
 * jansson is routed through the same functions at start-up.
 *
 * Thread-safe: counters are atomics; no locks.
 */
#ifndef MX_CORE_ALLOC_H
#define MX_CORE_ALLOC_H

#include <stddef.h>

void *mx_malloc(size_t n);
void *mx_calloc(size_t count, size_t size);
void *mx_realloc(void *p, size_t n);
void mx_free(void *p);
char *mx_strdup(const char *s);
char *mx_strndup(const char *s, size_t n);

/* Live bytes handed out and not yet freed. */
size_t mx_alloc_live_bytes(void);

/* Make the Nth allocation from now fail (0 disables). For tests only. */
void mx_alloc_fail_after(long n);

/* mx_malloc/mx_free with the user-data pointer of libraries that take an
 * allocator pair (PCRE2's general contexts: pass NULL as the data). */
void *mx_malloc_ud(size_t n, void *data);
void mx_free_ud(void *p, void *data);

/* Route jansson's allocations through mx_malloc/mx_free. */
void mx_alloc_init_jansson(void);

#endif
