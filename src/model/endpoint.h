/* SPDX-License-Identifier: Apache-2.0 */
/*
 * endpoint — one tool, resource or prompt, as defined by its YAML file.
 *
 * Loaded once (mx_endpoint_load) into an immutable struct owned by the
 * project snapshot; runtime code never touches YAML. The loader checks the
 * file's shape exactly as MXCP's pydantic models do (unknown keys are errors,
 * shared/spec/mxcp.md §4), keeps every location it may need to report later
 * (the source file, parameters, messages), reads the SQL source text, and
 * keeps `policies` and `tests` as JSON for the policy engine and the test
 * runner. The whole definition (for drift snapshots) is rebuilt from the
 * file on demand, so loading a large project stays cheap.
 */
#ifndef MX_MODEL_ENDPOINT_H
#define MX_MODEL_ENDPOINT_H

#include "core/err.h"
#include "types/types.h"

#include <jansson.h>
#include <stddef.h>

enum mx_endpoint_kind { MX_EP_TOOL, MX_EP_RESOURCE, MX_EP_PROMPT };
/* How an endpoint is implemented; each has an executor (exec/executor.h).
 * BUILTIN: implemented by mxcp itself (the built-in execute_sql_query). */
enum mx_language { MX_LANG_SQL, MX_LANG_PYTHON, MX_LANG_BUILTIN, MX_LANG_COUNT };

struct mx_jinja_template;
struct mx_policy_set;

struct mx_prompt_message {
	char *prompt;
	char *role; /* NULL when not given */
	char *type;
	/* compiled once at load; NULL when the text does not compile (validation
	 * then reports why, and calls fail with the same message) */
	struct mx_jinja_template *tmpl;
	int line, col;
};

struct mx_endpoint {
	enum mx_endpoint_kind kind;
	char *path; /* absolute path of the YAML file */
	char *relpath; /* relative to the project root */
	char *name; /* tool/prompt name; a resource's URI (its identity everywhere) */
	char *uri; /* resources */
	char *title; /* resources: `name`; tools: annotations.title */
	char *mime_type;
	char *description;
	json_t *tags; /* array of strings or NULL */
	json_t *annotations; /* tools: object or NULL */
	struct mx_type **params;
	size_t nparams;
	struct mx_type *ret; /* NULL when no `return` */
	enum mx_language language;
	char *source_code; /* inline code, or the file's content (SQL) */
	char *source_path; /* absolute path when source.file was given */
	char *source_file_raw; /* source.file as written */
	int source_line, source_col;
	int code_line; /* inline source.code: the line its text starts on (0: from a file) */
	int enabled;
	struct mx_prompt_message *messages;
	size_t nmessages;
	json_t *policies; /* {input:[…], output:[…]} or NULL */
	/* the same rules compiled at load (policy/policy.h); NULL when no `policies` */
	struct mx_policy_set *policy_set;
	json_t *tests; /* array or NULL */
	int line, col; /* the tool:/resource:/prompt: key */
	/* The executor's handle for this endpoint (a Python endpoint's function),
	 * set when its snapshot is attached to a runtime and owned by the
	 * snapshot's exec_state (model/project.h); NULL otherwise. */
	void *impl;
};

const char *mx_endpoint_kind_name(enum mx_endpoint_kind k); /* "tool" … */
int mx_endpoint_kind_parse(const char *s, enum mx_endpoint_kind *out);

/*
 * Load one endpoint file. `root` is the project root, canonical (as
 * realpath gives it: paths below it are resolved from it), for relpath and
 * for source files starting with '/'. `expect` is the kind its folder implies:
 * a file under tools/ that defines no tool gives MX_ENOTFOUND (the caller
 * skips it with a warning, as MXCP does). Any other problem is MX_EINVAL
 * with file:line:col and the field. A missing SQL source file is not a load
 * error: source_code stays NULL and validation reports it.
 */
int mx_endpoint_load(const char *root, const char *path, enum mx_endpoint_kind expect,
                     struct mx_endpoint **out, struct mx_err *err);
void mx_endpoint_free(struct mx_endpoint *ep);

/* The endpoint file as JSON (PyYAML typing), read afresh. New reference, or
 * NULL with err filled. */
json_t *mx_endpoint_definition(const struct mx_endpoint *ep, struct mx_err *err);

/* "tool/<name>", "resource/<uri>", "prompt/<name>" into out. */
const char *mx_endpoint_id(const struct mx_endpoint *ep, char *out, size_t outsz);

/* Names of the {placeholders} of a resource URI template, as a JSON array. */
json_t *mx_uri_template_vars(const char *uri);

#endif
