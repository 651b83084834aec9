/* SPDX-License-Identifier: Apache-2.0 */
/*
 * resolve — references inside configuration strings.
 *
 * `${NAME}` anywhere in a string (error when unset), and whole-value
 * references by scheme: `file://path` (file content, whitespace-stripped;
 * relative to the working directory), `vault://path#key`, `op://vault/item/field`.
 * Each scheme is a struct mx_resolver (a table of function pointers);
 * vault and op are registered by the modules that talk to those services,
 * and until then a reference to them is a clear error.
 */
#ifndef MX_CONFIG_RESOLVE_H
#define MX_CONFIG_RESOLVE_H

#include "core/err.h"

#include <jansson.h>

struct mx_resolver {
	const char *scheme; /* "file", "vault", "op" (without "://") */
	/* Resolve a whole reference (e.g. "vault://secret/db#password") into a new
	 * mx_malloc'd string. */
	int (*resolve)(void *ctx, const char *ref, char **out, struct mx_err *err);
	void *ctx;
};

/* Register (or replace) the resolver of a scheme. Not thread-safe: call at start-up. */
int mx_resolver_register(const struct mx_resolver *r);

/* Interpolate one string: ${VAR} expansion, then a whole-value scheme reference. */
int mx_resolve_string(const char *in, char **out, struct mx_err *err);

/* Interpolate every string leaf of a JSON tree in place. `where` names the
 * tree in messages (e.g. a file name). */
int mx_resolve_json(json_t *tree, const char *where, struct mx_err *err);

struct mx_yaml_node;

/* As mx_resolve_json, for a tree made from the YAML `node` of `file` (by
 * mx_yaml_to_json): a failure is located at the string's file:line:col and
 * names its dotted path, prefixed by `path` ("" at the document root). */
int mx_resolve_json_yaml(json_t *tree, const struct mx_yaml_node *node, const char *file, const char *path,
                         struct mx_err *err);

/* Does s hold a reference mx_resolve_string would replace (a ${NAME}, or a
 * registered scheme's prefix)? */
int mx_resolve_is_reference(const char *s);

#endif
