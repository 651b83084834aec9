/* SPDX-License-Identifier: Apache-2.0 */
/*
 * value — CEL values: the bump arena they live in, equality and
 * ordering (numbers compare across int/uint/double by value), map keys and
 * their hash index, JSON in and out, and the activation (variable bindings).
 *
 * Values are plain structs pointing into an arena; nothing is refcounted,
 * so a program's literals and an activation's values can be read from many
 * threads at once. An activation is built on one thread, then read-only.
 */
#include "cel/cel_int.h"

#include "core/alloc.h"
#include "core/base64.h"
#include "core/json.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* ==== arena ==== */

struct mx_cel_chunk {
	struct mx_cel_chunk *next;
	size_t size;
	max_align_t data[];
};

void mx_cel_arena_init(struct mx_cel_arena *a, void *first, size_t first_n, size_t limit)
{
	a->chunks = NULL;
	a->cur = first;
	a->end = first ? (char *)first + first_n : NULL;
	a->total = 0;
	a->limit = limit;
	a->over_limit = false;
}

void *mx_cel_arena_alloc(struct mx_cel_arena *a, size_t n)
{
	n = (n + 7) & ~(size_t)7;
	if (n == 0)
		n = 8;
	if (a->cur != NULL && (size_t)(a->end - a->cur) >= n) {
		void *p = a->cur;
		a->cur += n;
		return p;
	}
	size_t want = n > 2048 ? n : 2048;
	if (a->total >= 16384 && want < a->total / 2)
		want = a->total / 2; /* grow geometrically */
	if (n > a->limit || a->total + want > a->limit) {
		if (a->total + n > a->limit) {
			a->over_limit = true;
			return NULL;
		}
		want = n;
	}
	struct mx_cel_chunk *c = mx_malloc(sizeof *c + want);
	if (c == NULL)
		return NULL;
	c->next = a->chunks;
	c->size = want;
	a->chunks = c;
	a->total += want;
	a->cur = (char *)c->data + n;
	a->end = (char *)c->data + want;
	return c->data;
}

void *mx_cel_arena_dup(struct mx_cel_arena *a, const void *p, size_t n)
{
	char *r = mx_cel_arena_alloc(a, n + 1);
	if (r == NULL)
		return NULL;
	if (n)
		memcpy(r, p, n);
	r[n] = 0;
	return r;
}

void mx_cel_arena_free(struct mx_cel_arena *a)
{
	struct mx_cel_chunk *c = a->chunks;
	while (c != NULL) {
		struct mx_cel_chunk *next = c->next;
		mx_free(c);
		c = next;
	}
	a->chunks = NULL;
	a->cur = a->end = NULL;
	a->total = 0;
}

/* ==== types ==== */

#define TYPEVAL(var, text) \
	const struct mx_cel_value var = {.kind = MX_CEL_TYPE, .s = {text, sizeof(text) - 1}}
TYPEVAL(mx_cel_type_int, "int");
TYPEVAL(mx_cel_type_uint, "uint");
TYPEVAL(mx_cel_type_double, "double");
TYPEVAL(mx_cel_type_bool, "bool");
TYPEVAL(mx_cel_type_string, "string");
TYPEVAL(mx_cel_type_bytes, "bytes");
TYPEVAL(mx_cel_type_list, "list");
TYPEVAL(mx_cel_type_map, "map");
TYPEVAL(mx_cel_type_null, "null_type");
TYPEVAL(mx_cel_type_type, "type");
TYPEVAL(mx_cel_type_timestamp, "google.protobuf.Timestamp");
TYPEVAL(mx_cel_type_duration, "google.protobuf.Duration");

static const struct mx_cel_value *const all_types[] = {
        &mx_cel_type_int,    &mx_cel_type_uint,  &mx_cel_type_double,    &mx_cel_type_bool,
        &mx_cel_type_string, &mx_cel_type_bytes, &mx_cel_type_list,      &mx_cel_type_map,
        &mx_cel_type_null,   &mx_cel_type_type,  &mx_cel_type_timestamp, &mx_cel_type_duration,
};

const struct mx_cel_value *mx_cel_type_by_name(const char *name, size_t n)
{
	for (size_t i = 0; i < sizeof all_types / sizeof all_types[0]; i++)
		if (all_types[i]->s.n == n && memcmp(all_types[i]->s.p, name, n) == 0)
			return all_types[i];
	return NULL;
}

const char *mx_cel_type_name(const struct mx_cel_value *v)
{
	switch (v->kind) {
	case MX_CEL_NULL: return "null_type";
	case MX_CEL_BOOL: return "bool";
	case MX_CEL_INT: return "int";
	case MX_CEL_UINT: return "uint";
	case MX_CEL_DOUBLE: return "double";
	case MX_CEL_STRING: return "string";
	case MX_CEL_BYTES: return "bytes";
	case MX_CEL_LIST: return "list";
	case MX_CEL_MAP: return "map";
	case MX_CEL_TYPE: return "type";
	case MX_CEL_TIMESTAMP: return "google.protobuf.Timestamp";
	case MX_CEL_DURATION: return "google.protobuf.Duration";
	case MX_CEL_ERROR: return "error";
	}
	return "unknown";
}

/* ==== equality and ordering ==== */

static bool is_num(enum mx_cel_kind k)
{
	return k == MX_CEL_INT || k == MX_CEL_UINT || k == MX_CEL_DOUBLE;
}

/* Compare numbers of any kinds exactly: -1/0/1, 2 when NaN is involved. */
static int num_cmp(const struct mx_cel_value *a, const struct mx_cel_value *b)
{
	if (a->kind == b->kind) {
		switch (a->kind) {
		case MX_CEL_INT: return (a->i > b->i) - (a->i < b->i);
		case MX_CEL_UINT: return (a->u > b->u) - (a->u < b->u);
		default:
			if (isnan(a->d) || isnan(b->d))
				return 2;
			return (a->d > b->d) - (a->d < b->d);
		}
	}
	if (a->kind == MX_CEL_INT && b->kind == MX_CEL_UINT) {
		if (a->i < 0)
			return -1;
		uint64_t x = (uint64_t)a->i;
		return (x > b->u) - (x < b->u);
	}
	if (a->kind == MX_CEL_UINT && b->kind == MX_CEL_INT)
		return -num_cmp(b, a);
	if (a->kind == MX_CEL_DOUBLE)
		return num_cmp(b, a) == 2 ? 2 : -num_cmp(b, a);
	/* a is int or uint, b is double: compared as doubles, as cel-spec's
	   conformance data expects (9223372036854775807 == 9223372036854775808.0) */
	double d = b->d;
	if (isnan(d))
		return 2;
	double x = a->kind == MX_CEL_INT ? (double)a->i : (double)a->u;
	return (x > d) - (x < d);
}

static int bytes_cmp(const struct mx_cel_value *a, const struct mx_cel_value *b)
{
	size_t n = a->s.n < b->s.n ? a->s.n : b->s.n;
	int c = n ? memcmp(a->s.p, b->s.p, n) : 0;
	if (c != 0)
		return c < 0 ? -1 : 1;
	return (a->s.n > b->s.n) - (a->s.n < b->s.n);
}

int mx_cel_compare(const struct mx_cel_value *a, const struct mx_cel_value *b)
{
	if (is_num(a->kind) && is_num(b->kind))
		return num_cmp(a, b);
	if (a->kind != b->kind)
		return -2;
	switch (a->kind) {
	case MX_CEL_BOOL: return (a->b > b->b) - (a->b < b->b);
	case MX_CEL_STRING:
	case MX_CEL_BYTES: return bytes_cmp(a, b);
	case MX_CEL_DURATION: return (a->i > b->i) - (a->i < b->i);
	case MX_CEL_TIMESTAMP:
		if (a->t.sec != b->t.sec)
			return a->t.sec < b->t.sec ? -1 : 1;
		return (a->t.nsec > b->t.nsec) - (a->t.nsec < b->t.nsec);
	default: return -2;
	}
}

bool mx_cel_equal(const struct mx_cel_value *a, const struct mx_cel_value *b)
{
	if (is_num(a->kind) && is_num(b->kind))
		return num_cmp(a, b) == 0;
	if (a->kind != b->kind)
		return false;
	switch (a->kind) {
	case MX_CEL_NULL: return true;
	case MX_CEL_BOOL: return a->b == b->b;
	case MX_CEL_STRING:
	case MX_CEL_BYTES:
	case MX_CEL_TYPE: return a->s.n == b->s.n && memcmp(a->s.p, b->s.p, a->s.n) == 0;
	case MX_CEL_DURATION: return a->i == b->i;
	case MX_CEL_TIMESTAMP: return a->t.sec == b->t.sec && a->t.nsec == b->t.nsec;
	case MX_CEL_LIST:
		if (a->list->n != b->list->n)
			return false;
		for (size_t i = 0; i < a->list->n; i++)
			if (!mx_cel_equal(&a->list->items[i], &b->list->items[i]))
				return false;
		return true;
	case MX_CEL_MAP:
		if (a->map->n != b->map->n)
			return false;
		for (size_t i = 0; i < a->map->n; i++) {
			const struct mx_cel_value *v = mx_cel_map_get(b->map, &a->map->keys[i]);
			if (v == NULL || !mx_cel_equal(&a->map->vals[i], v))
				return false;
		}
		return true;
	default: return false;
	}
}

bool mx_cel_value_equal(const struct mx_cel_value *a, const struct mx_cel_value *b)
{
	return mx_cel_equal(a, b);
}

/* ==== maps ==== */

uint32_t mx_cel_hash_bytes(const char *p, size_t n)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)p[i];
		h *= 16777619u;
	}
	return h;
}

static uint32_t hash_u64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return (uint32_t)x;
}

bool mx_cel_is_key_kind(enum mx_cel_kind k)
{
	return k == MX_CEL_INT || k == MX_CEL_UINT || k == MX_CEL_BOOL || k == MX_CEL_STRING;
}

/* Equal numbers hash alike whatever their kind (1, 1u and 1.0 find the same entry). */
uint32_t mx_cel_hash_key(const struct mx_cel_value *k)
{
	switch (k->kind) {
	case MX_CEL_STRING: return mx_cel_hash_bytes(k->s.p, k->s.n);
	case MX_CEL_BOOL: return k->b ? 0x9e3779b9u : 0x7f4a7c15u;
	case MX_CEL_INT: return hash_u64((uint64_t)k->i);
	case MX_CEL_UINT: return hash_u64(k->u);
	case MX_CEL_DOUBLE:
		if (k->d >= -9223372036854775808.0 && k->d < 9223372036854775808.0 && k->d == trunc(k->d))
			return hash_u64((uint64_t)(int64_t)k->d);
		if (k->d >= 0 && k->d < 18446744073709551616.0 && k->d == trunc(k->d))
			return hash_u64((uint64_t)k->d);
		return 0;
	default: return 0;
	}
}

static bool key_eq(const struct mx_cel_value *a, const struct mx_cel_value *b)
{
	if (a->kind == MX_CEL_STRING && b->kind == MX_CEL_STRING)
		return a->s.n == b->s.n && memcmp(a->s.p, b->s.p, a->s.n) == 0;
	return mx_cel_equal(a, b);
}

#define MAP_INDEX_MIN 9 /* below this a linear scan is faster */

int mx_cel_map_finish(struct mx_cel_arena *a, struct mx_cel_map *m, size_t *dup)
{
	m->index = NULL;
	m->index_cap = 0;
	if (m->n < MAP_INDEX_MIN) {
		for (size_t i = 1; i < m->n; i++)
			for (size_t j = 0; j < i; j++)
				if (key_eq(&m->keys[i], &m->keys[j])) {
					*dup = i;
					return 1;
				}
		return 0;
	}
	size_t cap = 16;
	while (cap < m->n * 2)
		cap *= 2;
	uint32_t *idx = mx_cel_arena_alloc(a, cap * sizeof *idx);
	if (idx == NULL)
		return MX_ENOMEM;
	memset(idx, 0, cap * sizeof *idx);
	for (size_t i = 0; i < m->n; i++) {
		size_t s = mx_cel_hash_key(&m->keys[i]) & (cap - 1);
		while (idx[s] != 0) {
			if (key_eq(&m->keys[idx[s] - 1], &m->keys[i])) {
				*dup = i;
				return 1;
			}
			s = (s + 1) & (cap - 1);
		}
		idx[s] = (uint32_t)(i + 1);
	}
	m->index = idx;
	m->index_cap = cap;
	return 0;
}

const struct mx_cel_value *mx_cel_map_get(const struct mx_cel_map *m, const struct mx_cel_value *key)
{
	if (m->index == NULL) {
		for (size_t i = 0; i < m->n; i++)
			if (key_eq(&m->keys[i], key))
				return &m->vals[i];
		return NULL;
	}
	size_t s = mx_cel_hash_key(key) & (m->index_cap - 1);
	while (m->index[s] != 0) {
		size_t e = m->index[s] - 1;
		if (key_eq(&m->keys[e], key))
			return &m->vals[e];
		s = (s + 1) & (m->index_cap - 1);
	}
	return NULL;
}

const struct mx_cel_value *mx_cel_map_get_str(const struct mx_cel_map *m, const char *p, size_t n)
{
	struct mx_cel_value k = {.kind = MX_CEL_STRING, .s = {p, n}};
	if (m->index == NULL) {
		for (size_t i = 0; i < m->n; i++) {
			const struct mx_cel_value *kk = &m->keys[i];
			if (kk->kind == MX_CEL_STRING && kk->s.n == n && memcmp(kk->s.p, p, n) == 0)
				return &m->vals[i];
		}
		return NULL;
	}
	return mx_cel_map_get(m, &k);
}

/* ==== JSON ==== */

#define JSON_MAX_DEPTH 64

int mx_cel_from_json(struct mx_cel_arena *a, const json_t *j, struct mx_cel_value *out, int depth)
{
	memset(out, 0, sizeof *out);
	if (depth > JSON_MAX_DEPTH)
		return MX_ELIMIT;
	switch (json_typeof(j)) {
	case JSON_NULL: out->kind = MX_CEL_NULL; return 0;
	case JSON_TRUE:
	case JSON_FALSE:
		out->kind = MX_CEL_BOOL;
		out->b = json_is_true(j);
		return 0;
	case JSON_INTEGER:
		out->kind = MX_CEL_INT;
		out->i = (int64_t)json_integer_value(j);
		return 0;
	case JSON_REAL:
		out->kind = MX_CEL_DOUBLE;
		out->d = json_real_value(j);
		return 0;
	case JSON_STRING: {
		size_t n = json_string_length(j);
		const char *p = mx_cel_arena_dup(a, json_string_value(j), n);
		if (p == NULL)
			return MX_ENOMEM;
		out->kind = MX_CEL_STRING;
		out->s.p = p;
		out->s.n = n;
		return 0;
	}
	case JSON_ARRAY: {
		size_t n = json_array_size(j);
		struct mx_cel_list *l = mx_cel_arena_alloc(a, sizeof *l);
		struct mx_cel_value *items = mx_cel_arena_alloc(a, (n ? n : 1) * sizeof *items);
		if (l == NULL || items == NULL)
			return MX_ENOMEM;
		for (size_t i = 0; i < n; i++) {
			int rc = mx_cel_from_json(a, json_array_get(j, i), &items[i], depth + 1);
			if (rc)
				return rc;
		}
		l->n = n;
		l->items = items;
		out->kind = MX_CEL_LIST;
		out->list = l;
		return 0;
	}
	case JSON_OBJECT: {
		size_t n = json_object_size(j);
		struct mx_cel_map *m = mx_cel_arena_alloc(a, sizeof *m);
		struct mx_cel_value *keys = mx_cel_arena_alloc(a, (n ? n : 1) * sizeof *keys);
		struct mx_cel_value *vals = mx_cel_arena_alloc(a, (n ? n : 1) * sizeof *vals);
		if (m == NULL || keys == NULL || vals == NULL)
			return MX_ENOMEM;
		size_t i = 0;
		const char *k;
		size_t klen;
		json_t *v;
		json_object_keylen_foreach((json_t *)j, k, klen, v)
		{
			const char *kp = mx_cel_arena_dup(a, k, klen);
			if (kp == NULL)
				return MX_ENOMEM;
			keys[i].kind = MX_CEL_STRING;
			keys[i].s.p = kp;
			keys[i].s.n = klen;
			int rc = mx_cel_from_json(a, v, &vals[i], depth + 1);
			if (rc)
				return rc;
			i++;
		}
		m->n = i;
		m->keys = keys;
		m->vals = vals;
		size_t dup;
		if (mx_cel_map_finish(a, m, &dup) == MX_ENOMEM)
			return MX_ENOMEM;
		out->kind = MX_CEL_MAP;
		out->map = m;
		return 0;
	}
	}
	return MX_EINVAL;
}

int mx_cel_copy_value(struct mx_cel_arena *a, const struct mx_cel_value *in, struct mx_cel_value *out)
{
	*out = *in;
	switch (in->kind) {
	case MX_CEL_STRING:
	case MX_CEL_BYTES:
	case MX_CEL_ERROR:
	case MX_CEL_TYPE: {
		const char *p = mx_cel_arena_dup(a, in->s.p, in->s.n);
		if (p == NULL)
			return MX_ENOMEM;
		out->s.p = p;
		return 0;
	}
	case MX_CEL_LIST: {
		struct mx_cel_list *l = mx_cel_arena_alloc(a, sizeof *l);
		size_t n = in->list->n;
		struct mx_cel_value *items = mx_cel_arena_alloc(a, (n ? n : 1) * sizeof *items);
		if (l == NULL || items == NULL)
			return MX_ENOMEM;
		for (size_t i = 0; i < n; i++)
			if (mx_cel_copy_value(a, &in->list->items[i], &items[i]))
				return MX_ENOMEM;
		l->n = n;
		l->items = items;
		out->list = l;
		return 0;
	}
	case MX_CEL_MAP: {
		struct mx_cel_map *m = mx_cel_arena_alloc(a, sizeof *m);
		size_t n = in->map->n;
		struct mx_cel_value *keys = mx_cel_arena_alloc(a, (n ? n : 1) * sizeof *keys);
		struct mx_cel_value *vals = mx_cel_arena_alloc(a, (n ? n : 1) * sizeof *vals);
		if (m == NULL || keys == NULL || vals == NULL)
			return MX_ENOMEM;
		for (size_t i = 0; i < n; i++)
			if (mx_cel_copy_value(a, &in->map->keys[i], &keys[i]) ||
			    mx_cel_copy_value(a, &in->map->vals[i], &vals[i]))
				return MX_ENOMEM;
		m->n = n;
		m->keys = keys;
		m->vals = vals;
		size_t dup;
		if (mx_cel_map_finish(a, m, &dup) == MX_ENOMEM)
			return MX_ENOMEM;
		out->map = m;
		return 0;
	}
	default: return 0;
	}
}

json_t *mx_cel_value_to_json(const struct mx_cel_value *v)
{
	char buf[64];
	switch (v->kind) {
	case MX_CEL_NULL: return json_null();
	case MX_CEL_BOOL: return json_boolean(v->b);
	case MX_CEL_INT: return json_integer(v->i);
	case MX_CEL_UINT:
		if (v->u <= (uint64_t)INT64_MAX)
			return json_integer((json_int_t)v->u);
		return json_real((double)v->u);
	case MX_CEL_DOUBLE: return json_real(v->d);
	case MX_CEL_STRING: return json_stringn(v->s.p, v->s.n);
	case MX_CEL_BYTES: return mx_base64_json(v->s.p, v->s.n);
	case MX_CEL_TYPE: return json_stringn(v->s.p, v->s.n);
	case MX_CEL_TIMESTAMP: {
		size_t n = mx_cel_timestamp_format(v->t.sec, v->t.nsec, buf, sizeof buf);
		return json_stringn(buf, n);
	}
	case MX_CEL_DURATION: {
		size_t n = mx_cel_duration_format(v->i, buf, sizeof buf);
		return json_stringn(buf, n);
	}
	case MX_CEL_LIST: {
		json_t *a = json_array();
		if (a == NULL)
			return NULL;
		for (size_t i = 0; i < v->list->n; i++) {
			json_t *e = mx_cel_value_to_json(&v->list->items[i]);
			if (e == NULL || json_array_append_new(a, e)) {
				json_decref(a);
				return NULL;
			}
		}
		return a;
	}
	case MX_CEL_MAP: {
		json_t *o = json_object();
		if (o == NULL)
			return NULL;
		for (size_t i = 0; i < v->map->n; i++) {
			const struct mx_cel_value *k = &v->map->keys[i];
			char kb[32];
			const char *kp = kb;
			size_t kn;
			switch (k->kind) {
			case MX_CEL_STRING:
				kp = k->s.p;
				kn = k->s.n;
				break;
			case MX_CEL_INT: kn = (size_t)snprintf(kb, sizeof kb, "%lld", (long long)k->i); break;
			case MX_CEL_UINT:
				kn = (size_t)snprintf(kb, sizeof kb, "%llu", (unsigned long long)k->u);
				break;
			case MX_CEL_BOOL:
				kn = (size_t)snprintf(kb, sizeof kb, "%s", k->b ? "true" : "false");
				break;
			default: kn = (size_t)snprintf(kb, sizeof kb, "?"); break;
			}
			json_t *e = mx_cel_value_to_json(&v->map->vals[i]);
			if (e == NULL || json_object_setn_new(o, kp, kn, e)) {
				json_decref(o);
				return NULL;
			}
		}
		return o;
	}
	case MX_CEL_ERROR: return NULL;
	}
	return NULL;
}

/* ==== activation ==== */

struct binding {
	const char *name;
	size_t len;
	uint32_t hash;
	struct mx_cel_value value;
};

struct mx_cel_activation {
	struct mx_cel_arena arena;
	struct binding *vars;
	size_t n, cap;
	bool has_dotted;
};

int mx_cel_activation_new(struct mx_cel_activation **out)
{
	struct mx_cel_activation *a = mx_calloc(1, sizeof *a);
	if (a == NULL)
		return MX_ENOMEM;
	mx_cel_arena_init(&a->arena, NULL, 0, (size_t)1 << 40);
	*out = a;
	return 0;
}

void mx_cel_activation_free(struct mx_cel_activation *a)
{
	if (a == NULL)
		return;
	mx_cel_arena_free(&a->arena);
	mx_free(a->vars);
	mx_free(a);
}

static struct binding *slot(struct mx_cel_activation *a, const char *name)
{
	size_t len = strlen(name);
	uint32_t h = mx_cel_hash_bytes(name, len);
	for (size_t i = 0; i < a->n; i++)
		if (a->vars[i].hash == h && a->vars[i].len == len && memcmp(a->vars[i].name, name, len) == 0)
			return &a->vars[i];
	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 8;
		struct binding *v = mx_realloc(a->vars, cap * sizeof *v);
		if (v == NULL)
			return NULL;
		a->vars = v;
		a->cap = cap;
	}
	const char *copy = mx_cel_arena_dup(&a->arena, name, len);
	if (copy == NULL)
		return NULL;
	struct binding *b = &a->vars[a->n++];
	b->name = copy;
	b->len = len;
	b->hash = h;
	memset(&b->value, 0, sizeof b->value);
	if (memchr(name, '.', len) != NULL)
		a->has_dotted = true;
	return b;
}

int mx_cel_activation_bind(struct mx_cel_activation *a, const char *name, const struct mx_cel_value *v)
{
	struct binding *b = slot(a, name);
	if (b == NULL)
		return MX_ENOMEM;
	return mx_cel_copy_value(&a->arena, v, &b->value);
}

int mx_cel_activation_bind_json(struct mx_cel_activation *a, const char *name, const json_t *v,
                                struct mx_err *err)
{
	struct binding *b = slot(a, name);
	if (b == NULL)
		return mx_err_set(err, MX_ENOMEM, "out of memory");
	int rc = mx_cel_from_json(&a->arena, v, &b->value, 0);
	if (rc == MX_ELIMIT)
		return mx_err_set(err, rc, "variable '%s' is nested more than %d levels deep", name,
		                  JSON_MAX_DEPTH);
	if (rc)
		return mx_err_set(err, rc, "out of memory");
	return 0;
}

int mx_cel_activation_from_json(const json_t *obj, struct mx_cel_activation **out, struct mx_err *err)
{
	*out = NULL;
	if (obj != NULL && !json_is_object(obj))
		return mx_err_set(err, MX_EINVAL, "CEL activation must be a JSON object");
	struct mx_cel_activation *a;
	if (mx_cel_activation_new(&a))
		return mx_err_set(err, MX_ENOMEM, "out of memory");
	const char *k;
	json_t *v;
	if (obj != NULL) {
		json_object_foreach ((json_t *)obj, k, v) {
			int rc = mx_cel_activation_bind_json(a, k, v, err);
			if (rc) {
				mx_cel_activation_free(a);
				return rc;
			}
		}
	}
	*out = a;
	return 0;
}

const struct mx_cel_value *mx_cel_activation_get(const struct mx_cel_activation *a, const char *name,
                                                 size_t n, uint32_t hash)
{
	if (a == NULL)
		return NULL;
	for (size_t i = 0; i < a->n; i++) {
		const struct binding *b = &a->vars[i];
		if (b->hash == hash && b->len == n && memcmp(b->name, name, n) == 0)
			return &b->value;
	}
	return NULL;
}

bool mx_cel_activation_has_dotted(const struct mx_cel_activation *a)
{
	return a != NULL && a->has_dotted;
}
