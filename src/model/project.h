/* SPDX-License-Identifier: Apache-2.0 */
/*
 * project — the loaded project: one immutable, refcounted snapshot of the
 * site config, the user config, the active profile's settings and the
 * endpoint registry.
 *
 * Built off to the side by mx_project_load and never changed after; a reload
 * builds a new snapshot and swaps a pointer, while in-flight requests keep
 * their reference (mx_project_ref / mx_project_unref, atomic counts).
 * Endpoint files that fail to load are kept as failures (path + error) so
 * `list`, `validate` and `serve` can report every problem at once.
 */
#ifndef MX_MODEL_PROJECT_H
#define MX_MODEL_PROJECT_H

#include "config/site.h"
#include "config/user.h"
#include "core/err.h"
#include "model/endpoint.h"

#include <stdatomic.h>
#include <stddef.h>

struct mx_load_failure {
	char *path; /* absolute */
	char *relpath; /* relative to the project root */
	enum mx_endpoint_kind kind; /* the kind its folder implies */
	struct mx_err err;
};

struct mx_project {
	atomic_int refs;
	struct mx_site_config *site;
	struct mx_user_config *user;
	char *profile;
	struct mx_profile_settings settings;
	struct mx_endpoint **endpoints; /* enabled and loaded, ordered by kind then name */
	size_t nendpoints;
	struct mx_load_failure *failures; /* ordered by path */
	size_t nfailures;
	size_t ndisabled;
	/* What an executor keeps for this snapshot (exec/python.c: its Python
	 * modules, plugins and hooks), released with the snapshot's last
	 * reference by exec_state_free. */
	void *exec_state;
	void (*exec_state_free)(void *state);
};

struct mx_project_options {
	const char *dir; /* where to start looking for mxcp-site.yml (NULL = cwd) */
	const char *profile; /* --profile, or NULL */
	int readonly; /* --readonly */
	/* Called once (on the loading thread) as soon as the site config, the
	 * user config and the profile settings are final, before any endpoint
	 * file is read, so a caller can start opening the database alongside.
	 * Only p->site, p->user, p->profile and p->settings are complete; they
	 * do not change afterwards and may be read from another thread. Take a
	 * reference (mx_project_ref) to keep p beyond a failed load. */
	void (*on_config)(struct mx_project *p, void *ctx);
	void *on_config_ctx;
};

/* Profile: --profile > MXCP_PROFILE > `profile:`. Read-only: --readonly or
 * MXCP_READONLY, else the profile's duckdb.readonly. */
int mx_project_load(const struct mx_project_options *opt, struct mx_project **out, struct mx_err *err);
struct mx_project *mx_project_ref(struct mx_project *p);
/* Drop the endpoints whose drop[i] is set (`serve --ignore-errors` skips
 * invalid ones). Only before the snapshot is published to other threads:
 * it is the one change ever made to a loaded project. */
void mx_project_drop_endpoints(struct mx_project *p, const unsigned char *drop);
void mx_project_unref(struct mx_project *p);

const struct mx_endpoint *mx_project_find(const struct mx_project *p, enum mx_endpoint_kind kind,
                                          const char *name);

/* Truthy environment flag: 1, true, yes (any case). */
int mx_env_flag(const char *name);

#endif
