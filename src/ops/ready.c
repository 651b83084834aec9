/* SPDX-License-Identifier: Apache-2.0 */
/* ready — see ready.h. */
#include "ops/ready.h"

#include "core/alloc.h"
#include "core/fs.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define READY_MAX_CHECKS 8

struct mx_ready {
	struct check {
		const char *name;
		mx_ready_fn fn;
		void *ctx;
	} checks[READY_MAX_CHECKS];
	size_t n;
	atomic_int stopping;
};

int mx_ready_new(struct mx_ready **out)
{
	*out = mx_calloc(1, sizeof **out);
	if (*out == NULL)
		return MX_ENOMEM;
	atomic_init(&(*out)->stopping, 0);
	return 0;
}

int mx_ready_add(struct mx_ready *r, const char *name, mx_ready_fn fn, void *ctx)
{
	if (r->n >= READY_MAX_CHECKS)
		return MX_ELIMIT;
	r->checks[r->n++] = (struct check){name, fn, ctx};
	return 0;
}

void mx_ready_set_stopping(struct mx_ready *r)
{
	if (r)
		atomic_store(&r->stopping, 1);
}

int mx_ready_run(struct mx_ready *r, json_t *checks)
{
	int ok = 1;
	for (size_t i = 0; r && i < r->n; i++) {
		char why[MX_ERR_MSG_MAX] = "";
		int failed = r->checks[i].fn(r->checks[i].ctx, why, sizeof why) != 0;
		json_object_set_new(checks, r->checks[i].name, json_string(failed ? why : "ok"));
		ok &= !failed;
	}
	if (r && atomic_load(&r->stopping)) {
		json_object_set_new(checks, "server", json_string("shutting down"));
		ok = 0;
	}
	return ok;
}

void mx_ready_free(struct mx_ready *r)
{
	mx_free(r);
}

int mx_ready_database_file(const char *path, char *why, size_t n)
{
	if (strcmp(path, ":memory:") == 0 || access(path, F_OK) == 0)
		return 0;
	snprintf(why, n, "database file %.1900s is missing", path);
	return -1;
}

int mx_ready_audit_path(const char *path, char *why, size_t n)
{
	char dir[4096];
	snprintf(dir, sizeof dir, "%s", path);
	int w = access(dir, F_OK) == 0 ? access(dir, W_OK) == 0 : 0;
	if (access(dir, F_OK) != 0) {
		char *slash = strrchr(dir, '/');
		if (slash && slash != dir)
			*slash = '\0';
		(void)mx_fs_mkdir_p(dir, 0755, NULL, 0);
		w = access(dir, W_OK) == 0;
	}
	if (w)
		return 0;
	snprintf(why, n, "audit path not writable");
	return -1;
}
