/* SPDX-License-Identifier: Apache-2.0 */
/*
 * init — `mxcp init [FOLDER] [--project] [--profile] [--bootstrap]`: a new
 * project (mxcp-site.yml, the standard folders, an empty DuckDB file) and,
 * with --bootstrap, a hello-world tool with a passing test, ready to serve.
 * Then MXCP's question "Would you like to generate a Claude Desktop
 * configuration file? [y/N]" (answered on stdin, piped or typed; no answer
 * is no): yes writes server_config.json. The snippet is printed either way;
 * it names the project with --project-dir, since Claude Desktop does not
 * honour "cwd" (servers start in /).
 */
#include "cli/common.h"

#include "core/alloc.h"
#include "core/buf.h"
#include "core/fs.h"
#include "core/json.h"
#include "exec/sql.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

enum { OPT_PROJECT = MX_OPT_FIRST_COMMAND_OPTION, OPT_BOOTSTRAP };

static const char *const FOLDERS[] = {"tools", "resources", "prompts", "evals", "python", "plugins",
                                      "sql",   "drift",     "audit",   "data",  NULL};

static const char HELLO_SQL[] = "SELECT 'Hello, ' || $name || '!' as greeting\n";

static const char HELLO_YML[] = "mxcp: 1\n"
                                "tool:\n"
                                "  name: hello_world\n"
                                "  description: A simple hello world tool\n"
                                "  enabled: true\n"
                                "  annotations:\n"
                                "    title: Hello world\n"
                                "    readOnlyHint: true\n"
                                "  parameters:\n"
                                "    - name: name\n"
                                "      type: string\n"
                                "      description: Name to greet\n"
                                "      examples:\n"
                                "        - World\n"
                                "        - Alice\n"
                                "        - Bob\n"
                                "  return:\n"
                                "    type: string\n"
                                "    description: Greeting message\n"
                                "  source:\n"
                                "    file: ../sql/hello-world.sql\n"
                                "  tests:\n"
                                "    - name: greets_world\n"
                                "      description: Greets the name it is given\n"
                                "      arguments:\n"
                                "        - key: name\n"
                                "          value: World\n"
                                "      result: Hello, World!\n";

static void print_help(void)
{
	printf("Usage: mxcp init [OPTIONS] [FOLDER]\n\n"
	       "  Initialize a new MXCP repository in FOLDER (default: the current folder).\n\n"
	       "Options:\n"
	       "  --project TEXT     Project name (defaults to the folder name)\n"
	       "  --profile TEXT     Profile name (defaults to MXCP_PROFILE or 'default')\n"
	       "  --project-dir DIR  Run in the project in DIR (default: MXCP_PROJECT_DIR,\n"
	       "                     else the current folder and its parents)\n"
	       "  --bootstrap        Create an example hello world tool with a test\n"
	       "  --debug            Show detailed debug information\n"
	       "  --help             Show this message and exit.\n");
}

static int write_file(const char *dir, const char *rel, const char *content)
{
	char path[PATH_MAX + 64];
	snprintf(path, sizeof path, "%s/%s", dir, rel);
	FILE *f = fopen(path, "wx");
	if (f == NULL)
		return errno == EEXIST ? 0 : -1; /* never overwrite a user's file */
	int ok = fputs(content, f) >= 0;
	return fclose(f) == 0 && ok ? 0 : -1;
}

/* A YAML scalar for a name: plain when safe, else single-quoted. */
static void yaml_scalar(struct mx_buf *b, const char *s)
{
	int plain = *s != '\0';
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      *p == '_' || *p == '-' || *p == '.'))
			plain = 0;
	if (plain && !(s[0] >= '0' && s[0] <= '9')) {
		mx_buf_puts(b, s);
		return;
	}
	mx_buf_putc(b, '\'');
	for (const char *p = s; *p; p++) {
		if (*p == '\'')
			mx_buf_putc(b, '\'');
		mx_buf_putc(b, *p);
	}
	mx_buf_putc(b, '\'');
}

/* The executable's own path, so the client finds this mxcp whatever its
 * PATH ("mxcp" when it cannot be told). */
static void self_path(char *out, size_t sz)
{
	ssize_t n = readlink("/proc/self/exe", out, sz - 1);
	if (n <= 0 || (size_t)n >= sz - 1)
		snprintf(out, sz, "mxcp");
	else
		out[n] = '\0';
}

/* MXCP's server_config.json (command, args, cwd), with --project-dir in the
 * args so the server finds the project whatever folder it starts in. */
static json_t *claude_config(const char *project, const char *dir)
{
	char exe[PATH_MAX];
	self_path(exe, sizeof exe);
	return json_pack("{s:{s:{s:s, s:[s,s,s,s,s], s:s}}}", "mcpServers", project, "command", exe, "args",
	                 "serve", "--transport", "stdio", "--project-dir", dir, "cwd", dir);
}

/* click.confirm with default no: "QUESTION [y/N]: ", one line from stdin
 * (a terminal or a pipe); asked again on anything but y/yes/n/no/empty;
 * end of input is no. */
static int confirm(const char *question)
{
	char line[256];
	for (;;) {
		printf("%s [y/N]: ", question);
		fflush(stdout);
		if (fgets(line, sizeof line, stdin) == NULL) {
			printf("\n");
			return 0;
		}
		line[strcspn(line, "\r\n")] = '\0';
		if (!strcasecmp(line, "y") || !strcasecmp(line, "yes"))
			return 1;
		if (line[0] == '\0' || !strcasecmp(line, "n") || !strcasecmp(line, "no"))
			return 0;
		printf("Error: invalid input\n");
	}
}

int mx_cmd_init(int argc, char **argv)
{
	static const struct option opts[] = {MX_CLI_COMMON_OPTIONS,
	                                     {"project", required_argument, NULL, OPT_PROJECT},
	                                     {"bootstrap", no_argument, NULL, OPT_BOOTSTRAP},
	                                     {0}};
	struct mx_cli cli = {.command = "init"};
	const char *project = NULL;
	int bootstrap = 0, c;
	while ((c = mx_cli_getopt(&cli, argc, argv, "h", opts)) != -1) {
		switch (c) {
		case 'h': print_help(); return MX_EXIT_OK;
		case OPT_PROJECT: project = optarg; break;
		case OPT_BOOTSTRAP: bootstrap = 1; break;
		case '?': return mx_cli_bad_option(&cli, argv);
		default:
			if (!mx_cli_common_option(&cli, c, optarg))
				return mx_cli_usage_error(&cli, "No such option: %s", argv[optind - 1]);
		}
	}
	if (argc - optind > 1)
		return mx_cli_usage_error(&cli, "Got unexpected extra argument (%s)", argv[optind + 1]);
	const char *folder = optind < argc ? argv[optind] : ".";
	/* Without FOLDER, --project-dir (or MXCP_PROJECT_DIR) is the folder to
	 * create; with one, FOLDER is relative to it (`git -C`). */
	const char *pd = cli.project_dir && *cli.project_dir ? cli.project_dir : getenv("MXCP_PROJECT_DIR");
	if (optind >= argc && pd && *pd) {
		folder = pd;
		cli.stay = 1;
	}
	mx_cli_setup_logging(&cli);
	const char *profile = cli.profile;
	if (profile == NULL || *profile == '\0')
		profile = getenv("MXCP_PROFILE");
	if (profile == NULL || *profile == '\0')
		profile = "default";

	char failed[PATH_MAX];
	if (mx_fs_mkdir_p(folder, 0755, failed, sizeof failed) != 0)
		return mx_cli_failf(&cli, "Cannot create %s: %s", failed, strerror(errno));
	char dir[PATH_MAX];
	if (realpath(folder, dir) == NULL)
		return mx_cli_failf(&cli, "Cannot resolve %s: %s", folder, strerror(errno));

	/* No project inside another one (the folder itself included). */
	char probe[PATH_MAX];
	snprintf(probe, sizeof probe, "%s", dir);
	for (;;) {
		char site[PATH_MAX + 16];
		snprintf(site, sizeof site, "%s/mxcp-site.yml", probe);
		if (access(site, F_OK) == 0)
			return mx_cli_failf(
			        &cli, "Cannot create a MXCP repository inside another one (%s exists)", site);
		if (strcmp(probe, "/") == 0)
			break;
		char *slash = strrchr(probe, '/');
		if (slash == probe)
			slash[1] = '\0';
		else
			*slash = '\0';
	}

	char base[PATH_MAX];
	snprintf(base, sizeof base, "%s", dir);
	if (project == NULL || *project == '\0')
		project = basename(base);

	struct mx_buf site;
	mx_buf_init(&site, 1 << 16);
	mx_buf_puts(&site, "mxcp: 1\nproject: ");
	yaml_scalar(&site, project);
	mx_buf_puts(&site, "\nprofile: ");
	yaml_scalar(&site, profile);
	mx_buf_puts(&site, "\n");
	int bad = write_file(dir, "mxcp-site.yml", mx_buf_str(&site));
	mx_buf_free(&site);
	for (int i = 0; !bad && FOLDERS[i]; i++) {
		char path[PATH_MAX + 64];
		snprintf(path, sizeof path, "%s/%s", dir, FOLDERS[i]);
		if (mkdir(path, 0755) != 0 && errno != EEXIST)
			bad = 1;
	}
	if (bad)
		return mx_cli_failf(&cli, "Cannot write the project files in %s: %s", dir, strerror(errno));

	char dbpath[PATH_MAX + 64];
	snprintf(dbpath, sizeof dbpath, "%s/data/db-%s.duckdb", dir, profile);
	struct mx_db_options dopt = {.path = dbpath};
	struct mx_db *db = NULL;
	struct mx_err err;
	if (mx_db_open(&dopt, &db, &err))
		return mx_cli_fail(&cli, &err);
	mx_db_close(db);

	if (bootstrap && (write_file(dir, "sql/hello-world.sql", HELLO_SQL) ||
	                  write_file(dir, "tools/hello-world.yml", HELLO_YML)))
		return mx_cli_failf(&cli, "Cannot write the example files in %s: %s", dir, strerror(errno));

	json_t *claude = claude_config(project, dir);
	if (cli.json_output) {
		mx_cli_print_ok(json_pack("{s:s, s:s, s:s, s:b, s:o}", "path", dir, "project", project,
		                          "profile", profile, "bootstrap", bootstrap, "server_config",
		                          claude));
		return MX_EXIT_OK;
	}
	printf("✓ Initialized MXCP project '%s' (profile '%s') in %s\n", project, profile, dir);
	if (bootstrap)
		printf("✓ Created tools/hello-world.yml and sql/hello-world.sql\n");
	int written = 0;
	if (confirm("\nWould you like to generate a Claude Desktop configuration file?")) {
		char path[PATH_MAX + 32];
		snprintf(path, sizeof path, "%s/server_config.json", dir);
		char *text = mx_json_dumps(claude, MX_JSON_PRETTY);
		FILE *f = text ? fopen(path, "w") : NULL;
		int ok = f != NULL && fputs(text, f) >= 0 && fputc('\n', f) != EOF;
		if (f != NULL && fclose(f) != 0)
			ok = 0;
		mx_free(text);
		if (ok) {
			printf("✓ Generated server_config.json for Claude Desktop\n");
			written = 1;
		} else {
			printf("⚠️  Warning: Failed to generate Claude config: %s: %s\n", path,
			       strerror(errno));
		}
	} else {
		printf("ℹ️  Skipped Claude Desktop configuration generation\n");
	}
	printf("\n%s Claude Desktop configuration (add it to claude_desktop_config.json):\n",
	       written ? "Generated" : "The");
	mx_json_print(stdout, claude, MX_JSON_PRETTY);
	json_decref(claude);
	printf("\nNext steps:\n  cd %s\n", dir);
	if (bootstrap)
		printf("  mxcp validate\n  mxcp run tool hello_world --param name=World\n");
	else
		printf("  # create your first tool in tools/, then: mxcp validate\n");
	printf("  mxcp serve --transport stdio   # or from anywhere: mxcp serve --transport stdio "
	       "--project-dir %s\n",
	       dir);
	return MX_EXIT_OK;
}
