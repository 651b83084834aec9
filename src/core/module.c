/* SPDX-License-Identifier: Apache-2.0 */
/*
 * module — see module.h. dlopen() keeps one copy of an object however
 * often it is opened, so loading a module twice is harmless; the callers
 * still keep their table after the first load (a mutex or pthread_once of
 * theirs) to skip the search.
 */
#include "core/module.h"

#include "core/log.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The folder of the running binary (its real path), with a trailing '/'. */
static int exe_dir(char *out, size_t n)
{
	char path[PATH_MAX];
	ssize_t len = readlink("/proc/self/exe", path, sizeof path - 1);
	if (len <= 0)
		return -1;
	path[len] = '\0';
	char *slash = strrchr(path, '/');
	if (slash == NULL)
		return -1;
	slash[1] = '\0';
	return snprintf(out, n, "%s", path) < (int)n ? 0 : -1;
}

static int candidate(char *out, size_t n, const char *dir, const char *sub, const char *file)
{
	int len = snprintf(out, n, "%s%s%s", dir, sub, file);
	return len > 0 && (size_t)len < n && access(out, R_OK) == 0 ? 0 : -1;
}

int mx_module_find(const char *file, char *out, size_t n)
{
	const char *env = getenv("MXCP_MODULE_DIR");
	if (env && *env) {
		size_t len = strlen(env);
		return candidate(out, n, env, len && env[len - 1] == '/' ? "" : "/", file);
	}
	char dir[PATH_MAX];
	if (exe_dir(dir, sizeof dir) != 0)
		return -1;
	if (candidate(out, n, dir, "", file) == 0)
		return 0;
	return candidate(out, n, dir, "../lib/mxcp/", file);
}

int mx_module_load(const char *path, const char *entry, int abi, int global, const void **table,
                   struct mx_err *err)
{
	*table = NULL;
	void *h = dlopen(path, RTLD_NOW | (global ? RTLD_GLOBAL : RTLD_LOCAL));
	if (h == NULL)
		return mx_err_set(err, MX_EINVAL, "cannot load %s: %s", path, dlerror());
	const void *(*fn)(void) = (const void *(*)(void))dlsym(h, entry);
	const void *t = fn ? fn() : NULL;
	if (t == NULL || *(const int *)t != abi) {
		dlclose(h);
		return mx_err_set(err, MX_EINVAL, "%s does not match this mxcp binary", path);
	}
	mx_debug("module: loaded %s (%s)", path, entry);
	*table = t;
	return 0;
}

int mx_module_open(const char *file, const char *entry, int abi, const char *what, const void **table,
                   struct mx_err *err)
{
	*table = NULL;
	char path[PATH_MAX + 64];
	if (mx_module_find(file, path, sizeof path) != 0)
		return mx_err_set(err, MX_ENOTFOUND,
		                  "%s needs %s beside the mxcp binary, in ../lib/mxcp/ from it, or in "
		                  "MXCP_MODULE_DIR; it was not found",
		                  what, file);
	return mx_module_load(path, entry, abi, 0, table, err);
}
