/* SPDX-License-Identifier: Apache-2.0 */
/* harness — see harness.h. Test code may use libc allocation directly. */
#include "harness.h"

#include "core/alloc.h"
#include "core/json.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *mx_test_source_dir(void)
{
	const char *s = getenv("MXCP_SOURCE_DIR");
	return s && *s ? s : ".";
}

const char *mx_test_path(const char *rel)
{
	static char bufs[8][4096];
	static int next;
	char *b = bufs[next++ % 8];
	snprintf(b, sizeof bufs[0], "%s/%s", mx_test_source_dir(), rel);
	return b;
}

void mx_test_tmpdir(char *out, size_t outsz)
{
	const char *base = getenv("TMPDIR");
	snprintf(out, outsz, "%s/mxcp-test-XXXXXX", base && *base ? base : "/tmp");
	if (mkdtemp(out) == NULL)
		fail_msg("mkdtemp %s: %s", out, strerror(errno));
}

static void mkdirs(const char *path)
{
	char tmp[4096];
	snprintf(tmp, sizeof tmp, "%s", path);
	for (char *p = tmp + 1; *p; p++) {
		if (*p == '/') {
			*p = '\0';
			mkdir(tmp, 0755);
			*p = '/';
		}
	}
}

void mx_test_write(const char *dir, const char *rel, const char *content)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, rel);
	mkdirs(path);
	FILE *f = fopen(path, "wb");
	if (f == NULL)
		fail_msg("cannot write %s: %s", path, strerror(errno));
	fputs(content, f);
	fclose(f);
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void mx_test_rmrf(const char *dir)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

void mx_test_json_eq(const char *expected_text, const json_t *got, const char *file, int line)
{
	json_error_t jerr;
	json_t *exp = json_loads(expected_text, JSON_DECODE_ANY, &jerr);
	if (exp == NULL)
		fail_msg("%s:%d: bad expected JSON: %s", file, line, jerr.text);
	if (got == NULL || !mx_json_equal_num(exp, got)) {
		char *g = got ? mx_json_dumps(got, MX_JSON_SORTED) : NULL;
		char *e = mx_json_dumps(exp, MX_JSON_SORTED);
		print_error("%s:%d: JSON differs\n  expected: %s\n  got:      %s\n", file, line, e,
		            g ? g : "(null)");
		mx_free(g);
		mx_free(e);
		json_decref(exp);
		_fail(file, line);
	}
	json_decref(exp);
}
