/* SPDX-License-Identifier: Apache-2.0 */
/*
 * serve — `mxcp serve`: parse the flags, hand them to the server
 * (src/server/: load, open, validate, serve, reload, stop) and print what
 * a user reads: the help, MXCP's startup report when endpoints are
 * invalid, and any error. The server's own life is in src/server/.
 *
 * In stdio mode stdout belongs to the protocol from the first moment
 * (the server takes it), so every report goes to stderr.
 */
#include "cli/common.h"

#include "core/json.h"
#include "core/log.h"
#include "model/project.h"
#include "server/server.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum {
	OPT_TRANSPORT = MX_OPT_FIRST_COMMAND_OPTION,
	OPT_PORT,
	OPT_HOST,
	OPT_SQL_TOOLS,
	OPT_STATELESS,
	OPT_IGNORE_ERRORS,
	OPT_SESSION_TIMEOUT,
	OPT_MAX_SESSIONS,
};

static void print_help(void)
{
	printf("Usage: mxcp serve [OPTIONS]\n\n"
	       "  Start the MCP server for this project: streamable HTTP on /mcp (default,\n"
	       "  port 8000), the legacy HTTP+SSE transport, or --transport stdio, which\n"
	       "  speaks MCP (newline-delimited JSON-RPC) on stdin/stdout, the way Claude\n"
	       "  Desktop and other MCP clients launch local servers.\n\n"
	       "Options:\n"
	       "  --transport [streamable-http|sse|stdio]\n"
	       "                             Transport (default: the user config's\n"
	       "                             transport.provider, else streamable-http)\n"
	       "  --port INTEGER             Port for the HTTP transports\n"
	       "  --host TEXT                Host for the HTTP transports\n"
	       "  --sql-tools [true|false]   Enable or disable the built-in SQL tools\n"
	       "  --readonly                 Open the database read-only\n"
	       "  --stateless                Stateless HTTP mode\n"
	       "  --session-timeout SECONDS  Close HTTP sessions idle this long (default 1800)\n"
	       "  --max-sessions INTEGER     Most open HTTP sessions (default 10000)\n"
	       "  --ignore-errors            Serve the valid endpoints, skip invalid ones\n"
	       "  --profile TEXT             Profile name to use\n"
	       "  --project-dir DIR          Run in the project in DIR (default: MXCP_PROJECT_DIR,\n"
	       "                             else the current folder and its parents)\n"
	       "  --json-output              Startup failure report as JSON\n"
	       "  --debug                    Show detailed debug information\n"
	       "  --help                     Show this message and exit.\n");
}

struct serve_flags {
	const char *transport; /* NULL: from the user config */
	long port; /* 0: from the user config */
	const char *host;
	int sql_tools; /* -1: from mxcp-site.yml */
	int stateless;
	int ignore_errors;
	long session_timeout; /* 0: default */
	long max_sessions; /* 0: default */
};

/* ------------------------------------------------------ startup report */

/* MXCP's report: text on stderr; JSON on stdout (stderr in stdio mode,
 * where stdout is the protocol). */
static void print_report(const struct mx_cli *cli, const struct mx_server_failure *v, size_t n,
                         int stdio_mode)
{
	char msg[MX_ERR_MSG_MAX + MX_ERR_FILE_MAX + 64];
	if (cli->json_output) {
		json_t *list = json_array();
		for (size_t i = 0; i < n; i++) {
			mx_err_format(&v[i].err, msg, sizeof msg);
			json_array_append_new(list,
			                      json_pack("{s:s, s:s}", "path", v[i].relpath, "error", msg));
		}
		char head[96];
		snprintf(head, sizeof head, "Found %zu endpoint(s) with errors", n);
		json_t *doc = json_pack("{s:s, s:s, s:o}", "status", "error", "message", head,
		                        "failed_endpoints", list);
		if (stdio_mode)
			mx_json_print(stderr, doc, MX_JSON_PRETTY);
		else
			mx_cli_print_json(doc);
		json_decref(doc);
		return;
	}
	fprintf(stderr, "\n❌ Server startup failed!\n\nFound %zu endpoint(s) with errors\n\n", n);
	for (size_t i = 0; i < n; i++) {
		mx_err_format(&v[i].err, msg, sizeof msg);
		fprintf(stderr, "  ✗ %s\n    Error: %s\n", v[i].relpath, msg);
	}
	fprintf(stderr, "\nTip: fix the errors above (`mxcp validate` shows them too), or start with\n"
	                "--ignore-errors to serve the valid endpoints and skip the invalid ones.\n");
}

static int parse_count(const char *s, long max, long *out)
{
	char *end = NULL;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 1 || v > max)
		return -1;
	*out = v;
	return 0;
}

static int parse_flags(int argc, char **argv, struct mx_cli *cli, struct serve_flags *f)
{
	static const struct option opts[] = {
	        MX_CLI_COMMON_OPTIONS,
	        {"transport", required_argument, NULL, OPT_TRANSPORT},
	        {"port", required_argument, NULL, OPT_PORT},
	        {"host", required_argument, NULL, OPT_HOST},
	        {"sql-tools", required_argument, NULL, OPT_SQL_TOOLS},
	        {"stateless", no_argument, NULL, OPT_STATELESS},
	        {"ignore-errors", no_argument, NULL, OPT_IGNORE_ERRORS},
	        {"session-timeout", required_argument, NULL, OPT_SESSION_TIMEOUT},
	        {"max-sessions", required_argument, NULL, OPT_MAX_SESSIONS},
	        {0}};
	int c;
	while ((c = mx_cli_getopt(cli, argc, argv, "h", opts)) != -1) {
		switch (c) {
		case 'h': print_help(); return -1;
		case OPT_TRANSPORT:
			if (!mx_server_transport_valid(optarg))
				return mx_cli_usage_error(
				        cli,
				        "Invalid value for '--transport': '%s' is not one of "
				        "'streamable-http', 'sse', 'stdio'.",
				        optarg);
			f->transport = optarg;
			break;
		case OPT_PORT: {
			char *end = NULL;
			errno = 0;
			long port = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || port < 1 || port > 65535)
				return mx_cli_usage_error(
				        cli, "Invalid value for '--port': '%s' is not a valid port.", optarg);
			f->port = port;
			break;
		}
		case OPT_HOST: f->host = optarg; break;
		case OPT_SQL_TOOLS:
			if (strcmp(optarg, "true") && strcmp(optarg, "false"))
				return mx_cli_usage_error(cli,
				                          "Invalid value for '--sql-tools': '%s' is not one "
				                          "of 'true', 'false'.",
				                          optarg);
			f->sql_tools = optarg[0] == 't';
			break;
		case OPT_STATELESS: f->stateless = 1; break;
		case OPT_IGNORE_ERRORS: f->ignore_errors = 1; break;
		case OPT_SESSION_TIMEOUT:
			if (parse_count(optarg, 86400 * 365, &f->session_timeout))
				return mx_cli_usage_error(cli,
				                          "Invalid value for '--session-timeout': '%s' is "
				                          "not a number of seconds.",
				                          optarg);
			break;
		case OPT_MAX_SESSIONS:
			if (parse_count(optarg, 10000000, &f->max_sessions))
				return mx_cli_usage_error(
				        cli,
				        "Invalid value for '--max-sessions': '%s' is not a positive integer.",
				        optarg);
			break;
		default: {
			int rc = mx_cli_other_option(cli, c, argv);
			if (rc)
				return rc;
		}
		}
	}
	if (optind < argc)
		return mx_cli_usage_error(cli, "Got unexpected extra argument (%s)", argv[optind]);
	return 0;
}

/* Typed at a terminal, a stdio server prints nothing and would look frozen:
 * say on stderr what it waits for. */
static void say_waiting(void)
{
	fprintf(stderr,
	        "mxcp: serving MCP over stdio: waiting for JSON-RPC messages on stdin, one per line.\n"
	        "  This is how an MCP client (Claude Desktop, the MCP Inspector) runs mxcp; to try it\n"
	        "  by hand, type {\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"} and Enter. Ctrl-D "
	        "stops the server.\n"
	        "  For a browser UI: npx @modelcontextprotocol/inspector -- mxcp serve --transport stdio\n");
}

int mx_cmd_serve(int argc, char **argv)
{
	struct mx_cli cli = {.command = "serve"};
	struct serve_flags f = {.sql_tools = -1};
	int rc = parse_flags(argc, argv, &cli, &f);
	if (rc)
		return rc < 0 ? MX_EXIT_OK : rc;
	/* A server says what it does (listening, reloads, shutdown) unless told
	 * otherwise: INFO by default for serve, where other commands stay quiet. */
	if (mx_log_parse_level(getenv("MXCP_LOG_LEVEL")) < 0)
		mx_log_set_level(MX_LOG_INFO);
	mx_cli_setup_logging(&cli);

	struct mx_server_config cfg = {
	        .profile = cli.profile,
	        .readonly = cli.readonly,
	        .debug = cli.debug || mx_env_flag("MXCP_DEBUG"),
	        .transport = f.transport,
	        .host = f.host,
	        .port = (int)f.port,
	        .stateless = f.stateless,
	        .sql_tools = f.sql_tools,
	        .ignore_errors = f.ignore_errors,
	        .session_timeout = (unsigned)f.session_timeout,
	        .max_sessions = (size_t)f.max_sessions,
	};
	struct mx_server *srv = NULL;
	struct mx_err err;
	int status = MX_EXIT_OK;
	rc = mx_server_new(&cfg, &srv, &err);
	if (rc == 0)
		rc = mx_server_load(srv, &err);
	const struct mx_server_failure *bad = NULL;
	size_t nbad = rc && srv ? mx_server_failures(srv, &bad) : 0;
	if (nbad > 0) {
		print_report(&cli, bad, nbad, mx_server_stdio(srv));
		status = MX_EXIT_FAIL;
	} else {
		if (rc == 0 && mx_server_stdio(srv) && isatty(STDIN_FILENO))
			say_waiting();
		if (rc || (rc = mx_server_run(srv, &err)) != 0)
			status = mx_cli_fail(&cli, &err);
	}
	mx_server_free(srv);
	return status;
}
