/* SPDX-License-Identifier: Apache-2.0 */
/*
 * common — what every command shares: the global flags (--profile, --debug,
 * --json-output, --readonly, --project-dir), option parsing (options go
 * anywhere among the arguments, as Click accepts them), logging set-up,
 * MXCP's output envelopes
 * ({"status":"ok","result":…} / {"status":"error","error":…}) and exit codes
 * (0 ok, 1 failure, 2 usage error).
 */
#ifndef MX_CLI_COMMON_H
#define MX_CLI_COMMON_H

#include "core/err.h"

#include <getopt.h>
#include <jansson.h>

#define MX_EXIT_OK 0
#define MX_EXIT_FAIL 1
#define MX_EXIT_USAGE 2

struct mx_cli {
	const char *command; /* "list", "run", … */
	const char *profile;
	const char *project_dir; /* --project-dir, else MXCP_PROJECT_DIR */
	int json_output;
	int debug;
	int readonly;
	const struct option *opts; /* the command's table, for "did you mean" */
	int stay; /* do not enter the project folder (init creates it) */
};

/* Options every command takes, to splice into a getopt_long table. */
enum {
	MX_OPT_PROFILE = 1000,
	MX_OPT_JSON,
	MX_OPT_DEBUG,
	MX_OPT_READONLY,
	MX_OPT_HELP,
	MX_OPT_PROJECT_DIR,
	MX_OPT_FIRST_COMMAND_OPTION, /* commands number their own long options from here */
};

#define MX_CLI_COMMON_OPTIONS                                                                                \
	{"profile", required_argument, NULL, MX_OPT_PROFILE},                                                \
	        {"json-output", no_argument, NULL, MX_OPT_JSON}, {"debug", no_argument, NULL, MX_OPT_DEBUG}, \
	        {"readonly", no_argument, NULL, MX_OPT_READONLY},                                            \
	        {"project-dir", required_argument, NULL, MX_OPT_PROJECT_DIR},                                \
	{                                                                                                    \
		"help", no_argument, NULL, 'h'                                                               \
	}

/* getopt_long over a command's arguments, options anywhere (GNU
 * permutation: `mxcp validate tools/x.yml --json-output`); `--` ends the
 * options. The first call for a cli resets getopt and remembers opts. */
int mx_cli_getopt(struct mx_cli *cli, int argc, char **argv, const char *shortopts,
                  const struct option *opts);

/* Handle a common option (returns 1 when c was one). */
int mx_cli_common_option(struct mx_cli *cli, int c, const char *arg);
/* Apply --debug / MXCP_DEBUG / MXCP_LOG_LEVEL, then enter the project
 * folder (--project-dir, else MXCP_PROJECT_DIR: a chdir, like `git -C`, so
 * relative paths on the command line are relative to it too). Called by
 * every command once its arguments are parsed, before anything is opened:
 * a folder that cannot be entered is reported and the process exits 1. */
void mx_cli_setup_logging(const struct mx_cli *cli);
/* " Did you mean 'x'?" for word among n candidates, or "" (static buffer). */
const char *mx_cli_did_you_mean(const char *word, const char *const *candidates, size_t n);

/* Print a usage error ("Error: …" + "Try 'mxcp CMD --help'") and return 2. */
int mx_cli_usage_error(const struct mx_cli *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Any option a command does not handle itself: a common one (0), getopt's
 * '?' (an unknown option or a missing value) or another unknown one (2,
 * with the usage error printed). */
int mx_cli_other_option(struct mx_cli *cli, int c, char **argv);
/* getopt said '?': an unknown option or a missing value. Returns 2. */
int mx_cli_bad_option(const struct mx_cli *cli, char **argv);
/* Report a failure (JSON envelope on stdout, or "Error: …" on stderr); returns 1. */
int mx_cli_fail(const struct mx_cli *cli, const struct mx_err *err);
int mx_cli_failf(const struct mx_cli *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Print {"status":"ok","result":result} (steals the reference). */
void mx_cli_print_ok(json_t *result);
/* Print JSON pretty-printed with a newline (borrows). */
void mx_cli_print_json(const json_t *v);

/* Is stdout a terminal (colour, tables)? */
int mx_cli_tty(void);
/* ANSI colour for marks at a terminal: mx_cli_color(tty, MX_CLI_GREEN) is
 * the escape when tty is set, "" otherwise; MX_CLI_RESET ends it. */
#define MX_CLI_GREEN "\033[32m"
#define MX_CLI_RED "\033[31m"
#define MX_CLI_BOLD "\033[1m"
#define MX_CLI_RESET "\033[0m"
static inline const char *mx_cli_color(int tty, const char *code)
{
	return tty ? code : "";
}
/* Print msg with every line after the first indented by indent spaces. */
void mx_cli_print_indented(const char *msg, int indent);

/* Parse --param values ("k=v" or "k=@file.json") into obj. Usage errors → 2. */
int mx_cli_add_param(const struct mx_cli *cli, json_t *obj, const char *spec);
/* Parse a JSON argument that may be "@file" (user context, request headers). */
int mx_cli_json_arg(const struct mx_cli *cli, const char *what, const char *arg, json_t **out);

/* Command entry points. */
int mx_cmd_init(int argc, char **argv);
int mx_cmd_list(int argc, char **argv);
int mx_cmd_validate(int argc, char **argv);
int mx_cmd_run(int argc, char **argv);
int mx_cmd_query(int argc, char **argv);
int mx_cmd_serve(int argc, char **argv);
int mx_cmd_log(int argc, char **argv);
int mx_cmd_test(int argc, char **argv);
int mx_cmd_lint(int argc, char **argv);
int mx_cmd_evals(int argc, char **argv);
int mx_cmd_log_cleanup(int argc, char **argv);
int mx_cmd_drift_snapshot(int argc, char **argv);
int mx_cmd_drift_check(int argc, char **argv);
int mx_cmd_dbt_config(int argc, char **argv);
int mx_cmd_dbt(int argc, char **argv);

#endif
