/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dbt — MXCP's dbt integration: dbt materialises tables into the project's
 * DuckDB file, which endpoints then query (mxcp never reads dbt's files).
 *
 *   mxcp dbt-config [--profile P] [--dry-run] [--force] [--embed-secrets]
 *     writes ~/.dbt/profiles.yml (profile `<project>_<profile>`, '-' → '_':
 *     target <profile>, one duckdb output on the profile's database with the
 *     httpfs extension and the profile's `http` secrets) and ./dbt_project.yml
 *     (name, profile, config-version 2 and the site's dbt paths), each merged
 *     into what the file already holds and written whole (temp file, rename).
 *     Secrets go in as dbt env_var() templates, or as values with
 *     --embed-secrets (which needs --force, and counts down five seconds).
 *   mxcp dbt [--profile P] [--debug] ARGS…
 *     runs `dbt ARGS…` with every secret parameter of the profile in the
 *     environment as MXCP_SECRET_<SECRET>_<PARAM> (a mapping parameter as
 *     MXCP_SECRET_<SECRET>_<PARAM>_<KEY>, and for EXTRA_HTTP_HEADERS also
 *     MXCP_SECRET_<SECRET>_HEADERS_<KEY>, the name dbt-config's templates
 *     use), and exits with dbt's status.
 *
 * Output and messages are MXCP's. Where MXCP drops the secrets on the way
 * to profiles.yml (it passes only their parameters), the secrets are
 * written as its documentation describes.
 */
#include "cli/common.h"

#include "config/site.h"
#include "config/user.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/fs.h"
#include "core/yaml.h"
#include "exec/sql.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

enum { OPT_DRY = MX_OPT_FIRST_COMMAND_OPTION, OPT_FORCE, OPT_EMBED };

/* The site and user config of the active profile. */
struct dbt_ctx {
	struct mx_site_config *site;
	struct mx_user_config *user;
	const char *profile;
};

static void ctx_free(struct dbt_ctx *d)
{
	mx_user_free(d->user);
	mx_site_free(d->site);
}

static int load(const struct mx_cli *cli, struct dbt_ctx *d, struct mx_err *err)
{
	char root[PATH_MAX];
	int rc;
	memset(d, 0, sizeof *d);
	if ((rc = mx_site_find_root(NULL, root, sizeof root, err)) != 0 ||
	    (rc = mx_site_load(root, &d->site, err)) != 0)
		return rc;
	d->profile = mx_site_active_profile(d->site, cli->profile);
	rc = mx_user_load(d->site->project, d->profile, &d->user, err);
	return rc ? rc : mx_site_check_profile(d->site, d->profile, d->user->profile_declared, err);
}

/* dbt's names: '-' becomes '_'. */
static char *sanitize(const char *s)
{
	char *t = mx_strdup(s);
	for (char *p = t; p && *p; p++)
		if (*p == '-')
			*p = '_';
	return t;
}

static const char *str_or_empty(const json_t *v)
{
	const char *s = json_string_value(v);
	return s ? s : "";
}

static void upper(char *s)
{
	for (; *s; s++)
		*s = (char)toupper((unsigned char)*s);
}

/* ------------------------------------------------------------ dbt-config */

static void config_help(void)
{
	printf("Usage: mxcp dbt-config [OPTIONS]\n\n"
	       "  Generate / patch the dbt side-car files (dbt_project.yml + profiles.yml).\n\n"
	       "  Default mode writes env_var() templates, so secrets stay out of YAML.\n"
	       "  Use --embed-secrets to flatten secrets straight into profiles.yml.\n\n"
	       "Options:\n"
	       "  --profile TEXT     Override the profile name from mxcp-site.yml\n"
	       "  --project-dir DIR  Run in the project in DIR (default: MXCP_PROJECT_DIR,\n"
	       "                     else the current folder and its parents)\n"
	       "  --dry-run          Show what would be written without making changes\n"
	       "  --force            Overwrite existing profile without confirmation\n"
	       "  --embed-secrets    Embed secrets directly in profiles.yml\n"
	       "  --debug            Show detailed debug information\n"
	       "  --help             Show this message and exit.\n");
}

/* One `http` secret as dbt-duckdb takes it, or NULL when it has no
 * BEARER_TOKEN or EXTRA_HTTP_HEADERS. */
static json_t *dbt_secret(const json_t *secret, int embed)
{
	const char *name = json_string_value(json_object_get(secret, "name"));
	const json_t *params = json_object_get(secret, "parameters");
	if (name == NULL || !json_is_object(params) ||
	    strcmp(str_or_empty(json_object_get(secret, "type")), "http") != 0)
		return NULL;
	char *uname = mx_strdup(name);
	if (uname == NULL)
		return NULL;
	upper(uname);
	struct mx_buf h;
	mx_buf_init(&h, MX_BUF_UNBOUNDED);
	int rc = 0, any = 0;
	const json_t *bearer = json_object_get(params, "BEARER_TOKEN");
	const json_t *extra = json_object_get(params, "EXTRA_HTTP_HEADERS");
	if (bearer != NULL) {
		rc = mx_buf_puts(&h, "'Authorization': ");
		if (embed) {
			struct mx_buf v;
			mx_buf_init(&v, MX_BUF_UNBOUNDED);
			rc = rc ? rc : mx_buf_printf(&v, "Bearer %s", str_or_empty(bearer));
			rc = rc ? rc : mx_sql_put_string(&h, mx_buf_str(&v));
			mx_buf_free(&v);
		} else {
			rc = rc ? rc
			        : mx_buf_printf(&h, "'Bearer {{ env_var('MXCP_SECRET_%s_BEARER_TOKEN') }}'",
			                        uname);
		}
		any = 1;
	} else if (json_is_object(extra)) {
		const char *k;
		const json_t *v;
		json_object_foreach ((json_t *)extra, k, v) {
			char *uk = mx_strdup(k);
			if (uk == NULL) {
				rc = MX_ENOMEM;
				break;
			}
			upper(uk);
			rc = rc ? rc : mx_buf_printf(&h, "%s", any ? ", " : "");
			rc = rc ? rc : mx_sql_put_string(&h, k);
			rc = rc ? rc : mx_buf_puts(&h, ": ");
			if (embed)
				rc = rc ? rc : mx_sql_put_string(&h, str_or_empty(v));
			else
				rc = rc ? rc
				        : mx_buf_printf(&h, "'{{ env_var('MXCP_SECRET_%s_HEADERS_%s') }}'",
				                        uname, uk);
			mx_free(uk);
			any = 1;
		}
	}
	json_t *out = NULL;
	if (rc == 0 && any) {
		const json_t *scope = json_object_get(params, "scope");
		char *map = NULL;
		struct mx_buf m;
		mx_buf_init(&m, MX_BUF_UNBOUNDED);
		if (mx_buf_printf(&m, "map { %s }", mx_buf_str(&h)) == 0)
			map = mx_buf_detach(&m);
		mx_buf_free(&m);
		if (map != NULL)
			out = json_pack("{s:s, s:s, s:o, s:s}", "name", name, "type", "http", "scope",
			                scope ? json_incref((json_t *)scope) : json_string(""),
			                "extra_http_headers", map);
		mx_free(map);
	}
	mx_buf_free(&h);
	mx_free(uname);
	return out;
}

/* The existing YAML file as JSON (an empty object when absent or empty). */
static int read_yaml(const char *path, json_t **out, struct mx_err *err)
{
	*out = NULL;
	if (access(path, F_OK) != 0) {
		*out = json_object();
		return *out ? 0 : mx_err_set(err, MX_ENOMEM, "out of memory");
	}
	struct mx_yaml_doc *doc = NULL;
	int rc = mx_yaml_load_file(path, &doc, err);
	if (rc)
		return rc;
	*out = doc->root ? mx_yaml_to_json(doc->root) : json_object();
	mx_yaml_free(doc);
	if (*out == NULL)
		return mx_err_set(err, MX_ENOMEM, "out of memory");
	if (!json_is_object(*out)) {
		json_decref(*out);
		*out = NULL;
		return mx_err_set(err, MX_EINVAL, "%s: expected a mapping at the top", path);
	}
	return 0;
}

/* Write text to path whole: a temp file beside it, then rename. */
static int write_whole(const char *path, const char *text, struct mx_err *err)
{
	if (mx_fs_write_atomic(path, text, strlen(text), 0666) != 0)
		return mx_err_set(err, MX_EIO, "Cannot write %s: %s", path, strerror(errno));
	return 0;
}

static int on_path(const char *cmd)
{
	const char *path = getenv("PATH");
	if (path == NULL)
		return 0;
	char *copy = mx_strdup(path), *save = NULL;
	int found = 0;
	for (char *dir = copy ? strtok_r(copy, ":", &save) : NULL; dir && !found;
	     dir = strtok_r(NULL, ":", &save)) {
		char full[PATH_MAX];
		if ((size_t)snprintf(full, sizeof full, "%s/%s", *dir ? dir : ".", cmd) < sizeof full)
			found = access(full, X_OK) == 0;
	}
	mx_free(copy);
	return found;
}

static int configure(const struct dbt_ctx *d, int dry, int force, int embed, struct mx_err *err)
{
	const struct mx_site_config *s = d->site;
	if (!s->dbt.enabled)
		return mx_err_set(err, MX_EINVAL, "dbt integration is disabled in mxcp-site.yml");
	if (embed && !force)
		return mx_err_set(err, MX_EINVAL, "--embed-secrets requires --force to be set");
	if (embed && !dry) {
		printf("WARNING: Embedding secrets directly in profiles.yml\nThis will write sensitive "
		       "values to disk!\n");
		for (int i = 5; i > 0; i--) {
			printf("Continuing in %d...", i);
			fflush(stdout);
			sleep(1);
			printf("\r");
		}
		printf("\nContinuing...\n");
	}
	struct mx_profile_settings ps;
	int rc = mx_site_profile_settings(s, d->profile, &ps, err);
	if (rc)
		return rc;
	char *project = sanitize(s->project), *profile = sanitize(d->profile);
	char dbt_profile[512];
	snprintf(dbt_profile, sizeof dbt_profile, "%s_%s", project ? project : "", profile ? profile : "");
	const char *home = getenv("HOME");
	char profiles_dir[PATH_MAX], profiles_path[PATH_MAX + 16];
	const char *project_path = "dbt_project.yml"; /* in the working directory, as MXCP */
	snprintf(profiles_dir, sizeof profiles_dir, "%s/.dbt", home ? home : "");
	snprintf(profiles_path, sizeof profiles_path, "%s/profiles.yml", profiles_dir);

	json_t *profiles = NULL, *proj = NULL, *output = NULL, *secrets = NULL;
	struct mx_buf a, b;
	mx_buf_init(&a, MX_BUF_UNBOUNDED);
	mx_buf_init(&b, MX_BUF_UNBOUNDED);
	if (project == NULL || profile == NULL) {
		rc = mx_err_set(err, MX_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = read_yaml(profiles_path, &profiles, err)) != 0 ||
	    (rc = read_yaml(project_path, &proj, err)) != 0)
		goto out;
	if (json_object_get(profiles, dbt_profile) != NULL && !force) {
		rc = mx_err_set(err, MX_EINVAL,
		                "Profile '%s' already exists. Use --force to update configuration.",
		                dbt_profile);
		goto out;
	}
	/* profiles.yml: our keys of our output and the target; the rest kept. */
	output = json_pack("{s:s, s:s, s:[s]}", "type", "duckdb", "path", ps.duckdb_path, "extensions",
	                   "httpfs");
	const json_t *list = mx_user_secrets(d->user, s->project, d->profile);
	size_t with_params = 0;
	for (size_t i = 0; i < json_array_size(list); i++)
		with_params += json_object_size(json_object_get(json_array_get(list, i), "parameters")) > 0;
	if (output && with_params) {
		secrets = json_array();
		for (size_t i = 0; secrets && i < json_array_size(list); i++) {
			json_t *one = dbt_secret(json_array_get(list, i), embed);
			if (one)
				json_array_append_new(secrets, one);
		}
		json_object_set_new(output, "secrets", secrets);
	}
	json_t *block = json_object_get(profiles, dbt_profile);
	if (!json_is_object(block)) {
		block = json_object();
		json_object_set_new(profiles, dbt_profile, block);
	}
	json_t *outputs = json_object_get(block, "outputs");
	if (!json_is_object(outputs)) {
		outputs = json_object();
		json_object_set_new(block, "outputs", outputs);
	}
	json_t *mine = json_object_get(outputs, profile);
	if (!json_is_object(mine)) {
		mine = json_object();
		json_object_set_new(outputs, profile, mine);
	}
	if (output == NULL || mine == NULL || json_object_update(mine, output) != 0 ||
	    json_object_set_new(block, "target", json_string(profile)) != 0) {
		rc = mx_err_set(err, MX_ENOMEM, "out of memory");
		goto out;
	}
	/* dbt_project.yml: our keys overwritten, the rest kept. */
	const struct mx_site_dbt *t = &s->dbt;
	json_t *ours = json_pack("{s:s, s:s, s:i, s:O, s:O, s:O, s:O, s:O, s:O, s:s, s:O}", "name", project,
	                         "profile", dbt_profile, "config-version", 2, "model-paths", t->model_paths,
	                         "analysis-paths", t->analysis_paths, "test-paths", t->test_paths,
	                         "seed-paths", t->seed_paths, "macro-paths", t->macro_paths, "snapshot-paths",
	                         t->snapshot_paths, "target-path", t->target_path ? t->target_path : "target",
	                         "clean-targets", t->clean_targets);
	if (ours == NULL || json_object_update(proj, ours) != 0) {
		json_decref(ours);
		rc = mx_err_set(err, MX_ENOMEM, "out of memory");
		goto out;
	}
	json_decref(ours);
	if (mx_yaml_dump(&a, profiles) != 0 || mx_yaml_dump(&b, proj) != 0) {
		rc = mx_err_set(err, MX_ENOMEM, "out of memory");
		goto out;
	}
	if (dry) {
		printf("Would write the following to profiles.yml:\n%s\n", mx_buf_str(&a));
		printf("\nWould write the following to dbt_project.yml:\n%s\n", mx_buf_str(&b));
		goto out;
	}
	if (mkdir(profiles_dir, 0700) != 0 && errno != EEXIST) {
		rc = mx_err_set(err, MX_EIO, "Cannot create %s: %s", profiles_dir, strerror(errno));
		goto out;
	}
	if ((rc = write_whole(profiles_path, mx_buf_str(&a), err)) != 0 ||
	    (rc = write_whole(project_path, mx_buf_str(&b), err)) != 0)
		goto out;
	printf("profiles.yml and dbt_project.yml updated (%s)\n",
	       embed ? "embedded secrets" : "env_var mode");
out:
	json_decref(output);
	json_decref(profiles);
	json_decref(proj);
	mx_buf_free(&a);
	mx_buf_free(&b);
	mx_free(project);
	mx_free(profile);
	return rc;
}

int mx_cmd_dbt_config(int argc, char **argv)
{
	static const struct option opts[] = {MX_CLI_COMMON_OPTIONS,
	                                     {"dry-run", no_argument, NULL, OPT_DRY},
	                                     {"force", no_argument, NULL, OPT_FORCE},
	                                     {"embed-secrets", no_argument, NULL, OPT_EMBED},
	                                     {0}};
	struct mx_cli cli = {.command = "dbt-config"};
	int dry = 0, force = 0, embed = 0, rc = 0, c;
	while (rc == 0 && (c = mx_cli_getopt(&cli, argc, argv, "h", opts)) != -1) {
		switch (c) {
		case 'h': config_help(); return MX_EXIT_OK;
		case OPT_DRY: dry = 1; break;
		case OPT_FORCE: force = 1; break;
		case OPT_EMBED: embed = 1; break;
		default: rc = mx_cli_other_option(&cli, c, argv);
		}
	}
	if (rc)
		return rc;
	if (optind < argc)
		return mx_cli_usage_error(&cli, "Got unexpected extra argument (%s)", argv[optind]);
	mx_cli_setup_logging(&cli);
	printf("\n🔧 Configuring dbt integration\n");
	struct dbt_ctx d;
	struct mx_err err;
	if (load(&cli, &d, &err)) {
		rc = mx_cli_fail(&cli, &err);
		ctx_free(&d);
		return rc;
	}
	printf("   • Project: %s\n   • Profile: %s\n", d.site->project, d.profile);
	printf("   • Mode: %s\n", embed ? "Embed secrets (⚠️  not recommended for production)"
	                                : "Environment variables (secure)");
	if (dry)
		printf("   • DRY RUN MODE - No files will be modified\n");
	if (!on_path("dbt"))
		printf("\n⚠️  Warning: dbt CLI is not installed or not available in PATH.\n"
		       "   Install with: pip install dbt-core dbt-duckdb\n");
	printf("\n");
	fflush(stdout);
	if (configure(&d, dry, force, embed, &err)) {
		fflush(stdout);
		rc = mx_cli_fail(&cli, &err);
	} else if (!dry) {
		printf("\n✅ dbt configuration complete!\n\n📚 Files created/updated:\n"
		       "   • dbt_project.yml - dbt project configuration\n"
		       "   • profiles.yml - Connection profile for DuckDB\n\n🚀 Next steps:\n"
		       "   1. Run dbt deps to install dependencies\n"
		       "   2. Run dbt run to execute your models\n"
		       "   3. Or use mxcp dbt run to auto-inject secrets\n\n");
	}
	ctx_free(&d);
	return rc;
}

/* ------------------------------------------------------------------- dbt */

static void dbt_help(void)
{
	printf("Usage: mxcp dbt [OPTIONS] [DBT_ARGS]...\n\n"
	       "  Wrapper that injects secrets as env vars, then delegates to the real dbt CLI.\n\n"
	       "  Example:\n"
	       "      mxcp dbt run --select my_model\n"
	       "      mxcp dbt run --profile prod --select my_model\n\n"
	       "Options:\n"
	       "  --profile TEXT     Override the profile name from mxcp-site.yml\n"
	       "  --project-dir DIR  Run in the project in DIR (default: MXCP_PROJECT_DIR,\n"
	       "                     else the current folder and its parents)\n"
	       "  --debug            Show detailed debug information\n"
	       "  --help             Show this message and exit.\n");
}

/* setenv MXCP_SECRET_<parts…> (upper-cased) = value. */
static int export_secret(const char *a, const char *b, const char *c, const json_t *value)
{
	struct mx_buf n;
	mx_buf_init(&n, MX_BUF_UNBOUNDED);
	int rc = mx_buf_printf(&n, "MXCP_SECRET_%s_%s%s%s", a, b, c ? "_" : "", c ? c : "");
	char *name = rc == 0 ? mx_buf_detach(&n) : NULL;
	mx_buf_free(&n);
	if (name == NULL)
		return MX_ENOMEM;
	upper(name);
	char num[64];
	const char *v = json_string_value(value);
	if (v == NULL) {
		if (json_is_integer(value))
			snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(value));
		else if (json_is_real(value))
			snprintf(num, sizeof num, "%.17g", json_real_value(value));
		else
			snprintf(num, sizeof num, "%s",
			         json_is_true(value)    ? "True"
			         : json_is_false(value) ? "False"
			                                : "None");
		v = num;
	}
	rc = setenv(name, v, 1) == 0 ? 0 : MX_EINVAL;
	mx_free(name);
	return rc;
}

int mx_cmd_dbt(int argc, char **argv)
{
	struct mx_cli cli = {.command = "dbt"};
	/* Take --profile, --project-dir, --debug and --help; everything else is
	 * dbt's, in order. */
	char **args = mx_calloc((size_t)argc + 2, sizeof *args);
	if (args == NULL)
		return mx_cli_failf(&cli, "out of memory");
	int nargs = 0;
	args[nargs++] = "dbt";
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--profile") == 0 && i + 1 < argc)
			cli.profile = argv[++i];
		else if (strncmp(argv[i], "--profile=", 10) == 0)
			cli.profile = argv[i] + 10;
		else if (strcmp(argv[i], "--project-dir") == 0 && i + 1 < argc)
			cli.project_dir = argv[++i];
		else if (strncmp(argv[i], "--project-dir=", 14) == 0)
			cli.project_dir = argv[i] + 14;
		else if (strcmp(argv[i], "--debug") == 0)
			cli.debug = 1;
		else if (strcmp(argv[i], "--help") == 0 && nargs == 1) {
			dbt_help();
			mx_free(args);
			return MX_EXIT_OK;
		} else
			args[nargs++] = argv[i];
	}
	mx_cli_setup_logging(&cli);
	struct dbt_ctx d;
	struct mx_err err;
	int rc = 0;
	if (load(&cli, &d, &err)) {
		rc = mx_cli_fail(&cli, &err);
		goto out;
	}
	if (!d.site->dbt.enabled) {
		printf("\n❌ Error: dbt integration is disabled in mxcp-site.yml\n");
		fflush(stdout);
		rc = mx_cli_failf(&cli, "dbt integration is disabled in mxcp-site.yml");
		goto out;
	}
	if (!on_path("dbt")) {
		printf("\n❌ Error: dbt CLI is not installed or not available in PATH.\n"
		       "   Install with: pip install dbt-core dbt-duckdb\n");
		fflush(stdout);
		rc = mx_cli_failf(&cli, "dbt CLI is not installed. Please install dbt-core and dbt-duckdb.");
		goto out;
	}
	printf("\n🚀 Running dbt with MXCP secret injection\n   • Project: %s\n   • Profile: %s\n   • "
	       "Command: dbt",
	       d.site->project, d.profile);
	for (int i = 1; i < nargs; i++)
		printf(" %s", args[i]);
	printf("\n");
	const json_t *list = mx_user_secrets(d.user, d.site->project, d.profile);
	for (size_t i = 0; rc == 0 && i < json_array_size(list); i++) {
		const json_t *s = json_array_get(list, i);
		const char *name = json_string_value(json_object_get(s, "name"));
		const char *param;
		const json_t *value;
		json_object_foreach ((json_t *)json_object_get(s, "parameters"), param, value) {
			if (!json_is_object(value)) {
				rc = rc ? rc : export_secret(name, param, NULL, value);
				continue;
			}
			const char *k;
			const json_t *v;
			json_object_foreach ((json_t *)value, k, v) {
				rc = rc ? rc : export_secret(name, param, k, v);
				if (strcmp(param, "EXTRA_HTTP_HEADERS") == 0) /* dbt-config's templates */
					rc = rc ? rc : export_secret(name, "HEADERS", k, v);
			}
		}
	}
	if (rc) {
		rc = mx_cli_failf(&cli, "Cannot set the secrets' environment variables");
		goto out;
	}
	extern char **environ;
	size_t injected = 0;
	for (char **e = environ; *e; e++)
		injected += strncmp(*e, "MXCP_SECRET_", 12) == 0;
	if (injected)
		printf("   • Secrets: %zu environment variables injected\n", injected);
	printf("\nDelegating to dbt...\n------------------------------------------------------------\n\n");
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		execvp("dbt", args);
		fprintf(stderr, "Error: cannot run dbt: %s\n", strerror(errno));
		_exit(127);
	}
	int status = 0;
	while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	int code = pid < 0 ? 1 : WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	printf("\n------------------------------------------------------------\n");
	if (code == 0) {
		printf("✅ dbt command completed successfully!\n\n");
	} else {
		printf("❌ dbt command failed with exit code: %d\n\n", code);
		rc = code;
	}
out:
	ctx_free(&d);
	mx_free(args);
	return rc;
}
