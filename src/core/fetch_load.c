/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fetch_load — fetch.h from the binary's side: the first call loads
 * mxcp_fetch.so (which links libcurl) and every call goes to it. A module
 * that cannot be loaded is reported by each request that needed it.
 */
#include "core/fetch.h"

#include "core/module.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static int tried;
static const struct mx_fetch_module *mod;
static struct mx_err load_err;

/* The module; load: try to load it if that was never tried. */
static const struct mx_fetch_module *module(int load)
{
	pthread_mutex_lock(&mu);
	if (load && !tried) {
		tried = 1;
		const void *t = NULL;
		mx_module_open("mxcp_fetch.so", "mxcp_fetch_module", MX_FETCH_ABI,
		               "The outbound HTTP(S) client", &t, &load_err);
		mod = t;
	}
	const struct mx_fetch_module *m = mod;
	pthread_mutex_unlock(&mu);
	return m;
}

int mx_fetch(const struct mx_fetch_request *rq, struct mx_fetch_response *resp)
{
	const struct mx_fetch_module *m = module(1);
	if (m)
		return m->fetch(rq, resp);
	memset(resp, 0, sizeof *resp);
	resp->retry_after = -1;
	mx_buf_init(&resp->body, rq->max_response);
	snprintf(resp->error, sizeof resp->error, "%.*s", (int)sizeof resp->error - 1, load_err.msg);
	return MX_EIO;
}

void mx_fetch_global_init(void)
{
	const struct mx_fetch_module *m = module(1);
	if (m)
		m->global_init();
}

void mx_fetch_global_cleanup(void)
{
	const struct mx_fetch_module *m = module(0); /* nothing to clean up unless loaded */
	if (m)
		m->global_cleanup();
}
