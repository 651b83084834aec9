/* SPDX-License-Identifier: Apache-2.0 */
/*
 * resolve — references inside configuration strings (see resolve.h).
 *
 * A string is resolved in two steps, as MXCP's refs/resolver.py does:
 *   1. every `${NAME}` (NAME = [A-Za-z0-9_]+) is replaced by the variable's
 *      value in one left-to-right pass (a value is never re-scanned); an
 *      unset variable is an error. `${}` or `${a-b}` are left as written.
 *   2. if the string *as written* starts with "<scheme>://" of a registered
 *      resolver, the whole (expanded) value is handed to that resolver.
 *      The scheme is judged on the written text so that a variable whose
 *      value happens to look like "file://..." is not dereferenced.
 *
 * The resolver table is a small static array: "file" is built in, "vault"
 * and "op" start as stubs that explain they are not configured, and the
 * modules that talk to Vault / 1Password replace them at start-up
 * (mx_resolver_register is not thread-safe; resolving is, as long as the
 * table is not changed meanwhile).
 */
#include "config/resolve.h"

#include "core/alloc.h"
#include "core/buf.h"
#include "core/yaml.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_RESOLVERS 8
#define MAX_SCHEME 16
#define MAX_VALUE ((size_t)1 << 20) /* bound of one resolved value / file:// content */
#define MAX_DEPTH 512

/* ------------------------------------------------------- built-in resolvers */

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* file://path: file:///abs or file://rel (relative to the working directory);
 * the content with leading and trailing whitespace stripped. */
static int resolve_file(void *ctx, const char *ref, char **out, struct mx_err *err)
{
	(void)ctx;
	const char *path = ref + strlen("file://");
	char abs[PATH_MAX + 1];
	struct stat st;
	if (*path == '\0')
		return mx_err_set(err, MX_EINVAL,
		                  "Invalid file URL format: '%s'. Expected format: file://path/to/file", ref);
	if (path[0] == '/') {
		if ((size_t)snprintf(abs, sizeof abs, "%s", path) >= sizeof abs)
			return mx_err_set(err, MX_ELIMIT, "file path is too long: %s", path);
	} else {
		char cwd[PATH_MAX];
		if (getcwd(cwd, sizeof cwd) == NULL)
			return mx_err_set(err, MX_EIO, "cannot read the working directory: %s",
			                  strerror(errno));
		int n = snprintf(abs, sizeof abs, "%s%s%s", cwd, strcmp(cwd, "/") == 0 ? "" : "/", path);
		if (n < 0 || (size_t)n >= sizeof abs)
			return mx_err_set(err, MX_ELIMIT, "file path is too long: %s", path);
	}
	if (stat(abs, &st) != 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return mx_err_set(err, MX_ENOTFOUND, "File not found: %s", abs);
		return mx_err_set(err, MX_EIO, "Error reading file '%s': %s", abs, strerror(errno));
	}
	if (!S_ISREG(st.st_mode))
		return mx_err_set(err, MX_EINVAL, "Path is not a file: %s", abs);

	struct mx_buf b;
	mx_buf_init(&b, MAX_VALUE);
	int rc = mx_buf_read_file(&b, abs);
	if (rc) {
		int saved = errno;
		mx_buf_free(&b);
		if (rc == MX_ELIMIT)
			return mx_err_set(err, rc, "File '%s' is larger than %zu bytes", abs, MAX_VALUE);
		if (rc == MX_ENOMEM)
			return mx_err_set(err, rc, "out of memory");
		return mx_err_set(err, rc, "Error reading file '%s': %s", abs, strerror(saved));
	}
	const char *s = mx_buf_str(&b);
	size_t start = 0, end = b.len;
	while (start < end && is_space(s[start]))
		start++;
	while (end > start && is_space(s[end - 1]))
		end--;
	*out = mx_strndup(s + start, end - start);
	mx_buf_free(&b);
	return *out ? 0 : mx_err_set(err, MX_ENOMEM, "out of memory");
}

/* Stand-in for a scheme whose client is not configured; ctx is the message. */
static int resolve_unconfigured(void *ctx, const char *ref, char **out, struct mx_err *err)
{
	(void)out;
	return mx_err_set(err, MX_EINVAL, "Cannot resolve '%s': %s", ref, (const char *)ctx);
}

/* ------------------------------------------------------------------- table */

struct entry {
	char scheme[MAX_SCHEME];
	int (*resolve)(void *ctx, const char *ref, char **out, struct mx_err *err);
	void *ctx;
};

static char vault_msg[] = "vault:// references need vault.enabled and a Vault client (not configured)";
static char op_msg[] = "op:// references need onepassword.enabled and a 1Password client (not configured)";

static struct entry table[MAX_RESOLVERS] = {
        {"file", resolve_file, NULL},
        {"vault", resolve_unconfigured, vault_msg},
        {"op", resolve_unconfigured, op_msg},
};
static size_t ntable = 3;

int mx_resolver_register(const struct mx_resolver *r)
{
	if (r == NULL || r->scheme == NULL || r->resolve == NULL || r->scheme[0] == '\0' ||
	    strlen(r->scheme) >= MAX_SCHEME || strstr(r->scheme, "://") != NULL)
		return MX_EINVAL;
	struct entry *e = NULL;
	for (size_t i = 0; i < ntable; i++)
		if (strcmp(table[i].scheme, r->scheme) == 0)
			e = &table[i];
	if (e == NULL) {
		if (ntable == MAX_RESOLVERS)
			return MX_ELIMIT;
		e = &table[ntable++];
		snprintf(e->scheme, sizeof e->scheme, "%s", r->scheme);
	}
	e->resolve = r->resolve;
	e->ctx = r->ctx;
	return 0;
}

static const struct entry *find_scheme(const char *s)
{
	for (size_t i = 0; i < ntable; i++) {
		size_t n = strlen(table[i].scheme);
		if (strncmp(s, table[i].scheme, n) == 0 && strncmp(s + n, "://", 3) == 0)
			return &table[i];
	}
	return NULL;
}

/* ------------------------------------------------------------- ${NAME} */

static int is_name_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

/* Length of the "${NAME}" at s, or 0 when s does not start with one. */
static size_t env_ref_len(const char *s)
{
	if (s[0] != '$' || s[1] != '{')
		return 0;
	size_t n = 2;
	while (is_name_char(s[n]))
		n++;
	return n > 2 && s[n] == '}' ? n + 1 : 0;
}

static int expand_env(const char *in, struct mx_buf *b, struct mx_err *err)
{
	const char *run = in; /* start of the literal text not yet copied */
	int rc = 0;
	for (const char *p = in; *p && rc == 0;) {
		size_t n = env_ref_len(p);
		if (n == 0) {
			p++;
			continue;
		}
		rc = mx_buf_append(b, run, (size_t)(p - run));
		char *name = mx_strndup(p + 2, n - 3);
		if (name == NULL)
			return mx_err_set(err, MX_ENOMEM, "out of memory");
		const char *value = getenv(name);
		if (value == NULL) {
			mx_err_set(err, MX_EINVAL, "Environment variable %s is not set", name);
			mx_free(name);
			return MX_EINVAL;
		}
		mx_free(name);
		if (rc == 0)
			rc = mx_buf_puts(b, value);
		p += n;
		run = p;
	}
	if (rc == 0)
		rc = mx_buf_puts(b, run);
	if (rc == MX_ELIMIT)
		return mx_err_set(err, rc, "value is longer than %zu bytes after expansion", MAX_VALUE);
	if (rc)
		return mx_err_set(err, rc, "out of memory");
	return 0;
}

int mx_resolve_is_reference(const char *s)
{
	if (s == NULL)
		return 0;
	if (find_scheme(s) != NULL)
		return 1;
	for (; *s; s++)
		if (env_ref_len(s))
			return 1;
	return 0;
}

int mx_resolve_string(const char *in, char **out, struct mx_err *err)
{
	struct mx_buf b;
	*out = NULL;
	mx_buf_init(&b, MAX_VALUE);
	int rc = expand_env(in, &b, err);
	if (rc) {
		mx_buf_free(&b);
		return rc;
	}
	const struct entry *e = find_scheme(in);
	if (e != NULL) {
		char *value = NULL;
		rc = e->resolve(e->ctx, mx_buf_str(&b), &value, err);
		mx_buf_free(&b);
		if (rc == 0 && value == NULL)
			rc = mx_err_set(err, MX_EINTERNAL, "%s:// resolver returned no value", e->scheme);
		if (rc) {
			mx_free(value);
			return rc;
		}
		*out = value;
		return 0;
	}
	*out = mx_buf_detach(&b);
	return *out ? 0 : mx_err_set(err, MX_ENOMEM, "out of memory");
}

/* ------------------------------------------------------------ JSON trees */

struct walk {
	const char *file;
	struct mx_err *err;
	char path[1024];
};

static int leaf_error(struct walk *w, const struct mx_yaml_node *at, const struct mx_err *cause)
{
	char msg[MX_ERR_MSG_MAX];
	snprintf(msg, sizeof msg, "%s", cause->msg);
	const char *prefix = w->path[0] ? w->path : "";
	const char *sep = w->path[0] ? ": " : "";
	if (at != NULL)
		return mx_err_at(w->err, cause->code, w->file, at->line, at->col, "%s%s%s", prefix, sep, msg);
	if (w->file != NULL && w->file[0] != '\0')
		return mx_err_at(w->err, cause->code, w->file, 0, 0, "%s%s%s", prefix, sep, msg);
	return mx_err_set(w->err, cause->code, "%s%s%s", prefix, sep, msg);
}

static int resolve_leaf(struct walk *w, json_t *v, const struct mx_yaml_node *at)
{
	const char *s = json_string_value(v);
	if (!mx_resolve_is_reference(s))
		return 0;
	struct mx_err cause;
	char *value = NULL;
	mx_err_clear(&cause);
	int rc = mx_resolve_string(s, &value, &cause);
	if (rc == 0 && json_string_setn(v, value, strlen(value)) != 0) {
		cause.code = MX_EINVAL;
		snprintf(cause.msg, sizeof cause.msg, "resolved value is not valid UTF-8");
		rc = MX_EINVAL;
	}
	mx_free(value);
	if (rc) {
		if (cause.code == 0)
			cause.code = rc;
		return leaf_error(w, at, &cause);
	}
	return 0;
}

static int walk(struct walk *w, json_t *v, const struct mx_yaml_node *node, const struct mx_yaml_node *at,
                int depth)
{
	size_t len = strlen(w->path);
	int rc = 0;
	if (node != NULL)
		at = node;
	if (depth > MAX_DEPTH)
		return mx_err_set(w->err, MX_ELIMIT, "%s: nested deeper than %d levels", w->path, MAX_DEPTH);
	if (json_is_string(v))
		return resolve_leaf(w, v, at);
	if (json_is_object(v)) {
		const char *key;
		json_t *child;
		json_object_foreach (v, key, child) {
			const struct mx_yaml_node *cn =
			        node && node->kind == MX_YAML_MAP ? mx_yaml_map_get(node, key) : NULL;
			snprintf(w->path + len, sizeof w->path - len, len ? ".%s" : "%s", key);
			rc = walk(w, child, cn, at, depth + 1);
			w->path[len] = '\0';
			if (rc)
				return rc;
		}
	} else if (json_is_array(v)) {
		size_t i;
		json_t *child;
		json_array_foreach (v, i, child) {
			const struct mx_yaml_node *cn =
			        node && node->kind == MX_YAML_SEQ && i < node->n ? node->items[i] : NULL;
			snprintf(w->path + len, sizeof w->path - len, "[%zu]", i);
			rc = walk(w, child, cn, at, depth + 1);
			w->path[len] = '\0';
			if (rc)
				return rc;
		}
	}
	return 0;
}

int mx_resolve_json_yaml(json_t *tree, const struct mx_yaml_node *node, const char *file, const char *path,
                         struct mx_err *err)
{
	struct walk w = {.file = file, .err = err};
	snprintf(w.path, sizeof w.path, "%s", path ? path : "");
	return tree ? walk(&w, tree, node, node, 0) : 0;
}

int mx_resolve_json(json_t *tree, const char *where, struct mx_err *err)
{
	return mx_resolve_json_yaml(tree, NULL, where, "", err);
}
