/* SPDX-License-Identifier: Apache-2.0 */
/* common — see common.h. */
#include "cli/common.h"

#include "core/alloc.h"
#include "core/buf.h"
#include "core/json.h"
#include "core/log.h"
#include "core/suggest.h"
#include "model/project.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int mx_cli_common_option(struct mx_cli *cli, int c, const char *arg)
{
	switch (c) {
	case MX_OPT_PROFILE: cli->profile = arg; return 1;
	case MX_OPT_JSON: cli->json_output = 1; return 1;
	case MX_OPT_DEBUG: cli->debug = 1; return 1;
	case MX_OPT_READONLY: cli->readonly = 1; return 1;
	case MX_OPT_PROJECT_DIR: cli->project_dir = arg; return 1;
	default: return 0;
	}
}

int mx_cli_getopt(struct mx_cli *cli, int argc, char **argv, const char *shortopts, const struct option *opts)
{
	if (cli->opts == NULL) {
		cli->opts = opts;
		optind = 0;
		opterr = 0;
	}
	/* A leading '+' would stop at the first positional argument (POSIX);
	 * Click takes options anywhere, so permute instead. */
	if (shortopts[0] == '+')
		shortopts++;
	return getopt_long(argc, argv, shortopts, opts, NULL);
}

void mx_cli_setup_logging(const struct mx_cli *cli)
{
	int lvl = mx_log_parse_level(getenv("MXCP_LOG_LEVEL"));
	if (lvl >= 0)
		mx_log_set_level((enum mx_log_level)lvl);
	if (cli->debug || mx_env_flag("MXCP_DEBUG"))
		mx_log_set_level(MX_LOG_DEBUG);
	const char *dir = cli->project_dir;
	const char *what = "--project-dir";
	if (dir == NULL || *dir == '\0') {
		dir = getenv("MXCP_PROJECT_DIR");
		what = "MXCP_PROJECT_DIR";
	}
	if (dir == NULL || *dir == '\0' || cli->stay)
		return;
	if (chdir(dir) != 0) {
		int e = errno;
		exit(mx_cli_failf(cli, "%s %s: %s", what, dir, strerror(e)));
	}
	mx_debug("project folder: %s (%s)", dir, what);
}

const char *mx_cli_did_you_mean(const char *word, const char *const *candidates, size_t n)
{
	static char buf[320];
	const char *s = mx_suggest(word, candidates, n);
	if (s == NULL)
		return "";
	snprintf(buf, sizeof buf, " Did you mean '%s'?", s);
	return buf;
}

/* The long options of the table that could be meant by a mistyped one. */
static const char *suggest_option(const struct mx_cli *cli, const char *arg)
{
	if (cli->opts == NULL || strncmp(arg, "--", 2) != 0)
		return "";
	char word[128];
	snprintf(word, sizeof word, "%s", arg + 2);
	char *eq = strchr(word, '=');
	if (eq)
		*eq = '\0';
	const char *names[128];
	size_t n = 0;
	for (const struct option *o = cli->opts; o->name && n < 128; o++)
		names[n++] = o->name;
	const char *s = mx_suggest(word, names, n);
	if (s == NULL)
		return "";
	static char buf[192];
	snprintf(buf, sizeof buf, " Did you mean --%s?", s); /* Click's wording */
	return buf;
}

int mx_cli_usage_error(const struct mx_cli *cli, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	fprintf(stderr, "Usage: mxcp %s [OPTIONS]\nTry 'mxcp %s --help' for help.\n\nError: %s\n",
	        cli->command, cli->command, msg);
	return MX_EXIT_USAGE;
}

int mx_cli_bad_option(const struct mx_cli *cli, char **argv)
{
	const char *arg = argv[optind - 1];
	if (optopt && strncmp(arg, "--", 2) != 0)
		return mx_cli_usage_error(cli, "Option '-%c' requires an argument or does not exist.",
		                          optopt);
	/* A known long option here only lacks its value. */
	if (cli->opts && strncmp(arg, "--", 2) == 0)
		for (const struct option *o = cli->opts; o->name; o++)
			if (strcmp(o->name, arg + 2) == 0)
				return mx_cli_usage_error(cli, "Option '%s' requires an argument.", arg);
	return mx_cli_usage_error(cli, "No such option: %s%s", arg, suggest_option(cli, arg));
}

void mx_cli_print_json(const json_t *v)
{
	mx_json_print(stdout, v, MX_JSON_PRETTY);
	fflush(stdout);
}

void mx_cli_print_ok(json_t *result)
{
	json_t *env = json_pack("{s:s, s:o}", "status", "ok", "result", result ? result : json_null());
	mx_cli_print_json(env);
	json_decref(env);
}

int mx_cli_fail(const struct mx_cli *cli, const struct mx_err *err)
{
	char msg[MX_ERR_MSG_MAX + MX_ERR_FILE_MAX + 64];
	mx_err_format(err, msg, sizeof msg);
	if (cli->json_output) {
		json_t *env = json_pack("{s:s, s:s}", "status", "error", "error", msg);
		mx_cli_print_json(env);
		json_decref(env);
	} else {
		fprintf(stderr, "Error: %s\n", msg);
	}
	return err->code == MX_EUSAGE ? MX_EXIT_USAGE : MX_EXIT_FAIL;
}

int mx_cli_failf(const struct mx_cli *cli, const char *fmt, ...)
{
	struct mx_err e;
	va_list ap;
	va_start(ap, fmt);
	mx_err_setv(&e, MX_EINVAL, fmt, ap);
	va_end(ap);
	return mx_cli_fail(cli, &e);
}

int mx_cli_tty(void)
{
	return isatty(STDOUT_FILENO);
}

void mx_cli_print_indented(const char *msg, int indent)
{
	for (const char *p = msg; *p; p++) {
		putchar(*p);
		if (*p == '\n' && p[1])
			printf("%*s", indent, "");
	}
}

static int load_json_file(const struct mx_cli *cli, const char *path, const char *what, json_t **out)
{
	struct mx_buf b;
	mx_buf_init(&b, 64u << 20);
	int rc = mx_buf_read_file(&b, path);
	if (rc) {
		mx_buf_free(&b);
		return mx_cli_usage_error(cli, "%s file not found: %s", what, path);
	}
	json_error_t jerr;
	*out = json_loadb(b.p, b.len, JSON_DECODE_ANY, &jerr);
	mx_buf_free(&b);
	if (*out == NULL)
		return mx_cli_usage_error(cli, "Invalid JSON in file %s: %s (line %d, column %d)", path,
		                          jerr.text, jerr.line, jerr.column);
	return 0;
}

int mx_cli_add_param(const struct mx_cli *cli, json_t *obj, const char *spec)
{
	const char *eq = strchr(spec, '=');
	if (eq == NULL || eq == spec)
		return mx_cli_usage_error(
		        cli, "Parameter must be in format name=value or name=@file.json: %s", spec);
	char *name = mx_strndup(spec, (size_t)(eq - spec));
	const char *value = eq + 1;
	json_t *v = NULL;
	int rc = 0;
	if (value[0] == '@')
		rc = load_json_file(cli, value + 1, "JSON", &v);
	else
		v = json_string(value);
	if (rc == 0 && v == NULL)
		rc = mx_cli_usage_error(cli, "Parameter value for %s is not valid UTF-8", name);
	if (rc == 0)
		json_object_set_new(obj, name, v);
	mx_free(name);
	return rc;
}

int mx_cli_json_arg(const struct mx_cli *cli, const char *what, const char *arg, json_t **out)
{
	if (arg[0] == '@')
		return load_json_file(cli, arg + 1, what, out);
	json_error_t jerr;
	*out = json_loads(arg, JSON_DECODE_ANY, &jerr);
	if (*out == NULL)
		return mx_cli_usage_error(cli, "Invalid JSON in %s: %s", what, jerr.text);
	return 0;
}

int mx_cli_other_option(struct mx_cli *cli, int c, char **argv)
{
	if (c == '?')
		return mx_cli_bad_option(cli, argv);
	if (mx_cli_common_option(cli, c, optarg))
		return 0;
	return mx_cli_usage_error(cli, "No such option: %s%s", argv[optind - 1],
	                          suggest_option(cli, argv[optind - 1]));
}
