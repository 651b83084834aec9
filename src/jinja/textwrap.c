/* SPDX-License-Identifier: Apache-2.0 */
/*
 * textwrap — the line-oriented string operations as Python does them:
 * str.splitlines() (its eleven line boundaries), the indent filter (which
 * splits s + "\n") and the wordwrap filter, a port of textwrap.wrap with
 * Jinja's options (expand_tabs and replace_whitespace off, drop_whitespace
 * on): the chunking of TextWrapper.wordsep_re (hyphenated words and em
 * dashes) and _wrap_chunks/_handle_long_word, lengths in code points.
 */
#include "jinja/jinja_int.h"

#include "core/alloc.h"
#include "core/utf8.h"

#include <string.h>

/* The length of the line boundary at s[i] (0: none). */
size_t mx_jinja_line_break(const char *s, size_t n, size_t i)
{
	unsigned char c = (unsigned char)s[i];
	if (c == '\r')
		return i + 1 < n && s[i + 1] == '\n' ? 2 : 1;
	if (c == '\n' || c == 0x0b || c == 0x0c || c == 0x1c || c == 0x1d || c == 0x1e)
		return 1;
	if (c == 0xc2 && i + 1 < n && (unsigned char)s[i + 1] == 0x85)
		return 2;
	if (c == 0xe2 && i + 2 < n && (unsigned char)s[i + 1] == 0x80 &&
	    ((unsigned char)s[i + 2] == 0xa8 || (unsigned char)s[i + 2] == 0xa9))
		return 3;
	return 0;
}

/* The next line of s from *pos (str.splitlines()): 1 and [*start, *end), 0 at the end. */
int mx_jinja_next_line(const char *s, size_t n, size_t *pos, size_t *start, size_t *end)
{
	size_t i = *pos, k;
	if (i >= n)
		return 0;
	*start = i;
	while (i < n && (k = mx_jinja_line_break(s, n, i)) == 0)
		i++;
	*end = i;
	*pos = i < n ? i + k : n;
	return 1;
}

/* ------------------------------------------------------------------------
 * indent(width=4, first=False, blank=False)
 * ---------------------------------------------------------------------- */

int mx_jinja_indent(struct mx_buf *b, const char *s0, size_t n0, const char *ind, size_t indn, int first,
                    int blank)
{
	/* Jinja splits s + "\n" */
	char *s = mx_malloc(n0 + 1);
	if (s == NULL)
		return MX_ENOMEM;
	memcpy(s, s0, n0);
	s[n0] = '\n';
	size_t n = n0 + 1, pos = 0, st, en, line = 0;
	int rc = first ? mx_buf_append(b, ind, indn) : 0;
	while (rc == 0 && mx_jinja_next_line(s, n, &pos, &st, &en)) {
		if (line++) {
			rc = mx_buf_putc(b, '\n');
			if (rc == 0 && (blank || en > st))
				rc = mx_buf_append(b, ind, indn);
		}
		if (rc == 0)
			rc = mx_buf_append(b, s + st, en - st);
	}
	mx_free(s);
	return rc;
}

/* ------------------------------------------------------------------------
 * textwrap.wrap
 * ---------------------------------------------------------------------- */

struct chunk {
	size_t off, len; /* bytes */
	size_t cps; /* code points */
};

static int tw_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == 0x0b || c == 0x0c || c == '\r';
}

static uint32_t cp_at(const char *s, size_t n, size_t i)
{
	return mx_utf8_next(s, n, &i);
}

/* Start of the code point before byte i. */
static size_t prev_cp(const char *s, size_t i)
{
	do
		i--;
	while (i > 0 && ((unsigned char)s[i] & 0xc0) == 0x80);
	return i;
}

/* [^\d\W]: a word character that is not a digit. */
static int is_letter(uint32_t c)
{
	return mx_jinja_cp_word(c) && !mx_jinja_cp_decimal(c);
}

/* [\w!"'&.,?] */
static int is_wordpunct(uint32_t c)
{
	return mx_jinja_cp_word(c) || (c < 0x80 && strchr("!\"'&.,?", (int)c) && c != 0);
}

/* The letter-class test of the code point ending just before byte i (0: none there). */
static int letter_before(const char *s, size_t i, size_t *at)
{
	if (i == 0)
		return 0;
	size_t p = prev_cp(s, i);
	*at = p;
	return is_letter(cp_at(s, i, p));
}

/* -{2,}(?=\w) at i: the number of hyphens, 0 when none match. */
static size_t emdash_at(const char *s, size_t n, size_t i)
{
	size_t k = i;
	while (k < n && s[k] == '-')
		k++;
	if (k - i < 2 || k >= n || !mx_jinja_cp_word(cp_at(s, n, k)))
		return 0;
	return k - i;
}

static int wp_before(const char *s, size_t n, size_t i)
{
	return i > 0 && is_wordpunct(cp_at(s, n, prev_cp(s, i)));
}

/* (?<=lt{2}-) | (?<=lt-lt-) with the hyphen at h; then (?= lt -? lt) after it. */
static int hyphen_breaks(const char *s, size_t n, size_t h)
{
	size_t a, b2, c;
	int behind = 0;
	if (letter_before(s, h, &a)) {
		if (letter_before(s, a, &b2))
			behind = 1;
		else if (a > 0 && s[a - 1] == '-' && letter_before(s, a - 1, &c))
			behind = 1;
	}
	if (!behind)
		return 0;
	size_t i = h + 1;
	if (i >= n || !is_letter(cp_at(s, n, i)))
		return 0;
	mx_utf8_next(s, n, &i);
	if (i < n && s[i] == '-')
		i++;
	return i < n && is_letter(cp_at(s, n, i));
}

/* One match of wordsep_re (or of (\s+) when !hyphens) at i: its end. */
static size_t next_chunk(const char *s, size_t n, size_t i, int hyphens)
{
	if (tw_ws(s[i])) {
		while (i < n && tw_ws(s[i]))
			i++;
		return i;
	}
	if (!hyphens) {
		while (i < n && !tw_ws(s[i]))
			i++;
		return i;
	}
	size_t k;
	if (wp_before(s, n, i) && (k = emdash_at(s, n, i)) > 0)
		return i + k;
	size_t end = i;
	mx_utf8_next(s, n, &end); /* nws+? takes at least one */
	for (;;) {
		if (end >= n || tw_ws(s[end]))
			return end;
		if (s[end] == '-' && hyphen_breaks(s, n, end))
			return end + 1;
		if (wp_before(s, n, end) && emdash_at(s, n, end))
			return end;
		mx_utf8_next(s, n, &end);
	}
}

static int all_space(const char *s, size_t n)
{
	for (size_t i = 0; i < n;)
		if (!mx_jinja_cp_space(mx_utf8_next(s, n, &i)))
			return 0;
	return 1;
}

/* textwrap.wrap(line) with the lines joined by wrap; *nlines counts them. */
static int wrap_line(struct mx_buf *b, const char *s, size_t n, size_t width, int break_long, int hyphens,
                     const char *wrap, size_t wrapn, size_t *nlines)
{
	size_t nch = 0, cap = 16;
	struct chunk *ch = mx_malloc(cap * sizeof *ch);
	int rc = ch ? 0 : MX_ENOMEM;
	for (size_t i = 0; i < n && rc == 0;) {
		size_t e = next_chunk(s, n, i, hyphens);
		if (nch == cap) {
			struct chunk *nc = mx_realloc(ch, 2 * cap * sizeof *nc);
			if (nc == NULL) {
				rc = MX_ENOMEM;
				break;
			}
			ch = nc, cap *= 2;
		}
		ch[nch].off = i, ch[nch].len = e - i, ch[nch].cps = mx_utf8_count(s + i, e - i);
		nch++;
		i = e;
	}
	/* ch[next..nch) are the chunks left (textwrap pops them from a reversed list) */
	size_t next = 0, lines = 0;
	struct chunk *line = rc ? NULL : mx_malloc((nch + 1) * sizeof *line);
	if (rc == 0 && line == NULL)
		rc = MX_ENOMEM;
	while (rc == 0 && next < nch) {
		size_t nl = 0, cur = 0;
		if (lines && all_space(s + ch[next].off, ch[next].len))
			next++;
		while (next < nch && cur + ch[next].cps <= width) {
			cur += ch[next].cps;
			line[nl++] = ch[next++];
		}
		if (next < nch && ch[next].cps > width) {
			size_t space = width < 1 ? 1 : width - cur;
			if (break_long) {
				struct chunk *c = &ch[next];
				size_t end = space; /* code points */
				if (hyphens && c->cps > space) {
					/* break after the last hyphen before space, if non-hyphens precede it */
					size_t off = c->off, lim = mx_utf8_offset(s + c->off, c->len, space);
					size_t hy = (size_t)-1, cpi = 0, hy_cp = 0;
					int nonhy = 0, nonhy_before = 0;
					for (size_t q = off; q < off + lim; cpi++) {
						if (s[q] == '-' && cpi > 0) {
							hy = q, hy_cp = cpi;
							nonhy_before = nonhy;
						}
						if (s[q] != '-')
							nonhy = 1;
						mx_utf8_next(s, off + c->len, &q);
					}
					if (hy != (size_t)-1 && nonhy_before)
						end = hy_cp + 1;
				}
				size_t cut = mx_utf8_offset(s + c->off, c->len, end);
				line[nl].off = c->off, line[nl].len = cut, line[nl].cps = end;
				nl++;
				c->off += cut, c->len -= cut, c->cps -= end;
			} else if (nl == 0) {
				line[nl++] = ch[next++];
			}
		}
		if (nl && all_space(s + line[nl - 1].off, line[nl - 1].len))
			nl--;
		if (nl) {
			if (lines++ || *nlines)
				rc = mx_buf_append(b, wrap, wrapn);
			for (size_t k = 0; k < nl && rc == 0; k++)
				rc = mx_buf_append(b, s + line[k].off, line[k].len);
		}
	}
	mx_free(line);
	mx_free(ch);
	*nlines += lines;
	return rc;
}

int mx_jinja_wordwrap(struct mx_buf *b, const char *s, size_t n, size_t width, int break_long, int hyphens,
                      const char *wrap, size_t wrapn)
{
	size_t pos = 0, st, en, nline = 0;
	int rc = 0;
	while (rc == 0 && mx_jinja_next_line(s, n, &pos, &st, &en)) {
		/* wrapstring.join(per-line results): an empty line still separates */
		size_t count = 0;
		if (nline++)
			rc = mx_buf_append(b, wrap, wrapn);
		if (rc == 0)
			rc = wrap_line(b, s + st, en - st, width, break_long, hyphens, wrap, wrapn, &count);
	}
	return rc;
}
