/* SPDX-License-Identifier: Apache-2.0 */
/* query — `mxcp query "SQL" | --file F [--param k=v]`: ad-hoc SQL on the profile's database. */
#include "cli/common.h"

#include "core/alloc.h"
#include "core/buf.h"
#include "core/pytext.h"
#include "exec/invoke.h"
#include "model/project.h"

#include <stdio.h>
#include <string.h>

enum { OPT_FILE = MX_OPT_FIRST_COMMAND_OPTION };

static void print_help(void)
{
	printf("Usage: mxcp query [OPTIONS] [SQL]\n\n"
	       "  Execute a SQL query (or the SQL in --file) against the profile's\n"
	       "  database and print the rows. $name parameters come from --param.\n\n"
	       "Options:\n"
	       "  --file PATH        Read the SQL from a file\n"
	       "  -p, --param TEXT   Parameter as name=value, or name=@file.json (repeatable)\n"
	       "  --profile TEXT     Profile name to use\n"
	       "  --project-dir DIR  Run in the project in DIR (default: MXCP_PROJECT_DIR,\n"
	       "                     else the current folder and its parents)\n"
	       "  --json-output      Output in JSON format\n"
	       "  --readonly         Open the database read-only\n"
	       "  --debug            Show detailed debug information\n"
	       "  --help             Show this message and exit.\n");
}

/* Rows as an aligned text table. */
static void print_table(const json_t *rows)
{
	size_t nrows = json_array_size(rows);
	if (nrows == 0) {
		printf("No results returned\n");
		return;
	}
	json_t *first = json_array_get(rows, 0);
	size_t ncols = json_object_size(first);
	const char **names = mx_calloc(ncols ? ncols : 1, sizeof *names);
	size_t *width = mx_calloc(ncols ? ncols : 1, sizeof *width);
	size_t ncells = nrows * ncols;
	char **cells = mx_calloc(ncells ? ncells : 1, sizeof *cells);
	if (names == NULL || width == NULL || cells == NULL)
		goto done;
	size_t k = 0;
	const char *key;
	json_t *v;
	json_object_foreach (first, key, v) {
		names[k] = key;
		width[k] = strlen(key);
		k++;
	}
	for (size_t r = 0; r < nrows; r++) {
		json_t *row = json_array_get(rows, r);
		for (size_t col = 0; col < ncols; col++) {
			json_t *cell = json_object_get(row, names[col]);
			/* a float as its shortest round-trip text (0.3, not
			 * 0.29999999999999999), as Python prints it */
			char num[40];
			if (json_is_real(cell))
				mx_pytext_float(json_real_value(cell), num, sizeof num);
			char *s = json_is_real(cell)     ? mx_strdup(num)
			          : json_is_string(cell) ? mx_strdup(json_string_value(cell))
			          : json_is_null(cell) || cell == NULL
			                  ? mx_strdup("NULL")
			                  : json_dumps(cell, JSON_COMPACT | JSON_ENCODE_ANY);
			cells[r * ncols + col] = s;
			size_t w = s ? strlen(s) : 0;
			width[col] = w > width[col] ? w : width[col];
		}
	}
	for (size_t col = 0; col < ncols; col++)
		printf("%s%-*s", col ? " | " : "", (int)width[col], names[col]);
	printf("\n");
	for (size_t col = 0; col < ncols; col++) {
		printf("%s", col ? "-+-" : "");
		for (size_t i = 0; i < width[col]; i++)
			putchar('-');
	}
	printf("\n");
	for (size_t r = 0; r < nrows; r++) {
		for (size_t col = 0; col < ncols; col++)
			printf("%s%-*s", col ? " | " : "", (int)width[col],
			       cells[r * ncols + col] ? cells[r * ncols + col] : "");
		printf("\n");
	}
	printf("(%zu row%s)\n", nrows, nrows == 1 ? "" : "s");
done:
	for (size_t i = 0; cells && i < nrows * ncols; i++)
		mx_free(cells[i]);
	mx_free(cells);
	mx_free(width);
	mx_free(names);
}

int mx_cmd_query(int argc, char **argv)
{
	static const struct option opts[] = {MX_CLI_COMMON_OPTIONS,
	                                     {"param", required_argument, NULL, 'p'},
	                                     {"file", required_argument, NULL, OPT_FILE},
	                                     {0}};
	struct mx_cli cli = {.command = "query"};
	json_t *args = json_object();
	const char *file = NULL;
	char *sql = NULL;
	int rc = 0, c;
	while (rc == 0 && (c = mx_cli_getopt(&cli, argc, argv, "hp:", opts)) != -1) {
		switch (c) {
		case 'h': print_help(); goto out;
		case 'p': rc = mx_cli_add_param(&cli, args, optarg); break;
		case OPT_FILE: file = optarg; break;
		default: rc = mx_cli_other_option(&cli, c, argv);
		}
	}
	if (rc)
		goto out;
	int nsql = argc - optind;
	if ((nsql == 1) == (file != NULL) || nsql > 1) {
		rc = mx_cli_usage_error(&cli, "Give exactly one of a SQL argument or --file.");
		goto out;
	}
	if (file) {
		struct mx_buf b;
		mx_buf_init(&b, 16u << 20);
		if (mx_buf_read_file(&b, file)) {
			mx_buf_free(&b);
			rc = mx_cli_usage_error(&cli, "SQL file not found: %s", file);
			goto out;
		}
		sql = mx_buf_detach(&b);
	} else {
		sql = mx_strdup(argv[optind]);
	}
	mx_cli_setup_logging(&cli);

	struct mx_project_options popt = {.profile = cli.profile, .readonly = cli.readonly};
	struct mx_project *p = NULL;
	struct mx_err err;
	if (mx_project_load(&popt, &p, &err)) {
		rc = mx_cli_fail(&cli, &err);
		goto out;
	}
	struct mx_runtime *rt = NULL;
	struct mx_dbconn *conn = NULL;
	json_t *rows = NULL;
	size_t n = json_object_size(args), k = 0;
	struct mx_sql_param *params = mx_calloc(n ? n : 1, sizeof *params);
	const char *key;
	json_t *val;
	json_object_foreach (args, key, val) {
		params[k].name = key;
		params[k].value = val;
		k++;
	}
	if (mx_runtime_open(p, &rt, &err) || mx_db_connect(mx_runtime_db(rt), &conn, &err) ||
	    mx_sql_script(conn, sql, params, k, &rows, &err)) {
		if (err.code == MX_EDB)
			mx_err_prefix(&err, "Failed to execute SQL");
		rc = mx_cli_fail(&cli, &err);
	} else if (cli.json_output) {
		mx_cli_print_ok(rows);
		rows = NULL;
	} else {
		print_table(rows);
	}
	mx_free(params);
	json_decref(rows);
	mx_dbconn_close(conn);
	mx_runtime_close(rt);
	mx_project_unref(p);
out:
	mx_free(sql);
	json_decref(args);
	return rc;
}
