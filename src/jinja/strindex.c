/* SPDX-License-Identifier: Apache-2.0 */
/*
 * strindex — code point positions in long strings without walking them
 * each time: s[i], s|length and slices of a 100,000-character string in a
 * loop would otherwise cost a pass over the string per access.
 *
 * The running render keeps a few entries (STR_CACHE), one per long string
 * value: its code point count, whether it is ASCII (then code point k is
 * byte k), and otherwise the byte offset of every STEP-th code point, so
 * that finding code point k walks at most STEP characters. An entry holds
 * a reference to its string, so the address it is keyed by is never
 * reused while listed; entries are replaced round robin and dropped when
 * the render ends. Strings shorter than STR_MIN bytes are walked directly.
 *
 * Also: a fast UTF-8 check for the strings the engine builds (ASCII runs
 * eight bytes at a time) before they become jansson values.
 */
#include "jinja/jinja_int.h"

#include "core/alloc.h"
#include "core/utf8.h"

#include <string.h>

#define STR_MIN 256
#define STEP 32

struct render *mx_jinja_current(void);

static struct str_index *entry_of(const json_t *j)
{
	struct render *r = mx_jinja_current();
	if (r == NULL)
		return NULL;
	for (int i = 0; i < STR_CACHE; i++)
		if (r->strcache[i].j == j)
			return &r->strcache[i];
	const char *s = json_string_value(j);
	size_t n = json_string_length(j), ncp = 0, nmarks = 0;
	int ascii = 1;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80) {
			ascii = 0;
			break;
		}
	size_t *marks = NULL;
	if (ascii) {
		ncp = n;
	} else {
		ncp = mx_utf8_count(s, n);
		marks = mx_malloc((ncp / STEP + 1) * sizeof *marks);
		if (marks == NULL)
			return NULL;
		for (size_t i = 0, k = 0; i < n; k++) {
			if (k % STEP == 0)
				marks[nmarks++] = i;
			mx_utf8_next(s, n, &i);
		}
	}
	struct str_index *x = &r->strcache[r->strcache_next];
	r->strcache_next = (r->strcache_next + 1) % STR_CACHE;
	json_decref(x->j);
	mx_free(x->marks);
	x->j = json_incref((json_t *)j);
	x->ncp = ncp;
	x->ascii = ascii;
	x->marks = marks;
	return x;
}

void mx_jinja_strcache_clear(struct render *r)
{
	for (int i = 0; i < STR_CACHE; i++) {
		json_decref(r->strcache[i].j);
		mx_free(r->strcache[i].marks);
		memset(&r->strcache[i], 0, sizeof r->strcache[i]);
	}
	r->strcache_next = 0;
}

size_t mx_jinja_str_cps(const json_t *j)
{
	const char *s = json_string_value(j);
	size_t n = json_string_length(j);
	struct str_index *x = n >= STR_MIN ? entry_of(j) : NULL;
	return x ? x->ncp : mx_utf8_count(s, n);
}

size_t mx_jinja_str_off(const json_t *j, size_t k)
{
	const char *s = json_string_value(j);
	size_t n = json_string_length(j);
	struct str_index *x = n >= STR_MIN ? entry_of(j) : NULL;
	if (x == NULL)
		return mx_utf8_offset(s, n, k);
	if (k >= x->ncp)
		return n;
	if (x->ascii)
		return k;
	size_t i = x->marks[k / STEP];
	for (size_t m = k % STEP; m > 0; m--)
		mx_utf8_next(s, n, &i);
	return i;
}

/* Valid UTF-8, ASCII eight bytes at a time. */
static int valid_utf8(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		while (i + 8 <= n) {
			uint64_t w;
			memcpy(&w, s + i, 8);
			if (w & 0x8080808080808080ull)
				break;
			i += 8;
		}
		if (i >= n)
			break;
		if ((unsigned char)s[i] < 0x80) {
			i++;
			continue;
		}
		size_t len = mx_utf8_char_len(s + i, n - i);
		if (len == 0)
			return 0;
		i += len;
	}
	return 1;
}

json_t *mx_jinja_json_str(const char *s, size_t n)
{
	return valid_utf8(s, n) ? json_stringn_nocheck(s, n) : NULL;
}
