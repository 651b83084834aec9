/* SPDX-License-Identifier: Apache-2.0 */
/*
 * yaml — see yaml.h. The tree is built from libyaml events by a recursive
 * descent bounded by MX_YAML_MAX_DEPTH; aliases point at the anchored node
 * (no copy), and the count of nodes reached through aliases is bounded too,
 * so a "billion laughs" document fails instead of exhausting memory.
 *
 * A document's nodes, strings and item arrays are carved from blocks it
 * owns (the document's one lifetime), freed together by mx_yaml_free: a
 * project load builds and frees one tree per endpoint file.
 */
#include "core/yaml.h"

#include "core/alloc.h"
#include "core/buf.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

/* ------------------------------------------------------------------ build */

/* A block of the document's memory; `data` is carved front to back. */
struct mx_yaml_block {
	struct mx_yaml_block *next;
	size_t used, cap;
	max_align_t data[];
};

#define BLOCK_MIN 8192

/* n bytes, zeroed, from d's blocks (a request past BLOCK_MIN gets a block
 * of its own). NULL when out of memory. */
static void *doc_alloc(struct mx_yaml_doc *d, size_t n)
{
	n = (n + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
	struct mx_yaml_block *b = d->blocks;
	if (b == NULL || b->cap - b->used < n) {
		size_t cap = n > BLOCK_MIN ? n : BLOCK_MIN;
		struct mx_yaml_block *nb = mx_malloc(sizeof *nb + cap);
		if (nb == NULL)
			return NULL;
		nb->used = 0;
		nb->cap = cap;
		if (b != NULL && n > BLOCK_MIN) { /* keep carving the current block */
			nb->next = b->next;
			b->next = nb;
		} else {
			nb->next = b;
			d->blocks = nb;
		}
		b = nb;
	}
	void *p = (char *)b->data + b->used;
	b->used += n;
	memset(p, 0, n);
	return p;
}

static char *doc_strndup(struct mx_yaml_doc *d, const char *s, size_t n)
{
	char *p = doc_alloc(d, n + 1);
	if (p != NULL)
		memcpy(p, s, n);
	return p;
}

struct anchor {
	char *name;
	struct mx_yaml_node *node;
	int open; /* its collection is still being built: an alias to it would be a cycle */
};

struct builder {
	yaml_parser_t parser;
	struct mx_yaml_doc *doc;
	struct anchor *anchors;
	size_t nanchors, capanchors;
	size_t alias_weight; /* nodes reachable through aliases */
	struct mx_err *err;
};

static size_t subtree_size(const struct mx_yaml_node *n, size_t cap)
{
	size_t total = 1;
	if (n->kind != MX_YAML_SCALAR) {
		size_t count = n->kind == MX_YAML_MAP ? 2 * n->n : n->n;
		for (size_t i = 0; i < count && total < cap; i++)
			total += subtree_size(n->items[i], cap - total);
	}
	return total;
}

static struct mx_yaml_node *new_node(struct builder *b, enum mx_yaml_kind kind, yaml_mark_t mark,
                                     const yaml_char_t *tag)
{
	struct mx_yaml_doc *d = b->doc;
	if (d->nall >= MX_YAML_MAX_NODES) {
		mx_err_at(b->err, MX_ELIMIT, d->file, (int)mark.line + 1, (int)mark.column + 1,
		          "document has more than %d nodes", MX_YAML_MAX_NODES);
		return NULL;
	}
	struct mx_yaml_node *n = doc_alloc(d, sizeof *n);
	if (n == NULL)
		goto oom;
	n->kind = kind;
	n->line = (int)mark.line + 1;
	n->col = (int)mark.column + 1;
	if (tag != NULL && (n->tag = doc_strndup(d, (const char *)tag, strlen((const char *)tag))) == NULL)
		goto oom;
	d->nall++;
	return n;
oom:
	mx_err_set(b->err, MX_ENOMEM, "out of memory");
	return NULL;
}

/* Append child to items, which starts as the caller's `local` array. */
static int push_item(struct builder *b, struct mx_yaml_node ***items, size_t *len, size_t *cap,
                     struct mx_yaml_node **local, struct mx_yaml_node *child)
{
	if (*len == *cap) {
		size_t ncap = *cap * 2;
		struct mx_yaml_node **p = mx_realloc(*items == local ? NULL : *items, ncap * sizeof *p);
		if (p == NULL)
			return mx_err_set(b->err, MX_ENOMEM, "out of memory");
		if (*items == local)
			memcpy(p, local, *len * sizeof *p);
		*items = p;
		*cap = ncap;
	}
	(*items)[(*len)++] = child;
	return 0;
}

static int parser_error(struct builder *b)
{
	yaml_parser_t *p = &b->parser;
	const char *problem = p->problem ? p->problem : "invalid YAML";
	if (p->context != NULL)
		return mx_err_at(b->err, MX_EINVAL, b->doc->file, (int)p->problem_mark.line + 1,
		                 (int)p->problem_mark.column + 1, "%s (%s at line %d, column %d)", problem,
		                 p->context, (int)p->context_mark.line + 1, (int)p->context_mark.column + 1);
	return mx_err_at(b->err, MX_EINVAL, b->doc->file, (int)p->problem_mark.line + 1,
	                 (int)p->problem_mark.column + 1, "%s", problem);
}

static int register_anchor(struct builder *b, const yaml_char_t *name, struct mx_yaml_node *n)
{
	if (name == NULL)
		return 0;
	if (b->nanchors == b->capanchors) {
		size_t cap = b->capanchors ? b->capanchors * 2 : 8;
		struct anchor *a = mx_realloc(b->anchors, cap * sizeof *a);
		if (a == NULL)
			return mx_err_set(b->err, MX_ENOMEM, "out of memory");
		b->anchors = a;
		b->capanchors = cap;
	}
	char *copy = mx_strdup((const char *)name);
	if (copy == NULL)
		return mx_err_set(b->err, MX_ENOMEM, "out of memory");
	b->anchors[b->nanchors].name = copy;
	b->anchors[b->nanchors].node = n;
	b->anchors[b->nanchors].open = n->kind != MX_YAML_SCALAR;
	b->nanchors++;
	return 0;
}

static void close_anchor(struct builder *b, const struct mx_yaml_node *n)
{
	for (size_t i = b->nanchors; i-- > 0;)
		if (b->anchors[i].node == n)
			b->anchors[i].open = 0;
}

static int build_node(struct builder *b, yaml_event_t *ev, int depth, struct mx_yaml_node **out);

/* Parse children until the closing event of a sequence or mapping. They
 * gather on the stack (or the heap past 32), then move to the document. */
static int build_children(struct builder *b, struct mx_yaml_node *n, yaml_event_type_t end, int depth)
{
	struct mx_yaml_node *local[32];
	size_t len = 0, cap = sizeof local / sizeof *local;
	struct mx_yaml_node **items = local;
	int rc = 0;
	for (;;) {
		yaml_event_t ev;
		if (!yaml_parser_parse(&b->parser, &ev)) {
			rc = parser_error(b);
			break;
		}
		if (ev.type == end) {
			yaml_event_delete(&ev);
			break;
		}
		struct mx_yaml_node *child = NULL;
		rc = build_node(b, &ev, depth + 1, &child);
		yaml_event_delete(&ev);
		if (rc == 0)
			rc = push_item(b, &items, &len, &cap, local, child);
		if (rc)
			break;
	}
	if (rc == 0 && len > 0) {
		if ((n->items = doc_alloc(b->doc, len * sizeof *items)) == NULL)
			rc = mx_err_set(b->err, MX_ENOMEM, "out of memory");
		else
			memcpy(n->items, items, len * sizeof *items);
	}
	if (items != local)
		mx_free(items);
	n->n = n->kind == MX_YAML_MAP ? len / 2 : len;
	return rc;
}

static int build_node(struct builder *b, yaml_event_t *ev, int depth, struct mx_yaml_node **out)
{
	struct mx_yaml_node *n;
	int rc;
	if (depth > MX_YAML_MAX_DEPTH)
		return mx_err_at(b->err, MX_ELIMIT, b->doc->file, (int)ev->start_mark.line + 1,
		                 (int)ev->start_mark.column + 1, "nesting deeper than %d levels",
		                 MX_YAML_MAX_DEPTH);
	switch (ev->type) {
	case YAML_ALIAS_EVENT:
		for (size_t i = b->nanchors; i-- > 0;) {
			if (strcmp(b->anchors[i].name, (const char *)ev->data.alias.anchor) == 0) {
				if (b->anchors[i].open) /* PyYAML builds such cycles; JSON cannot hold them */
					return mx_err_at(
					        b->err, MX_EINVAL, b->doc->file, (int)ev->start_mark.line + 1,
					        (int)ev->start_mark.column + 1,
					        "recursive alias '*%s': a node cannot contain itself",
					        (const char *)ev->data.alias.anchor);
				b->alias_weight += subtree_size(b->anchors[i].node, MX_YAML_MAX_NODES);
				if (b->alias_weight > MX_YAML_MAX_NODES)
					return mx_err_at(
					        b->err, MX_ELIMIT, b->doc->file, (int)ev->start_mark.line + 1,
					        (int)ev->start_mark.column + 1,
					        "aliases expand to more than %d nodes", MX_YAML_MAX_NODES);
				*out = b->anchors[i].node;
				return 0;
			}
		}
		return mx_err_at(b->err, MX_EINVAL, b->doc->file, (int)ev->start_mark.line + 1,
		                 (int)ev->start_mark.column + 1, "found undefined alias '%s'",
		                 (const char *)ev->data.alias.anchor);
	case YAML_SCALAR_EVENT:
		n = new_node(b, MX_YAML_SCALAR, ev->start_mark, ev->data.scalar.tag);
		if (n == NULL)
			return b->err ? b->err->code : MX_ENOMEM;
		n->str = doc_strndup(b->doc, (const char *)ev->data.scalar.value, ev->data.scalar.length);
		if (n->str == NULL)
			return mx_err_set(b->err, MX_ENOMEM, "out of memory");
		n->len = ev->data.scalar.length;
		n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && ev->data.scalar.tag == NULL;
		n->block = ev->data.scalar.style == YAML_LITERAL_SCALAR_STYLE ||
		           ev->data.scalar.style == YAML_FOLDED_SCALAR_STYLE;
		*out = n;
		return register_anchor(b, ev->data.scalar.anchor, n);
	case YAML_SEQUENCE_START_EVENT:
		n = new_node(b, MX_YAML_SEQ, ev->start_mark, ev->data.sequence_start.tag);
		if (n == NULL)
			return b->err ? b->err->code : MX_ENOMEM;
		if (register_anchor(b, ev->data.sequence_start.anchor, n))
			return MX_ENOMEM;
		*out = n;
		if ((rc = build_children(b, n, YAML_SEQUENCE_END_EVENT, depth)) != 0)
			return rc;
		close_anchor(b, n);
		return 0;
	case YAML_MAPPING_START_EVENT:
		n = new_node(b, MX_YAML_MAP, ev->start_mark, ev->data.mapping_start.tag);
		if (n == NULL)
			return b->err ? b->err->code : MX_ENOMEM;
		if (register_anchor(b, ev->data.mapping_start.anchor, n))
			return MX_ENOMEM;
		*out = n;
		if ((rc = build_children(b, n, YAML_MAPPING_END_EVENT, depth)) != 0)
			return rc;
		close_anchor(b, n);
		return 0;
	default:
		return mx_err_at(b->err, MX_EINVAL, b->doc->file, (int)ev->start_mark.line + 1,
		                 (int)ev->start_mark.column + 1, "unexpected YAML event");
	}
}

int mx_yaml_load_string(const char *name, const char *text, size_t len, struct mx_yaml_doc **out,
                        struct mx_err *err)
{
	*out = NULL;
	if (len > MX_YAML_MAX_BYTES)
		return mx_err_at(err, MX_ELIMIT, name, 0, 0, "file is larger than %u bytes",
		                 MX_YAML_MAX_BYTES);
	struct mx_yaml_doc *doc = mx_calloc(1, sizeof *doc);
	if (doc == NULL || (doc->file = mx_strdup(name)) == NULL) {
		mx_free(doc);
		return mx_err_set(err, MX_ENOMEM, "out of memory");
	}
	struct builder b = {.doc = doc, .err = err};
	if (!yaml_parser_initialize(&b.parser)) {
		mx_yaml_free(doc);
		return mx_err_set(err, MX_ENOMEM, "out of memory");
	}
	yaml_parser_set_input_string(&b.parser, (const unsigned char *)text, len);
	yaml_parser_set_encoding(&b.parser, YAML_UTF8_ENCODING);

	int rc = 0, ndocs = 0;
	for (;;) {
		yaml_event_t ev;
		if (!yaml_parser_parse(&b.parser, &ev)) {
			rc = parser_error(&b);
			break;
		}
		yaml_event_type_t t = ev.type;
		if (t == YAML_STREAM_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		if (t == YAML_DOCUMENT_START_EVENT) {
			if (++ndocs > 1) {
				rc = mx_err_at(err, MX_EINVAL, name, (int)ev.start_mark.line + 1,
				               (int)ev.start_mark.column + 1,
				               "expected a single document in the stream, but found another "
				               "document");
				yaml_event_delete(&ev);
				break;
			}
		} else if (t == YAML_SCALAR_EVENT || t == YAML_SEQUENCE_START_EVENT ||
		           t == YAML_MAPPING_START_EVENT || t == YAML_ALIAS_EVENT) {
			rc = build_node(&b, &ev, 0, &doc->root);
			if (rc == 0 && doc->root->kind == MX_YAML_SCALAR && doc->root->plain &&
			    doc->root->len == 0)
				doc->root = NULL; /* an empty document */
		}
		yaml_event_delete(&ev);
		if (rc)
			break;
	}
	yaml_parser_delete(&b.parser);
	for (size_t i = 0; i < b.nanchors; i++)
		mx_free(b.anchors[i].name);
	mx_free(b.anchors);
	if (rc) {
		mx_yaml_free(doc);
		return rc;
	}
	*out = doc;
	return 0;
}

int mx_yaml_load_file(const char *path, struct mx_yaml_doc **out, struct mx_err *err)
{
	struct mx_buf b;
	mx_buf_init(&b, MX_YAML_MAX_BYTES);
	int rc = mx_buf_read_file(&b, path);
	if (rc) {
		mx_buf_free(&b);
		*out = NULL;
		if (rc == MX_ENOTFOUND)
			return mx_err_at(err, rc, path, 0, 0, "file not found");
		if (rc == MX_ELIMIT)
			return mx_err_at(err, rc, path, 0, 0, "file is larger than %u bytes",
			                 MX_YAML_MAX_BYTES);
		return mx_err_at(err, rc, path, 0, 0, "cannot read file: %s", strerror(errno));
	}
	rc = mx_yaml_load_string(path, mx_buf_str(&b), b.len, out, err);
	mx_buf_free(&b);
	return rc;
}

void mx_yaml_free(struct mx_yaml_doc *doc)
{
	if (doc == NULL)
		return;
	for (struct mx_yaml_block *b = doc->blocks, *next; b; b = next) {
		next = b->next;
		mx_free(b);
	}
	mx_free(doc->file);
	mx_free(doc);
}

/* ------------------------------------------------------------------ query */

static int is_merge_key(const struct mx_yaml_node *k)
{
	return k->kind == MX_YAML_SCALAR && k->plain && k->len == 2 && memcmp(k->str, "<<", 2) == 0;
}

static const struct mx_yaml_node *map_find(const struct mx_yaml_node *map, const char *key, int want_key,
                                           int depth)
{
	if (map == NULL || map->kind != MX_YAML_MAP || depth > 16)
		return NULL;
	size_t klen = strlen(key);
	/* later keys win, as in PyYAML */
	for (size_t i = map->n; i-- > 0;) {
		const struct mx_yaml_node *k = map->items[2 * i];
		if (k->kind == MX_YAML_SCALAR && k->len == klen && memcmp(k->str, key, klen) == 0 &&
		    !is_merge_key(k))
			return want_key ? k : map->items[2 * i + 1];
	}
	for (size_t i = 0; i < map->n; i++) {
		if (!is_merge_key(map->items[2 * i]))
			continue;
		const struct mx_yaml_node *v = map->items[2 * i + 1];
		if (v->kind == MX_YAML_MAP)
			return map_find(v, key, want_key, depth + 1);
		if (v->kind == MX_YAML_SEQ) {
			for (size_t j = 0; j < v->n; j++) {
				const struct mx_yaml_node *r =
				        map_find(v->items[j], key, want_key, depth + 1);
				if (r)
					return r;
			}
		}
	}
	return NULL;
}

const struct mx_yaml_node *mx_yaml_map_get(const struct mx_yaml_node *map, const char *key)
{
	return map_find(map, key, 0, 0);
}

const struct mx_yaml_node *mx_yaml_map_key(const struct mx_yaml_node *map, const char *key)
{
	return map_find(map, key, 1, 0);
}

/* ------------------------------------------------------- YAML 1.1 resolver */

static int eq_any(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(s, *list) == 0)
			return 1;
	return 0;
}

static int all_chars(const char *s, const char *set)
{
	if (*s == '\0')
		return 0;
	for (; *s; s++)
		if (!strchr(set, *s))
			return 0;
	return 1;
}

/* Remove '_' separators into out. */
static void strip_underscores(const char *s, char *out, size_t outsz)
{
	size_t j = 0;
	for (; *s && j + 1 < outsz; s++)
		if (*s != '_')
			out[j++] = *s;
	out[j] = '\0';
}

static int resolve_int(const char *s, struct mx_yaml_value *v)
{
	char buf[128];
	const char *p = s;
	int neg = 0;
	if (strlen(s) >= sizeof buf)
		return 0;
	if (*p == '+' || *p == '-')
		neg = *p++ == '-';
	if (*p == '\0')
		return 0;
	int base;
	const char *digits;
	if (p[0] == '0' && p[1] == 'b') {
		base = 2;
		digits = p + 2;
		if (!all_chars(digits, "01_"))
			return 0;
	} else if (p[0] == '0' && p[1] == 'x') {
		base = 16;
		digits = p + 2;
		if (!all_chars(digits, "0123456789abcdefABCDEF_"))
			return 0;
	} else if (p[0] == '0' && p[1] != '\0') {
		base = 8;
		digits = p + 1;
		if (!all_chars(digits, "01234567_"))
			return 0;
	} else if (p[0] == '0') {
		v->type = MX_YT_INT;
		v->i = 0;
		return 1;
	} else if (p[0] >= '1' && p[0] <= '9') {
		base = 10;
		digits = p;
		if (!all_chars(digits, "0123456789_")) {
			/* sexagesimal 1:30 */
			if (!all_chars(digits, "0123456789_:"))
				return 0;
			int64_t acc = 0;
			const char *q = digits;
			while (*q) {
				char part[32];
				size_t k = 0;
				while (*q && *q != ':' && k + 1 < sizeof part)
					if (*q++ != '_')
						part[k++] = q[-1];
				part[k] = '\0';
				if (*q == ':')
					q++;
				if (k == 0)
					return 0;
				long long digit = strtoll(part, NULL, 10);
				if (digit == LLONG_MAX || acc > (INT64_MAX - digit) / 60) {
					v->type = MX_YT_BIGINT;
					return 1;
				}
				acc = acc * 60 + digit;
			}
			v->type = MX_YT_INT;
			v->i = neg ? -acc : acc;
			return 1;
		}
	} else {
		return 0;
	}
	strip_underscores(digits, buf, sizeof buf);
	if (buf[0] == '\0')
		return 0;
	errno = 0;
	unsigned long long u = strtoull(buf, NULL, base);
	if (errno == ERANGE || u > (unsigned long long)INT64_MAX + (neg ? 1u : 0u)) {
		v->type = MX_YT_BIGINT;
		return 1;
	}
	v->type = MX_YT_INT;
	v->i = neg ? (int64_t)(0 - u) : (int64_t)u;
	return 1;
}

static int resolve_float(const char *s, struct mx_yaml_value *v)
{
	static const char *const inf[] = {".inf", ".Inf", ".INF", NULL};
	static const char *const nan_[] = {".nan", ".NaN", ".NAN", NULL};
	const char *p = s;
	int neg = 0;
	if (*p == '+' || *p == '-')
		neg = *p++ == '-';
	if (eq_any(p, inf)) {
		v->type = MX_YT_FLOAT;
		v->d = neg ? -INFINITY : INFINITY;
		return 1;
	}
	if (p == s && eq_any(p, nan_)) {
		v->type = MX_YT_FLOAT;
		v->d = NAN;
		return 1;
	}
	/* [0-9][0-9_]*\.[0-9_]*([eE][-+][0-9]+)?  |  \.[0-9_]+([eE][-+][0-9]+)? */
	const char *q = p;
	if (isdigit((unsigned char)*q)) {
		while (isdigit((unsigned char)*q) || *q == '_')
			q++;
		if (*q != '.')
			return 0;
		q++;
		while (isdigit((unsigned char)*q) || *q == '_')
			q++;
	} else if (*q == '.' && p == s) {
		q++;
		if (!isdigit((unsigned char)*q) && *q != '_')
			return 0;
		while (isdigit((unsigned char)*q) || *q == '_')
			q++;
	} else {
		return 0;
	}
	if (*q == 'e' || *q == 'E') {
		q++;
		if (*q != '+' && *q != '-')
			return 0;
		q++;
		if (!isdigit((unsigned char)*q))
			return 0;
		while (isdigit((unsigned char)*q))
			q++;
	}
	if (*q != '\0')
		return 0;
	char buf[256];
	if (strlen(s) >= sizeof buf)
		return 0;
	strip_underscores(s, buf, sizeof buf);
	v->type = MX_YT_FLOAT;
	v->d = strtod(buf, NULL);
	return 1;
}

static int resolve_timestamp(const char *s)
{
	/* [0-9]{4}-[0-9]{2}-[0-9]{2}  or  with time part (PyYAML's regex, simplified
	 * to the same acceptance for the common forms). */
	size_t n = strlen(s);
	if (n < 8)
		return 0;
	int i = 0;
	for (; i < 4; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	if (s[4] != '-')
		return 0;
	const char *p = s + 5;
	int k = 0;
	while (isdigit((unsigned char)p[k]))
		k++;
	if (k < 1 || k > 2 || p[k] != '-')
		return 0;
	p += k + 1;
	k = 0;
	while (isdigit((unsigned char)p[k]))
		k++;
	if (k < 1 || k > 2)
		return 0;
	p += k;
	if (*p == '\0')
		return n == 10; /* date form needs exactly YYYY-MM-DD */
	if (*p != 'T' && *p != 't' && *p != ' ' && *p != '\t')
		return 0;
	while (*p == ' ' || *p == '\t' || *p == 'T' || *p == 't')
		p++;
	k = 0;
	while (isdigit((unsigned char)p[k]))
		k++;
	if (k < 1 || k > 2 || p[k] != ':')
		return 0;
	return 1;
}

enum mx_yaml_type mx_yaml_resolve(const struct mx_yaml_node *n, struct mx_yaml_value *v)
{
	static const char *const nulls[] = {"~", "null", "Null", "NULL", "", NULL};
	static const char *const trues[] = {"yes",  "Yes", "YES", "true", "True",
	                                    "TRUE", "on",  "On",  "ON",   NULL};
	static const char *const falses[] = {"no",    "No",  "NO",  "false", "False",
	                                     "FALSE", "off", "Off", "OFF",   NULL};
	struct mx_yaml_value tmp;
	if (v == NULL)
		v = &tmp;
	memset(v, 0, sizeof *v);
	if (n == NULL) {
		v->type = MX_YT_NULL;
		return v->type;
	}
	if (n->kind == MX_YAML_SEQ)
		return v->type = MX_YT_SEQ;
	if (n->kind == MX_YAML_MAP)
		return v->type = MX_YT_MAP;
	if (n->tag != NULL) {
		const char *t = n->tag;
		if (!strcmp(t, "tag:yaml.org,2002:str"))
			return v->type = MX_YT_STR;
		if (!strcmp(t, "tag:yaml.org,2002:null"))
			return v->type = MX_YT_NULL;
		if (!strcmp(t, "tag:yaml.org,2002:bool") &&
		    (eq_any(n->str, trues) || eq_any(n->str, falses))) {
			v->b = eq_any(n->str, trues);
			return v->type = MX_YT_BOOL;
		}
		if (!strcmp(t, "tag:yaml.org,2002:int") && resolve_int(n->str, v))
			return v->type;
		if (!strcmp(t, "tag:yaml.org,2002:float") &&
		    (resolve_float(n->str, v) || resolve_int(n->str, v))) {
			if (v->type == MX_YT_INT) {
				v->d = (double)v->i;
				v->type = MX_YT_FLOAT;
			}
			return v->type;
		}
		return v->type = MX_YT_STR;
	}
	if (!n->plain)
		return v->type = MX_YT_STR;
	const char *s = n->str;
	/* Fast path: every null, bool, number and timestamp starts with one of
	 * these characters; anything else is a string. */
	if (s[0] != '\0' && strchr("yYnNtTfFoO~0123456789+-.", s[0]) == NULL)
		return v->type = MX_YT_STR;
	if (eq_any(s, nulls))
		return v->type = MX_YT_NULL;
	if (eq_any(s, trues)) {
		v->b = 1;
		return v->type = MX_YT_BOOL;
	}
	if (eq_any(s, falses)) {
		v->b = 0;
		return v->type = MX_YT_BOOL;
	}
	if (resolve_int(s, v))
		return v->type;
	memset(v, 0, sizeof *v);
	if (resolve_float(s, v))
		return v->type;
	memset(v, 0, sizeof *v);
	if (resolve_timestamp(s))
		return v->type = MX_YT_TIMESTAMP;
	return v->type = MX_YT_STR;
}

const char *mx_yaml_type_name(enum mx_yaml_type t)
{
	switch (t) {
	case MX_YT_NULL: return "null";
	case MX_YT_BOOL: return "boolean";
	case MX_YT_INT:
	case MX_YT_BIGINT: return "integer";
	case MX_YT_FLOAT: return "number";
	case MX_YT_STR: return "string";
	case MX_YT_TIMESTAMP: return "timestamp";
	case MX_YT_SEQ: return "list";
	case MX_YT_MAP: return "mapping";
	}
	return "?";
}

int mx_yaml_is_str(const struct mx_yaml_node *n)
{
	return n != NULL && n->kind == MX_YAML_SCALAR && mx_yaml_resolve(n, NULL) == MX_YT_STR;
}

/* ---------------------------------------------------------------- to JSON */

static json_t *timestamp_to_json(const char *s)
{
	/* Dates stay YYYY-MM-DD; date-times become ISO 8601 with 'T'. */
	char buf[64];
	size_t n = strlen(s);
	if (n >= sizeof buf)
		return json_string(s);
	size_t j = 0;
	int seen_sep = 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!seen_sep && i >= 8 && (c == ' ' || c == '\t' || c == 't' || c == 'T')) {
			while (i + 1 < n && (s[i + 1] == ' ' || s[i + 1] == '\t'))
				i++;
			buf[j++] = 'T';
			seen_sep = 1;
			continue;
		}
		if (seen_sep && (c == ' ' || c == '\t'))
			continue;
		buf[j++] = c;
	}
	buf[j] = '\0';
	return json_string(buf);
}

static json_t *to_json(const struct mx_yaml_node *n, int depth)
{
	if (n == NULL)
		return json_null();
	if (depth > MX_YAML_MAX_DEPTH)
		return NULL;
	struct mx_yaml_value v;
	switch (mx_yaml_resolve(n, &v)) {
	case MX_YT_NULL: return json_null();
	case MX_YT_BOOL: return json_boolean(v.b);
	case MX_YT_INT: return json_integer((json_int_t)v.i);
	case MX_YT_BIGINT: return json_real(strtod(n->str, NULL));
	case MX_YT_FLOAT: return isfinite(v.d) ? json_real(v.d) : json_null(); /* JSON has no inf/nan */
	case MX_YT_STR: return json_stringn(n->str, n->len);
	case MX_YT_TIMESTAMP: return timestamp_to_json(n->str);
	case MX_YT_SEQ: {
		json_t *a = json_array();
		for (size_t i = 0; a && i < n->n; i++) {
			json_t *item = to_json(n->items[i], depth + 1);
			if (item == NULL || json_array_append_new(a, item)) {
				json_decref(a);
				return NULL;
			}
		}
		return a;
	}
	case MX_YT_MAP: {
		json_t *o = json_object();
		if (o == NULL)
			return NULL;
		/* merge keys first, so explicit keys override them */
		for (size_t i = 0; i < n->n; i++) {
			if (!is_merge_key(n->items[2 * i]))
				continue;
			const struct mx_yaml_node *mv = n->items[2 * i + 1];
			size_t cnt = mv->kind == MX_YAML_SEQ ? mv->n : 1;
			for (size_t j = cnt; j-- > 0;) {
				const struct mx_yaml_node *src = mv->kind == MX_YAML_SEQ ? mv->items[j] : mv;
				json_t *m = to_json(src, depth + 1);
				if (m == NULL) {
					json_decref(o);
					return NULL;
				}
				if (json_is_object(m) && json_object_update(o, m)) {
					json_decref(m);
					json_decref(o);
					return NULL;
				}
				json_decref(m);
			}
		}
		for (size_t i = 0; i < n->n; i++) {
			const struct mx_yaml_node *k = n->items[2 * i];
			if (is_merge_key(k))
				continue;
			json_t *val = to_json(n->items[2 * i + 1], depth + 1);
			if (val == NULL) {
				json_decref(o);
				return NULL;
			}
			const char *key = k->kind == MX_YAML_SCALAR ? k->str : "";
			if (k->kind == MX_YAML_SCALAR && mx_yaml_resolve(k, NULL) == MX_YT_NULL)
				key = "null";
			if (json_object_setn_new(o, key, k->kind == MX_YAML_SCALAR ? strlen(key) : 0, val)) {
				json_decref(o);
				return NULL;
			}
		}
		return o;
	}
	}
	return NULL;
}

json_t *mx_yaml_to_json(const struct mx_yaml_node *n)
{
	return to_json(n, 0);
}

/* ------------------------------------------------- schema-checking helpers */

void mx_yaml_path(char *out, size_t outsz, const char *path, const char *key)
{
	if (path == NULL || *path == '\0')
		snprintf(out, outsz, "%s", key);
	else
		snprintf(out, outsz, "%s.%s", path, key);
}

void mx_yaml_path_index(char *out, size_t outsz, const char *path, size_t index)
{
	snprintf(out, outsz, "%s[%zu]", path ? path : "", index);
}

static const char *node_type_name(const struct mx_yaml_node *n)
{
	return mx_yaml_type_name(mx_yaml_resolve(n, NULL));
}

int mx_yaml_check_keys(const char *file, const struct mx_yaml_node *map, const char *path,
                       const char *const *allowed, struct mx_err *err)
{
	if (map == NULL || map->kind != MX_YAML_MAP)
		return 0;
	for (size_t i = 0; i < map->n; i++) {
		const struct mx_yaml_node *k = map->items[2 * i];
		if (is_merge_key(k))
			continue;
		const char *key = k->kind == MX_YAML_SCALAR ? k->str : "?";
		int ok = 0;
		for (const char *const *a = allowed; *a && !ok; a++)
			ok = strcmp(*a, key) == 0;
		if (ok)
			continue;
		struct mx_buf list;
		mx_buf_init(&list, 4096);
		for (const char *const *a = allowed; *a; a++)
			mx_buf_printf(&list, "%s%s", a == allowed ? "" : ", ", *a);
		char p[1024];
		mx_yaml_path(p, sizeof p, path, key);
		mx_err_at(err, MX_EINVAL, file, k->line, k->col, "%s: unknown key (expected one of: %s)", p,
		          mx_buf_str(&list));
		mx_buf_free(&list);
		return MX_EINVAL;
	}
	return 0;
}

int mx_yaml_expect_map(const char *file, const struct mx_yaml_node *n, const char *path, struct mx_err *err)
{
	if (n != NULL && n->kind == MX_YAML_MAP)
		return 0;
	return mx_err_at(err, MX_EINVAL, file, n ? n->line : 1, n ? n->col : 1,
	                 "%s: expected a mapping, got %s", path && *path ? path : "document",
	                 n ? node_type_name(n) : "nothing");
}

int mx_yaml_expect_seq(const char *file, const struct mx_yaml_node *n, const char *path, struct mx_err *err)
{
	if (n != NULL && n->kind == MX_YAML_SEQ)
		return 0;
	return mx_err_at(err, MX_EINVAL, file, n ? n->line : 1, n ? n->col : 1, "%s: expected a list, got %s",
	                 path && *path ? path : "document", n ? node_type_name(n) : "nothing");
}

static int wrong_type(const char *file, const struct mx_yaml_node *v, const char *path, const char *key,
                      const char *want, struct mx_err *err)
{
	char p[1024];
	mx_yaml_path(p, sizeof p, path, key);
	if (v->kind == MX_YAML_SCALAR)
		return mx_err_at(err, MX_EINVAL, file, v->line, v->col, "%s: expected %s, got %s '%s'", p,
		                 want, node_type_name(v), v->str);
	return mx_err_at(err, MX_EINVAL, file, v->line, v->col, "%s: expected %s, got %s", p, want,
	                 node_type_name(v));
}

int mx_yaml_get_str(const char *file, const struct mx_yaml_node *map, const char *path, const char *key,
                    int required, char **out, struct mx_err *err)
{
	const struct mx_yaml_node *v = mx_yaml_map_get(map, key);
	if (v == NULL || (v->kind == MX_YAML_SCALAR && mx_yaml_resolve(v, NULL) == MX_YT_NULL)) {
		if (!required)
			return 0;
		char p[1024];
		mx_yaml_path(p, sizeof p, path, key);
		return mx_err_at(err, MX_EINVAL, file,
		                 v     ? v->line
		                 : map ? map->line
		                       : 1,
		                 v     ? v->col
		                 : map ? map->col
		                       : 1,
		                 "%s: field required", p);
	}
	if (v->kind != MX_YAML_SCALAR || mx_yaml_resolve(v, NULL) != MX_YT_STR)
		return wrong_type(file, v, path, key, "a string", err);
	char *s = mx_strndup(v->str, v->len);
	if (s == NULL)
		return mx_err_set(err, MX_ENOMEM, "out of memory");
	mx_free(*out);
	*out = s;
	return 0;
}

int mx_yaml_get_bool(const char *file, const struct mx_yaml_node *map, const char *path, const char *key,
                     int *out, struct mx_err *err)
{
	const struct mx_yaml_node *v = mx_yaml_map_get(map, key);
	struct mx_yaml_value val;
	if (v == NULL || mx_yaml_resolve(v, &val) == MX_YT_NULL)
		return 0;
	if (val.type == MX_YT_BOOL) {
		*out = val.b;
		return 0;
	}
	if (val.type == MX_YT_INT && (val.i == 0 || val.i == 1)) {
		*out = (int)val.i;
		return 0;
	}
	/* pydantic accepts these strings for bool fields */
	if (val.type == MX_YT_STR) {
		static const char *const t[] = {"true", "yes", "on", "1", "y", "t", NULL};
		static const char *const f[] = {"false", "no", "off", "0", "n", "f", NULL};
		for (int i = 0; t[i]; i++)
			if (!strcasecmp(v->str, t[i]))
				return *out = 1, 0;
		for (int i = 0; f[i]; i++)
			if (!strcasecmp(v->str, f[i]))
				return *out = 0, 0;
	}
	return wrong_type(file, v, path, key, "a boolean", err);
}

int mx_yaml_get_int(const char *file, const struct mx_yaml_node *map, const char *path, const char *key,
                    int64_t *out, struct mx_err *err)
{
	const struct mx_yaml_node *v = mx_yaml_map_get(map, key);
	struct mx_yaml_value val;
	if (v == NULL || mx_yaml_resolve(v, &val) == MX_YT_NULL)
		return 0;
	if (val.type == MX_YT_INT) {
		*out = val.i;
		return 0;
	}
	if (val.type == MX_YT_FLOAT && val.d == floor(val.d) && fabs(val.d) < 9e18) {
		*out = (int64_t)val.d;
		return 0;
	}
	return wrong_type(file, v, path, key, "an integer", err);
}

int mx_yaml_get_num(const char *file, const struct mx_yaml_node *map, const char *path, const char *key,
                    int *present, double *out, struct mx_err *err)
{
	const struct mx_yaml_node *v = mx_yaml_map_get(map, key);
	struct mx_yaml_value val;
	if (v == NULL || mx_yaml_resolve(v, &val) == MX_YT_NULL)
		return 0;
	if (val.type == MX_YT_INT || val.type == MX_YT_FLOAT) {
		*out = val.type == MX_YT_INT ? (double)val.i : val.d;
		if (present)
			*present = 1;
		return 0;
	}
	return wrong_type(file, v, path, key, "a number", err);
}

/* ------------------------------------------------------------------ dump */

/* Would s, written plain, read back as this very string? */
static int plain_ok(const char *s, size_t n)
{
	if (n == 0 || s[0] == ' ' || s[n - 1] == ' ' || s[n - 1] == ':' ||
	    strchr("-?:,[]{}#&*!|>'\"%@`", s[0]))
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f)
			return 0;
		if ((c == ':' && i + 1 < n && s[i + 1] == ' ') || (c == '#' && i > 0 && s[i - 1] == ' '))
			return 0;
	}
	struct mx_yaml_node node = {.kind = MX_YAML_SCALAR, .str = (char *)s, .len = n, .plain = 1};
	return mx_yaml_resolve(&node, NULL) == MX_YT_STR;
}

static int dump_string(struct mx_buf *b, const char *s, size_t n)
{
	if (plain_ok(s, n))
		return mx_buf_append(b, s, n);
	int ctrl = 0;
	for (size_t i = 0; i < n && !ctrl; i++)
		ctrl = (unsigned char)s[i] < 0x20 || s[i] == 0x7f;
	if (ctrl) /* double-quoted, with YAML's escapes */
		return mx_buf_put_quoted(b, s, n, '"');
	int rc = mx_buf_append(b, "'", 1);
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = s[i] == '\'' ? mx_buf_append(b, "''", 2) : mx_buf_append(b, s + i, 1);
	return rc ? rc : mx_buf_append(b, "'", 1);
}

static int dump_scalar(struct mx_buf *b, const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_STRING: return dump_string(b, json_string_value(v), json_string_length(v));
	case JSON_INTEGER: return mx_buf_printf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	case JSON_REAL: {
		double d = json_real_value(v);
		if (d != d)
			return mx_buf_puts(b, ".nan");
		if (d > 1.7976931348623157e308 || d < -1.7976931348623157e308)
			return mx_buf_puts(b, d > 0 ? ".inf" : "-.inf");
		char t[40];
		snprintf(t, sizeof t, "%.17g", d);
		return mx_buf_printf(b, "%s%s", t, strpbrk(t, ".e") ? "" : ".0");
	}
	case JSON_TRUE: return mx_buf_puts(b, "true");
	case JSON_FALSE: return mx_buf_puts(b, "false");
	case JSON_OBJECT: return mx_buf_puts(b, "{}");
	case JSON_ARRAY: return mx_buf_puts(b, "[]");
	default: return mx_buf_puts(b, "null");
	}
}

static int is_block(const json_t *v)
{
	return (json_is_object(v) && json_object_size(v) > 0) || (json_is_array(v) && json_array_size(v) > 0);
}

static int cmp_keys(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* v at `indent`; `inline_first`: the first line continues the current one
 * (after "- "). */
static int dump_node(struct mx_buf *b, const json_t *v, int indent, int inline_first, int depth)
{
	if (depth > MX_YAML_MAX_DEPTH)
		return MX_ELIMIT;
	int rc = 0;
	if (json_is_array(v)) {
		for (size_t i = 0; rc == 0 && i < json_array_size(v); i++) {
			const json_t *item = json_array_get(v, i);
			rc = mx_buf_printf(b, "%*s- ", i == 0 && inline_first ? 0 : indent, "");
			if (rc == 0 && is_block(item))
				rc = dump_node(b, item, indent + 2, 1, depth + 1);
			else if (rc == 0 && (rc = dump_scalar(b, item)) == 0)
				rc = mx_buf_puts(b, "\n");
		}
		return rc;
	}
	size_t n = json_object_size(v), k = 0;
	const char **keys = mx_calloc(n ? n : 1, sizeof *keys);
	if (keys == NULL)
		return MX_ENOMEM;
	const char *key;
	const json_t *val;
	json_object_foreach ((json_t *)v, key, val) {
		keys[k++] = key;
	}
	qsort(keys, n, sizeof *keys, cmp_keys);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		val = json_object_get(v, keys[i]);
		rc = mx_buf_printf(b, "%*s", i == 0 && inline_first ? 0 : indent, "");
		rc = rc ? rc : dump_string(b, keys[i], strlen(keys[i]));
		if (rc == 0 && is_block(val)) {
			rc = mx_buf_puts(b, ":\n");
			/* PyYAML does not indent a sequence under a mapping key */
			rc = rc ? rc
			        : dump_node(b, val, json_is_array(val) ? indent : indent + 2, 0, depth + 1);
		} else if (rc == 0) {
			rc = mx_buf_puts(b, ": ");
			rc = rc ? rc : dump_scalar(b, val);
			rc = rc ? rc : mx_buf_puts(b, "\n");
		}
	}
	mx_free(keys);
	return rc;
}

int mx_yaml_dump(struct mx_buf *b, const json_t *v)
{
	if (!is_block(v)) {
		int rc = dump_scalar(b, v);
		return rc ? rc : mx_buf_puts(b, "\n");
	}
	return dump_node(b, v, 0, 0, 0);
}
