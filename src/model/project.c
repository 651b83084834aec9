/* SPDX-License-Identifier: Apache-2.0 */
/*
 * project — see project.h. Discovery follows MXCP: recursive *.yml under the
 * tools/resources/prompts folders (paths.*), files sorted so the order is
 * the same on every machine; tool names, prompt names and resource URIs
 * share one namespace, and every file of a duplicate gets the error.
 */
#include "model/project.h"

#include "core/alloc.h"
#include "core/buf.h"
#include "core/log.h"

#include <dirent.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

int mx_env_flag(const char *name)
{
	const char *v = getenv(name);
	return v && (!strcasecmp(v, "1") || !strcasecmp(v, "true") || !strcasecmp(v, "yes"));
}

/* ---------------------------------------------------------- file discovery */

struct pathlist {
	char **v;
	size_t n, cap;
};

static int pathlist_add(struct pathlist *l, const char *p)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 32;
		char **v = mx_realloc(l->v, cap * sizeof *v);
		if (v == NULL)
			return MX_ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	if ((l->v[l->n] = mx_strdup(p)) == NULL)
		return MX_ENOMEM;
	l->n++;
	return 0;
}

static void pathlist_free(struct pathlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		mx_free(l->v[i]);
	mx_free(l->v);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int scan_dir(const char *dir, struct pathlist *out, int depth)
{
	if (depth > 32)
		return 0;
	DIR *d = opendir(dir);
	if (d == NULL)
		return 0;
	struct dirent *e;
	int rc = 0;
	while (rc == 0 && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		char path[PATH_MAX];
		if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= sizeof path)
			continue;
		/* The entry's own type when the file system says (no stat); a link
		 * counts as what it points to. */
		struct stat st = {.st_mode = e->d_type == DT_DIR   ? S_IFDIR
		                             : e->d_type == DT_REG ? S_IFREG
		                                                   : 0};
		if (st.st_mode == 0 && stat(path, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			rc = scan_dir(path, out, depth + 1);
		} else if (S_ISREG(st.st_mode)) {
			size_t n = strlen(e->d_name);
			if (n > 4 && strcmp(e->d_name + n - 4, ".yml") == 0)
				rc = pathlist_add(out, path);
		}
	}
	closedir(d);
	return rc;
}

/* ------------------------------------------------------------------ load */

static int add_failure(struct mx_project *p, const char *path, enum mx_endpoint_kind kind,
                       const struct mx_err *e)
{
	struct mx_load_failure *f = mx_realloc(p->failures, (p->nfailures + 1) * sizeof *f);
	if (f == NULL)
		return MX_ENOMEM;
	p->failures = f;
	f = &p->failures[p->nfailures];
	memset(f, 0, sizeof *f);
	char canon[PATH_MAX];
	f->path = mx_strdup(realpath(path, canon) ? canon : path);
	if (f->path == NULL)
		return MX_ENOMEM;
	size_t rl = strlen(p->site->root);
	const char *rel =
	        strncmp(f->path, p->site->root, rl) == 0 && f->path[rl] == '/' ? f->path + rl + 1 : f->path;
	if ((f->relpath = mx_strdup(rel)) == NULL) {
		mx_free(f->path);
		return MX_ENOMEM;
	}
	f->kind = kind;
	f->err = *e;
	p->nfailures++;
	return 0;
}

static int cmp_endpoint(const void *a, const void *b)
{
	const struct mx_endpoint *x = *(struct mx_endpoint *const *)a;
	const struct mx_endpoint *y = *(struct mx_endpoint *const *)b;
	if (x->kind != y->kind)
		return (int)x->kind - (int)y->kind;
	return strcmp(x->name, y->name);
}

static int cmp_failure(const void *a, const void *b)
{
	return strcmp(((const struct mx_load_failure *)a)->path, ((const struct mx_load_failure *)b)->path);
}

struct named {
	const char *name;
	size_t i;
};

static int cmp_named(const void *a, const void *b)
{
	return strcmp(((const struct named *)a)->name, ((const struct named *)b)->name);
}

/* Move every endpoint whose name is shared with another into failures. */
static int check_duplicates(struct mx_project *p)
{
	size_t n = p->nendpoints;
	char *dup = mx_calloc(n ? n : 1, 1);
	if (dup == NULL)
		return MX_ENOMEM;
	/* names sorted (n log n: a project of thousands of endpoints), then
	 * every run of equal names marked */
	struct named *by = mx_malloc((n ? n : 1) * sizeof *by);
	if (by == NULL) {
		mx_free(dup);
		return MX_ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		by[i] = (struct named){p->endpoints[i]->name, i};
	if (n > 1)
		qsort(by, n, sizeof *by, cmp_named);
	for (size_t i = 1; i < n; i++)
		if (strcmp(by[i - 1].name, by[i].name) == 0)
			dup[by[i - 1].i] = dup[by[i].i] = 1;
	mx_free(by);
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		if (!dup[i])
			continue;
		const struct mx_endpoint *ep = p->endpoints[i];
		struct mx_buf files;
		mx_buf_init(&files, 1 << 16);
		int any_resource = 0;
		for (size_t j = 0; j < n; j++) {
			if (strcmp(p->endpoints[j]->name, ep->name) != 0)
				continue;
			any_resource |= p->endpoints[j]->kind == MX_EP_RESOURCE;
			mx_buf_printf(&files, "%s%s", files.len ? ", " : "", p->endpoints[j]->relpath);
		}
		struct mx_err e;
		mx_err_at(&e, MX_EINVAL, ep->path, ep->line, ep->col,
		          "Duplicate endpoint %s '%s' found in: %s", any_resource ? "URI" : "name", ep->name,
		          mx_buf_str(&files));
		mx_buf_free(&files);
		rc = add_failure(p, ep->path, ep->kind, &e);
	}
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (dup[i])
			mx_endpoint_free(p->endpoints[i]);
		else
			p->endpoints[k++] = p->endpoints[i];
	}
	p->nendpoints = k;
	mx_free(dup);
	return rc;
}

static int load_kind(struct mx_project *p, enum mx_endpoint_kind kind, const char *folder)
{
	char dir[PATH_MAX];
	snprintf(dir, sizeof dir, "%s/%s", p->site->root, folder);
	struct pathlist files = {0};
	int rc = scan_dir(dir, &files, 0);
	if (rc == 0 && files.n > 1)
		qsort(files.v, files.n, sizeof *files.v, cmp_str);
	for (size_t i = 0; rc == 0 && i < files.n; i++) {
		struct mx_endpoint *ep = NULL;
		struct mx_err e;
		mx_err_clear(&e);
		int lrc = mx_endpoint_load(p->site->root, files.v[i], kind, &ep, &e);
		if (lrc == MX_ENOTFOUND) {
			mx_warn("%s: skipped: no '%s:' definition in a %s folder", files.v[i],
			        mx_endpoint_kind_name(kind), folder);
			continue;
		}
		if (lrc == MX_ENOMEM) {
			rc = lrc;
			break;
		}
		if (lrc) {
			rc = add_failure(p, files.v[i], kind, &e);
			continue;
		}
		if (!ep->enabled) {
			p->ndisabled++;
			mx_endpoint_free(ep);
			continue;
		}
		struct mx_endpoint **v = mx_realloc(p->endpoints, (p->nendpoints + 1) * sizeof *v);
		if (v == NULL) {
			mx_endpoint_free(ep);
			rc = MX_ENOMEM;
			break;
		}
		p->endpoints = v;
		p->endpoints[p->nendpoints++] = ep;
	}
	pathlist_free(&files);
	return rc;
}

int mx_project_load(const struct mx_project_options *opt, struct mx_project **out, struct mx_err *err)
{
	*out = NULL;
	char cwd[PATH_MAX], root[PATH_MAX];
	const char *dir = opt && opt->dir ? opt->dir : getcwd(cwd, sizeof cwd);
	if (dir == NULL)
		return mx_err_set(err, MX_EIO, "cannot read the working directory");
	int rc = mx_site_find_root(dir, root, sizeof root, err);
	if (rc)
		return rc;
	struct mx_project *p = mx_calloc(1, sizeof *p);
	if (p == NULL)
		return mx_err_set(err, MX_ENOMEM, "out of memory");
	atomic_init(&p->refs, 1);
	rc = mx_site_load(root, &p->site, err);
	if (rc)
		goto fail;
	if ((p->profile = mx_strdup(mx_site_active_profile(p->site, opt ? opt->profile : NULL))) == NULL) {
		rc = mx_err_set(err, MX_ENOMEM, "out of memory");
		goto fail;
	}
	rc = mx_user_load(p->site->project, p->profile, &p->user, err);
	if (rc == 0)
		rc = mx_site_check_profile(p->site, p->profile, p->user->profile_declared, err);
	if (rc)
		goto fail;
	rc = mx_site_profile_settings(p->site, p->profile, &p->settings, err);
	if (rc)
		goto fail;
	if ((opt && opt->readonly) || mx_env_flag("MXCP_READONLY"))
		p->settings.readonly = 1;
	if (opt && opt->on_config)
		opt->on_config(p, opt->on_config_ctx);

	const struct mx_site_paths *paths = &p->site->paths;
	if ((rc = load_kind(p, MX_EP_TOOL, paths->tools)) ||
	    (rc = load_kind(p, MX_EP_RESOURCE, paths->resources)) ||
	    (rc = load_kind(p, MX_EP_PROMPT, paths->prompts)) || (rc = check_duplicates(p))) {
		mx_err_set(err, rc, "out of memory");
		goto fail;
	}
	if (p->nendpoints > 1)
		qsort(p->endpoints, p->nendpoints, sizeof *p->endpoints, cmp_endpoint);
	if (p->nfailures > 1)
		qsort(p->failures, p->nfailures, sizeof *p->failures, cmp_failure);
	*out = p;
	return 0;
fail:
	mx_project_unref(p);
	return rc;
}

struct mx_project *mx_project_ref(struct mx_project *p)
{
	atomic_fetch_add(&p->refs, 1);
	return p;
}

void mx_project_drop_endpoints(struct mx_project *p, const unsigned char *drop)
{
	size_t k = 0;
	for (size_t i = 0; i < p->nendpoints; i++) {
		if (drop[i])
			mx_endpoint_free(p->endpoints[i]);
		else
			p->endpoints[k++] = p->endpoints[i];
	}
	p->nendpoints = k;
}

void mx_project_unref(struct mx_project *p)
{
	if (p == NULL || atomic_fetch_sub(&p->refs, 1) != 1)
		return;
	if (p->exec_state_free)
		p->exec_state_free(p->exec_state);
	for (size_t i = 0; i < p->nendpoints; i++)
		mx_endpoint_free(p->endpoints[i]);
	mx_free(p->endpoints);
	for (size_t i = 0; i < p->nfailures; i++) {
		mx_free(p->failures[i].path);
		mx_free(p->failures[i].relpath);
	}
	mx_free(p->failures);
	mx_free(p->profile);
	mx_user_free(p->user);
	mx_site_free(p->site);
	mx_free(p);
}

const struct mx_endpoint *mx_project_find(const struct mx_project *p, enum mx_endpoint_kind kind,
                                          const char *name)
{
	for (size_t i = 0; i < p->nendpoints; i++)
		if (p->endpoints[i]->kind == kind && strcmp(p->endpoints[i]->name, name) == 0)
			return p->endpoints[i];
	return NULL;
}
