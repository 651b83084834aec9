/* SPDX-License-Identifier: Apache-2.0 */
/*
 * regex — CEL's matches() over PCRE2, with RE2's syntax checked first:
 * patterns are compiled once per program (constant patterns at compile),
 * matched with per-call match data, and bounded by a match limit. PCRE2
 * allocates through mx_malloc/mx_free.
 */
#include "cel/cel_int.h"

#include "core/alloc.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <stdio.h>

int mx_cel_regex_init(struct mx_cel_program *p)
{
	pcre2_general_context *g = pcre2_general_context_create(mx_malloc_ud, mx_free_ud, NULL);
	pcre2_match_context *m = g ? pcre2_match_context_create(g) : NULL;
	if (m == NULL) {
		pcre2_general_context_free(g);
		return MX_ENOMEM;
	}
	/* PCRE2 backtracks where RE2 would not: bound the work per match */
	pcre2_set_match_limit(m, 1000000);
	pcre2_set_depth_limit(m, 10000);
	pcre2_set_heap_limit(m, 16 * 1024);
	p->re_gctx = g;
	p->re_mctx = m;
	return 0;
}

void mx_cel_regex_fini(struct mx_cel_program *p)
{
	pcre2_match_context_free(p->re_mctx);
	pcre2_general_context_free(p->re_gctx);
}

/* RE2 has no backreferences, lookaround, atomic groups, recursion or conditionals. */
static const char *re2_unsupported(const char *s, size_t n)
{
	bool in_class = false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '\\') {
			if (i + 1 < n) {
				char d = s[i + 1];
				if ((d >= '1' && d <= '9') || d == 'g' || d == 'k')
					return "backreferences are not supported";
				if (d == 'K' || d == 'G' || d == 'R' || d == 'X')
					return "unsupported escape";
			}
			i++;
			continue;
		}
		if (in_class) {
			if (c == ']')
				in_class = false;
			continue;
		}
		if (c == '[') {
			in_class = true;
			if (i + 1 < n && s[i + 1] == '^')
				i++;
			if (i + 1 < n && s[i + 1] == ']')
				i++;
			continue;
		}
		if (c == '(' && i + 2 < n && s[i + 1] == '?') {
			char d = s[i + 2];
			if (d == '=' || d == '!' || d == '>' || d == '(' || d == '|' || d == 'R' ||
			    d == '&' || (d >= '0' && d <= '9') || d == '+' || d == '#' ||
			    (d == '<' && i + 3 < n && (s[i + 3] == '=' || s[i + 3] == '!')))
				return "unsupported group syntax (RE2)";
		}
		if (c == '(' && i + 1 < n && s[i + 1] == '*')
			return "unsupported verb (RE2)";
		if ((c == '+' || c == '*' || c == '?' || c == '}') && i + 1 < n && s[i + 1] == '+')
			return "possessive quantifiers are not supported";
	}
	return NULL;
}

void *mx_cel_regex_compile(const struct mx_cel_program *p, const char *re, size_t n, char *msg, size_t msgsz)
{
	const char *why = re2_unsupported(re, n);
	if (why != NULL) {
		snprintf(msg, msgsz, "%s", why);
		return NULL;
	}
	pcre2_compile_context *cc = pcre2_compile_context_create(p->re_gctx);
	if (cc == NULL) {
		snprintf(msg, msgsz, "out of memory");
		return NULL;
	}
	pcre2_set_max_pattern_length(cc, 16384);
	int code = 0;
	PCRE2_SIZE off = 0;
	pcre2_code *c =
	        pcre2_compile((PCRE2_SPTR)re, n, PCRE2_UTF | PCRE2_DOLLAR_ENDONLY | PCRE2_NEVER_BACKSLASH_C,
	                      &code, &off, cc);
	pcre2_compile_context_free(cc);
	if (c == NULL) {
		PCRE2_UCHAR m[160];
		if (pcre2_get_error_message(code, m, sizeof m) < 0)
			snprintf((char *)m, sizeof m, "error %d", code);
		snprintf(msg, msgsz, "%s at offset %zu", (const char *)m, (size_t)off);
	}
	return c;
}

void mx_cel_regex_free(void *code)
{
	pcre2_code_free(code);
}

int mx_cel_regex_search(const struct mx_cel_program *p, const void *code, const char *s, size_t n, char *msg,
                        size_t msgsz)
{
	pcre2_match_data *md = pcre2_match_data_create(1, p->re_gctx);
	if (md == NULL) {
		snprintf(msg, msgsz, "out of memory");
		return -1;
	}
	int rc = pcre2_match(code, (PCRE2_SPTR)s, n, 0, 0, md, p->re_mctx);
	pcre2_match_data_free(md);
	if (rc >= 0)
		return 1;
	if (rc == PCRE2_ERROR_NOMATCH)
		return 0;
	PCRE2_UCHAR m[160];
	if (pcre2_get_error_message(rc, m, sizeof m) < 0)
		snprintf((char *)m, sizeof m, "error %d", rc);
	snprintf(msg, msgsz, "regex match failed: %s", (const char *)m);
	return -1;
}
