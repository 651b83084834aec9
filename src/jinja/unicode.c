/* SPDX-License-Identifier: Apache-2.0 */
/*
 * unicode — Python's character classes and case mapping over the tables of
 * unicode_table.c (generated from Python by tests/unit/jinja/gen_unicase.py):
 * str.isalpha() & co. per code point, and str.upper()/lower()/title()/
 * capitalize()/swapcase()/casefold() with the full mappings (ß → SS,
 * İ → i̇, ǆ → ǅ in title case) and the final sigma of lower(). Also Jinja's
 * title filter, which upper-cases the first character of each word.
 */
#include "jinja/jinja_int.h"
#include "jinja/unicode_int.h"

#include "core/utf8.h"

#include <string.h>

static int in_ranges(const struct mx_uc_range *t, size_t n, uint32_t c)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (c < t[mid].lo)
			hi = mid;
		else if (c > t[mid].hi)
			lo = mid + 1;
		else
			return 1;
	}
	return 0;
}

#define PROP_FN(name)                                             \
	static int uc_##name(uint32_t c)                          \
	{                                                         \
		return in_ranges(mx_uc_##name, mx_uc_n##name, c); \
	}
PROP_FN(cased)
PROP_FN(ignorable)
PROP_FN(lowercase)
PROP_FN(uppercase)
PROP_FN(titlecase)
PROP_FN(alpha)
PROP_FN(decimal)
PROP_FN(digit)
PROP_FN(numeric)
PROP_FN(space)
PROP_FN(printable)

int mx_jinja_cp_space(uint32_t c)
{
	if (c < 0x80)
		return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20);
	return uc_space(c);
}

int mx_jinja_cp_is_upper(uint32_t c)
{
	return uc_uppercase(c) || uc_titlecase(c);
}

int mx_jinja_cp_is_lower(uint32_t c)
{
	return uc_lowercase(c);
}

int mx_jinja_cp_alpha(uint32_t c)
{
	if (c < 0x80)
		return (c | 32) >= 'a' && (c | 32) <= 'z';
	return uc_alpha(c);
}

int mx_jinja_cp_decimal(uint32_t c)
{
	if (c < 0x80)
		return c >= '0' && c <= '9';
	return uc_decimal(c);
}

int mx_jinja_cp_digit(uint32_t c)
{
	if (c < 0x80)
		return c >= '0' && c <= '9';
	return uc_digit(c);
}

int mx_jinja_cp_numeric(uint32_t c)
{
	if (c < 0x80)
		return c >= '0' && c <= '9';
	return uc_numeric(c);
}

int mx_jinja_cp_alnum(uint32_t c)
{
	return mx_jinja_cp_alpha(c) || mx_jinja_cp_decimal(c) ||
	       (c >= 0x80 && (uc_digit(c) || uc_numeric(c)));
}

int mx_jinja_cp_word(uint32_t c)
{
	return c == '_' || mx_jinja_cp_alnum(c);
}

int mx_jinja_cp_printable(uint32_t c)
{
	if (c < 0x80)
		return c >= 0x20 && c < 0x7f;
	return uc_printable(c);
}

/* ------------------------------------------------------------------------
 * Case mapping.
 * ---------------------------------------------------------------------- */

enum { MAP_UPPER, MAP_LOWER, MAP_TITLE, MAP_FOLD };

static const struct {
	const struct mx_uc_run *runs;
	const size_t *nruns;
	const struct mx_uc_special *special;
	const size_t *nspecial;
} maps[] = {
        {mx_uc_upper_runs, &mx_uc_upper_nruns, mx_uc_upper_special, &mx_uc_upper_nspecial},
        {mx_uc_lower_runs, &mx_uc_lower_nruns, mx_uc_lower_special, &mx_uc_lower_nspecial},
        {mx_uc_title_runs, &mx_uc_title_nruns, mx_uc_title_special, &mx_uc_title_nspecial},
        {mx_uc_fold_runs, &mx_uc_fold_nruns, mx_uc_fold_special, &mx_uc_fold_nspecial},
};

static uint32_t map_simple(uint32_t c, int which)
{
	const struct mx_uc_run *t = maps[which].runs;
	size_t lo = 0, hi = *maps[which].nruns;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (c < t[mid].lo)
			hi = mid;
		else if (c > t[mid].hi)
			lo = mid + 1;
		else
			return (c - t[mid].lo) % (uint32_t)t[mid].stride
			               ? c
			               : (uint32_t)((int32_t)c + t[mid].delta);
	}
	return c;
}

static const char *map_special(uint32_t c, int which)
{
	const struct mx_uc_special *t = maps[which].special;
	size_t lo = 0, hi = *maps[which].nspecial;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (c < t[mid].cp)
			hi = mid;
		else if (c > t[mid].cp)
			lo = mid + 1;
		else
			return t[mid].s;
	}
	return NULL;
}

uint32_t mx_jinja_cp_lower(uint32_t c)
{
	if (c < 0x80)
		return (c >= 'A' && c <= 'Z') ? c + 32 : c;
	return map_simple(c, MAP_LOWER);
}

static int put_cp(struct mx_buf *b, uint32_t c)
{
	char tmp[4];
	return mx_buf_append(b, tmp, mx_utf8_put(tmp, c));
}

static int put_mapped(struct mx_buf *b, uint32_t c, int which)
{
	if (c < 0x80) {
		if (which == MAP_LOWER || which == MAP_FOLD)
			c = (c >= 'A' && c <= 'Z') ? c + 32 : c;
		else
			c = (c >= 'a' && c <= 'z') ? c - 32 : c;
		return mx_buf_putc(b, (char)c);
	}
	const char *sp = map_special(c, which);
	if (sp)
		return mx_buf_puts(b, sp);
	return put_cp(b, map_simple(c, which));
}

/* Python's handle_capital_sigma: Σ at s[i] (of s[0..n)) lowers to ς at the end of a word. */
static int final_sigma(const char *s, size_t n, size_t i)
{
	size_t j = i;
	uint32_t c = 0;
	int found = 0;
	while (j > 0) {
		do
			j--;
		while (j > 0 && ((unsigned char)s[j] & 0xc0) == 0x80);
		size_t k = j;
		c = mx_utf8_next(s, n, &k);
		if (!uc_ignorable(c)) {
			found = 1;
			break;
		}
	}
	if (!found || !uc_cased(c))
		return 0;
	j = i;
	mx_utf8_next(s, n, &j);
	while (j < n) {
		c = mx_utf8_next(s, n, &j);
		if (!uc_ignorable(c))
			return !uc_cased(c);
	}
	return 1;
}

/* lower() of the character c at s[i] of s[0..n). */
static int put_lower(struct mx_buf *b, const char *s, size_t n, size_t i, uint32_t c)
{
	if (c == 0x3A3)
		return put_cp(b, final_sigma(s, n, i) ? 0x3C2 : 0x3C3);
	return put_mapped(b, c, MAP_LOWER);
}

static int cased(uint32_t c)
{
	if (c < 0x80)
		return (c | 32) >= 'a' && (c | 32) <= 'z';
	return uc_cased(c);
}

/* Jinja's title filter: words split at runs of [-\s({[<]; item[0].upper() + item[1:].lower(). */
static int jinja_title(struct mx_buf *b, const char *s, size_t n)
{
	int rc = 0;
	size_t i = 0;
	while (i < n && rc == 0) {
		uint32_t c = mx_utf8_next(s, n, &i);
		int sep = mx_jinja_cp_space(c) || c == '-' || c == '(' || c == '{' || c == '[' || c == '<';
		size_t end = i;
		while (end < n) {
			size_t k = end;
			uint32_t d = mx_utf8_next(s, n, &k);
			int dsep = mx_jinja_cp_space(d) || d == '-' || d == '(' || d == '{' || d == '[' ||
			           d == '<';
			if (dsep != sep)
				break;
			end = k;
		}
		/* the item s[st..end): its first character upper-cased, the rest lower-cased */
		rc = put_mapped(b, c, MAP_UPPER);
		const char *rest = s + i;
		size_t rn = end - i;
		for (size_t k = 0; k < rn && rc == 0;) {
			size_t at = k;
			uint32_t d = mx_utf8_next(rest, rn, &k);
			rc = put_lower(b, rest, rn, at, d);
		}
		i = end;
	}
	return rc;
}

int mx_jinja_case_into(struct mx_buf *b, const char *s, size_t n, int mode)
{
	if (mode == CASE_TITLE)
		return jinja_title(b, s, n);
	int rc = 0, prev_cased = 0;
	for (size_t i = 0; i < n && rc == 0;) {
		size_t at = i;
		uint32_t c = mx_utf8_next(s, n, &i);
		switch (mode) {
		case CASE_UPPER: rc = put_mapped(b, c, MAP_UPPER); break;
		case CASE_LOWER: rc = put_lower(b, s, n, at, c); break;
		case CASE_FOLD: rc = put_mapped(b, c, MAP_FOLD); break;
		case CASE_CAPITALIZE:
			rc = at == 0 ? put_mapped(b, c, MAP_TITLE) : put_lower(b, s, n, at, c);
			break;
		case CASE_PYTITLE:
			rc = prev_cased ? put_lower(b, s, n, at, c) : put_mapped(b, c, MAP_TITLE);
			prev_cased = cased(c);
			break;
		case CASE_SWAP:
			if (c < 0x80 ? (c >= 'A' && c <= 'Z') : uc_uppercase(c))
				rc = put_lower(b, s, n, at, c);
			else if (c < 0x80 ? (c >= 'a' && c <= 'z') : uc_lowercase(c))
				rc = put_mapped(b, c, MAP_UPPER);
			else
				rc = mx_buf_append(b, s + at, i - at);
			break;
		default: rc = mx_buf_append(b, s + at, i - at); break;
		}
	}
	return rc;
}

int mx_jinja_str_case(struct render *r, const struct expr *e, const char *s, size_t n, int mode,
                      struct val *out)
{
	struct mx_buf b;
	mx_jinja_sb_init(r, &b);
	int rc = mx_buf_append(&b, "", 0);
	if (rc == 0)
		rc = mx_jinja_case_into(&b, s, n, mode);
	return mx_jinja_sb_finish(r, e, &b, rc, out);
}
