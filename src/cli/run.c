/* SPDX-License-Identifier: Apache-2.0 */
/*
 * run — `mxcp run tool|resource|prompt NAME --param k=v …`: one call through
 * the same path a served call takes (arguments converted by their types,
 * execution, result shaping, output validation). NAME is the tool or prompt
 * name, or the resource's URI template as written.
 */
#include "cli/common.h"

#include "core/json.h"
#include "exec/invoke.h"
#include "mcp/server.h"
#include "model/project.h"

#include <stdio.h>
#include <string.h>

enum { OPT_PARAM = MX_OPT_FIRST_COMMAND_OPTION, OPT_USER_CONTEXT, OPT_HEADERS, OPT_SKIP_OUTPUT };

static void print_help(void)
{
	printf("Usage: mxcp run [OPTIONS] {tool|resource|prompt} NAME\n\n"
	       "  Run an endpoint once and print its result.\n\n"
	       "Options:\n"
	       "  -p, --param TEXT          Parameter as name=value, or name=@file.json\n"
	       "                            (repeatable)\n"
	       "  -u, --user-context TEXT   User context as JSON or @file.json\n"
	       "  --request-headers TEXT    Request headers as a JSON object or @file.json\n"
	       "  --skip-output-validation  Do not validate the result against `return`\n"
	       "  --profile TEXT            Profile name to use\n"
	       "  --project-dir DIR         Run in the project in DIR (default: MXCP_PROJECT_DIR,\n"
	       "                            else the current folder and its parents)\n"
	       "  --json-output             Output in JSON format\n"
	       "  --readonly                Open the database read-only\n"
	       "  --debug                   Show detailed debug information\n"
	       "  --help                    Show this message and exit.\n");
}

int mx_cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {MX_CLI_COMMON_OPTIONS,
	                                     {"param", required_argument, NULL, 'p'},
	                                     {"user-context", required_argument, NULL, 'u'},
	                                     {"request-headers", required_argument, NULL, OPT_HEADERS},
	                                     {"skip-output-validation", no_argument, NULL, OPT_SKIP_OUTPUT},
	                                     {0}};
	struct mx_cli cli = {.command = "run"};
	json_t *args = json_object(), *user = NULL, *headers = NULL;
	int skip_output = 0, rc = 0, c;
	while (rc == 0 && (c = mx_cli_getopt(&cli, argc, argv, "hp:u:", opts)) != -1) {
		switch (c) {
		case 'h': print_help(); goto out;
		case 'p': rc = mx_cli_add_param(&cli, args, optarg); break;
		case 'u':
			json_decref(user);
			rc = mx_cli_json_arg(&cli, "user context", optarg, &user);
			break;
		case OPT_HEADERS:
			json_decref(headers);
			rc = mx_cli_json_arg(&cli, "request headers", optarg, &headers);
			if (rc == 0 && !json_is_object(headers))
				rc = mx_cli_usage_error(&cli, "Request headers must be a JSON object");
			break;
		case OPT_SKIP_OUTPUT: skip_output = 1; break;
		default: rc = mx_cli_other_option(&cli, c, argv);
		}
	}
	if (rc)
		goto out;
	if (argc - optind < 2) {
		rc = mx_cli_usage_error(&cli, "Missing argument '%s'.",
		                        argc == optind ? "ENDPOINT_TYPE" : "NAME");
		goto out;
	}
	if (argc - optind > 2) {
		rc = mx_cli_usage_error(&cli, "Got unexpected extra argument (%s)", argv[optind + 2]);
		goto out;
	}
	enum mx_endpoint_kind kind;
	if (mx_endpoint_kind_parse(argv[optind], &kind)) {
		rc = mx_cli_usage_error(&cli,
		                        "Invalid value for 'ENDPOINT_TYPE': '%s' is not one of 'tool', "
		                        "'resource', 'prompt'.",
		                        argv[optind]);
		goto out;
	}
	const char *name = argv[optind + 1];
	mx_cli_setup_logging(&cli);

	struct mx_project_options popt = {.profile = cli.profile, .readonly = cli.readonly};
	struct mx_project *p = NULL;
	struct mx_err err;
	if (mx_project_load(&popt, &p, &err)) {
		rc = mx_cli_fail(&cli, &err);
		goto out;
	}
	const struct mx_endpoint *ep = mx_project_find(p, kind, name);
	if (ep == NULL) {
		/* a file that failed to load is the likelier story: say so */
		for (size_t i = 0; i < p->nfailures; i++) {
			if (p->failures[i].kind == kind && strstr(p->failures[i].path, name)) {
				rc = mx_cli_fail(&cli, &p->failures[i].err);
				mx_project_unref(p);
				goto out;
			}
		}
		const char *names[256];
		size_t n = 0;
		for (size_t i = 0; i < p->nendpoints && n < 256; i++)
			if (p->endpoints[i]->kind == kind)
				names[n++] = p->endpoints[i]->name;
		const char *hint = mx_cli_did_you_mean(name, names, n);
		rc = mx_cli_failf(&cli, "%s '%s' not found%s%s",
		                  kind == MX_EP_TOOL       ? "Tool"
		                  : kind == MX_EP_RESOURCE ? "Resource"
		                                           : "Prompt",
		                  name, *hint ? "." : "", hint);
		mx_project_unref(p);
		goto out;
	}
	struct mx_runtime *rt = NULL;
	struct mx_dbconn *conn = NULL;
	json_t *result = NULL;
	struct mx_invoke_opts iopt = {.skip_output_validation = skip_output};
	struct mx_call_ctx ctx = mx_call_ctx_make(MX_CALLER_CLI);
	ctx.user_context = user;
	ctx.user_provider = "cli";
	ctx.request_headers = headers;
	if (mx_runtime_open(p, &rt, &err) || mx_db_connect(mx_runtime_db(rt), &conn, &err) ||
	    mx_invoke(rt, conn, ep, args, &ctx, &iopt, &result, &err)) {
		rc = mx_cli_fail(&cli, &err);
	} else if ((result = mx_mcp_content_unmark(result)) == NULL) {
		rc = mx_cli_failf(&cli, "out of memory");
	} else if (cli.json_output) {
		mx_cli_print_ok(result);
		result = NULL;
	} else {
		if (json_is_string(result))
			printf("%s\n", json_string_value(result));
		else
			mx_cli_print_json(result);
	}
	json_decref(result);
	mx_call_ctx_clear(&ctx);
	mx_dbconn_close(conn);
	mx_runtime_close(rt);
	mx_project_unref(p);
out:
	json_decref(args);
	json_decref(user);
	json_decref(headers);
	return rc;
}
