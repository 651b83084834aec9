/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pattern — the `pattern` keyword: compiled with PCRE2 (UTF, ECMA-262
 * `$`) when a type loads, matched with per-call match data (search
 * semantics, as JSON Schema). PCRE2 allocates through mx_malloc/mx_free.
 */
#include "types/types_int.h"

#include "core/alloc.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <stdio.h>
#include <string.h>

int mx_type_pattern_search(const struct mx_type *t, const char *s, size_t len)
{
	pcre2_code *re = t->pattern_re;
	pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
	if (md == NULL)
		return MX_ENOMEM;
	int rc = pcre2_match(re, (PCRE2_SPTR)s, len, 0, 0, md, NULL);
	pcre2_match_data_free(md);
	if (rc >= 0)
		return 1;
	if (rc == PCRE2_ERROR_NOMEMORY)
		return MX_ENOMEM;
	return 0; /* no match, invalid UTF-8, or a match limit hit */
}

int mx_type_pattern_compile(const char *file, const struct mx_yaml_node *map, const char *path,
                            struct mx_type *t, struct mx_err *err)
{
	pcre2_general_context *gc = pcre2_general_context_create(mx_malloc_ud, mx_free_ud, NULL);
	pcre2_compile_context *cc = gc ? pcre2_compile_context_create(gc) : NULL;
	if (cc == NULL) {
		pcre2_general_context_free(gc);
		return mx_type_oom(err);
	}
	int errcode = 0;
	PCRE2_SIZE erroff = 0;
	/* ECMA-262 (JSON Schema) '$' matches only at the very end */
	t->pattern_re = pcre2_compile((PCRE2_SPTR)t->pattern, strlen(t->pattern),
	                              PCRE2_UTF | PCRE2_DOLLAR_ENDONLY, &errcode, &erroff, cc);
	pcre2_compile_context_free(cc);
	pcre2_general_context_free(gc);
	if (t->pattern_re != NULL)
		return 0;
	if (errcode == PCRE2_ERROR_HEAP_FAILED)
		return mx_type_oom(err);
	PCRE2_UCHAR msg[256];
	if (pcre2_get_error_message(errcode, msg, sizeof msg) < 0)
		snprintf((char *)msg, sizeof msg, "error %d", errcode);
	const struct mx_yaml_node *n = mx_yaml_map_get(map, "pattern");
	char p[MX_TYPE_PATH_MAX];
	mx_yaml_path(p, sizeof p, path, "pattern");
	return mx_err_at(err, MX_EINVAL, file, n->line, n->col,
	                 "%s: invalid regular expression: %s at offset %zu", p, (const char *)msg,
	                 (size_t)erroff);
}

void mx_type_pattern_free(void *re)
{
	pcre2_code_free(re);
}
