/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lint — metadata checks over a loaded project: MXCP's rules with MXCP's
 * severities, locations, messages and suggestions (shared/spec/mxcp.md §11),
 * then our own checks (warnings and infos only) where they help LLMs or
 * safety: very long descriptions, parameter names that are not snake_case,
 * a destructive-sounding tool without `destructiveHint`, and `sensitive`
 * return fields with no output policy.
 *
 * Each finding also carries the line of the YAML node it is about (or of
 * the nearest enclosing node when the key is missing), found by re-reading
 * the endpoint file: the loaded snapshot keeps no per-key locations.
 */
#ifndef MX_QUALITY_LINT_H
#define MX_QUALITY_LINT_H

#include "model/project.h"

#include <jansson.h>

enum mx_lint_severity { MX_LINT_ERROR, MX_LINT_WARNING, MX_LINT_INFO };

/* "error", "warning", "info". */
const char *mx_lint_severity_name(enum mx_lint_severity s);

/*
 * Lint one endpoint; appends issues to `issues` (a JSON array) as
 * {severity, path, location, message, suggestion, line}. `path` is the
 * file relative to the project root; line is 1-based (0 when unknown).
 */
void mx_lint_endpoint(const struct mx_endpoint *ep, json_t *issues);

/* Lint every loaded endpoint (files that failed to load are skipped, as in
 * MXCP). New array reference. */
json_t *mx_lint_project(const struct mx_project *p);

/* The location → YAML line resolver, exposed for tests: location is a
 * dotted path such as "tool.parameters[1].examples"; returns the line of
 * the deepest node that exists along it (0 when none). */
int mx_lint_locate(const struct mx_yaml_node *root, const char *location);

#endif
