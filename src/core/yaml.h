/* SPDX-License-Identifier: Apache-2.0 */
/*
 * yaml — a YAML document as a tree whose every node keeps its file:line:col.
 *
 * Built on libyaml's event parser (the parser under PyYAML's CSafeLoader, so
 * we accept and reject what MXCP does). Scalars stay text; the YAML 1.1 plain
 * scalar resolver of PyYAML (null/bool/int/float/timestamp) is applied on
 * demand by mx_yaml_resolve() and mx_yaml_to_json(). Anchors and aliases are
 * resolved while building (an alias shares its anchor's subtree); merge keys
 * (`<<`) are applied by mx_yaml_to_json and mx_yaml_map_get.
 *
 * A document owns all of its nodes; free it with mx_yaml_free(). Nodes are
 * immutable after load and may be read from any thread.
 */
#ifndef MX_CORE_YAML_H
#define MX_CORE_YAML_H

#include "core/err.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

enum mx_yaml_kind { MX_YAML_SCALAR, MX_YAML_SEQ, MX_YAML_MAP };

struct mx_yaml_node {
	enum mx_yaml_kind kind;
	int line; /* 1-based */
	int col; /* 1-based */
	char *tag; /* explicit tag ("tag:yaml.org,2002:str", "!custom"), or NULL */
	/* scalar */
	char *str;
	size_t len;
	int plain; /* plain style: subject to implicit typing */
	int block; /* literal (|) or folded (>): the text starts on the next line */
	/* sequence: items[0..n); mapping: items[2i] key, items[2i+1] value */
	size_t n;
	struct mx_yaml_node **items;
};

struct mx_yaml_block;

struct mx_yaml_doc {
	char *file; /* as given to the loader, for messages */
	struct mx_yaml_node *root; /* NULL for an empty document */
	size_t nall; /* nodes built (bounded by MX_YAML_MAX_NODES) */
	struct mx_yaml_block *blocks; /* the memory of every node, string and item array */
};

/* Limits against hostile input. */
#define MX_YAML_MAX_DEPTH 256
#define MX_YAML_MAX_NODES 1000000
#define MX_YAML_MAX_BYTES (64u << 20)

int mx_yaml_load_file(const char *path, struct mx_yaml_doc **out, struct mx_err *err);
/* name is used in messages only. */
int mx_yaml_load_string(const char *name, const char *text, size_t len, struct mx_yaml_doc **out,
                        struct mx_err *err);
void mx_yaml_free(struct mx_yaml_doc *doc);

/* Mapping lookup by key text; NULL when absent or not a mapping. */
const struct mx_yaml_node *mx_yaml_map_get(const struct mx_yaml_node *map, const char *key);
/* The key node of a mapping entry, for locating errors on the key itself. */
const struct mx_yaml_node *mx_yaml_map_key(const struct mx_yaml_node *map, const char *key);

enum mx_yaml_type {
	MX_YT_NULL,
	MX_YT_BOOL,
	MX_YT_INT,
	MX_YT_FLOAT,
	MX_YT_STR,
	MX_YT_TIMESTAMP, /* YAML 1.1 timestamp / date (kept as its text) */
	MX_YT_SEQ,
	MX_YT_MAP,
	MX_YT_BIGINT, /* an integer that does not fit int64 (kept as text) */
};

struct mx_yaml_value {
	enum mx_yaml_type type;
	int b;
	int64_t i;
	double d;
};

/* Resolve the node's type the way PyYAML's SafeLoader does. */
enum mx_yaml_type mx_yaml_resolve(const struct mx_yaml_node *n, struct mx_yaml_value *v);
const char *mx_yaml_type_name(enum mx_yaml_type t);

/* Convert a subtree to JSON with PyYAML's typing (timestamps become ISO
 * strings, non-string keys become their text). NULL on allocation failure. */
json_t *mx_yaml_to_json(const struct mx_yaml_node *n);

/* Is node a scalar that resolves to a string (or, with any_scalar, any scalar)? */
int mx_yaml_is_str(const struct mx_yaml_node *n);

#endif

/* ------------------------------------------------- schema-checking helpers
 * Shared by every loader (site, user config, endpoints, types) so that all
 * config errors read alike: "<file>:<line>:<col>: <dotted.path>: <problem>".
 * `path` is the dotted path of the node being read (e.g. "profiles.dev.duckdb");
 * child paths are formed as path + "." + key (or key alone when path is "").
 */

/* Every key of map must be in allowed (NULL-terminated). The first unknown
 * key is reported: "<path>.<key>: unknown key (expected one of: a, b, c)". */
int mx_yaml_check_keys(const char *file, const struct mx_yaml_node *map, const char *path,
                       const char *const *allowed, struct mx_err *err);

/* Require node to be a mapping / sequence: "<path>: expected a mapping, got <type>". */
int mx_yaml_expect_map(const char *file, const struct mx_yaml_node *n, const char *path, struct mx_err *err);
int mx_yaml_expect_seq(const char *file, const struct mx_yaml_node *n, const char *path, struct mx_err *err);

/*
 * Typed getters on map[key]. When the key is absent (or null, for optional
 * values) *out is left as it was and 0 is returned; with `required` an absent
 * key is "<path>.<key>: field required" located at the map. A wrong type is
 * "<path>.<key>: expected a string, got integer" located at the value.
 * Strings must be string scalars (pydantic v2 does not coerce 1 to "1").
 * get_str replaces *out (mx_free'ing an old value) with a new string.
 */
int mx_yaml_get_str(const char *file, const struct mx_yaml_node *map, const char *path, const char *key,
                    int required, char **out, struct mx_err *err);
int mx_yaml_get_bool(const char *file, const struct mx_yaml_node *map, const char *path, const char *key,
                     int *out, struct mx_err *err);
int mx_yaml_get_int(const char *file, const struct mx_yaml_node *map, const char *path, const char *key,
                    int64_t *out, struct mx_err *err);
int mx_yaml_get_num(const char *file, const struct mx_yaml_node *map, const char *path, const char *key,
                    int *present, double *out, struct mx_err *err);

/* Write a JSON value as a block-style YAML document the way PyYAML's
 * safe_dump writes it (keys sorted, sequences under a key not indented,
 * strings plain unless they would read back as something else or need
 * quoting, then single-quoted; control characters double-quoted), without
 * PyYAML's folding of long lines. */
struct mx_buf;
int mx_yaml_dump(struct mx_buf *b, const json_t *v);

/* Join a dotted path: "a.b" + "c" -> "a.b.c"; "" + "c" -> "c"; index form "a[2]". */
void mx_yaml_path(char *out, size_t outsz, const char *path, const char *key);
void mx_yaml_path_index(char *out, size_t outsz, const char *path, size_t index);
