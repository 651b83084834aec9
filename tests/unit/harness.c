/* SPDX-License-Identifier: Apache-2.0 */
/* harness — see harness.h. Test code may use libc allocation directly. */
#include "harness.h"

#include "core/alloc.h"
#include "core/fs.h"
#include "core/json.h"
#include "exec/invoke.h"
#include "exec/sql.h"
#include "model/project.h"

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

void mx_test_write(const char *dir, const char *rel, const char *content)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, rel);
	mx_fs_mkdir_parent(path, 0755, NULL, 0);
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

int mx_test_db_setup(void **state)
{
	static struct mx_test_db f;
	struct mx_db_options opt = {.path = ":memory:"};
	struct mx_err err;
	if (mx_db_open(&opt, &f.db, &err) != 0)
		fail_msg("open: %s", err.msg);
	if (mx_db_connect(f.db, &f.c, &err) != 0)
		fail_msg("connect: %s", err.msg);
	*state = &f;
	return 0;
}

int mx_test_db_teardown(void **state)
{
	struct mx_test_db *f = *state;
	mx_dbconn_close(f->c);
	mx_db_close(f->db);
	return 0;
}

void mx_test_open_project(const char *dir, struct mx_project **p, struct mx_runtime **rt,
                          struct mx_dbconn **conn)
{
	struct mx_project_options popt = {.dir = dir};
	struct mx_err err;
	*p = NULL;
	*rt = NULL;
	*conn = NULL;
	if (mx_project_load(&popt, p, &err) || mx_runtime_open(*p, rt, &err) ||
	    mx_db_connect(mx_runtime_db(*rt), conn, &err))
		fail_msg("%s", err.msg);
}

json_t *mx_test_json(const char *text)
{
	json_error_t jerr;
	json_t *v = json_loads(text, JSON_DECODE_ANY, &jerr);
	if (v == NULL)
		fail_msg("bad JSON in test: %s: %s", text, jerr.text);
	return v;
}
