/* SPDX-License-Identifier: Apache-2.0 */
/* duckdb_load — see duckdb_load.h. */
#include "exec/sql/duckdb_load.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static pthread_once_t once = PTHREAD_ONCE_INIT;
static void *lib;
static char why[512]; /* dlerror() is per thread: kept for every caller */

/* As the dynamic loader looks for a library the binary needs
 * (LD_LIBRARY_PATH, the binary's RUNPATH, the system's), then in the
 * folder the build linked (the RUNPATH's), for when the search is not the
 * binary's own: a sanitizer's dlopen() searches as the sanitizer's library. */
static void open_lib(void)
{
	const int flags = RTLD_LAZY | RTLD_GLOBAL;
	if ((lib = dlopen("libduckdb.so", flags)) != NULL)
		return;
	snprintf(why, sizeof why, "%s", dlerror());
#ifdef MXCP_DUCKDB_LIBDIR
	lib = dlopen(MXCP_DUCKDB_LIBDIR "/libduckdb.so", flags);
#endif
}

/* Like the dynamic loader's refusal at exec: the process cannot work. */
static void fail(const char *what)
{
	fprintf(stderr, "mxcp: %s\n", what);
	_exit(127);
}

void *mx_duckdb_symbol(void **slot, const char *name)
{
	void *fn = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
	if (fn != NULL)
		return fn;
	pthread_once(&once, open_lib);
	if (lib == NULL)
		fail(why);
	if ((fn = dlsym(lib, name)) == NULL)
		fail(dlerror());
	__atomic_store_n(slot, fn, __ATOMIC_RELEASE);
	return fn;
}
