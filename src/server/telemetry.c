/* SPDX-License-Identifier: Apache-2.0 */
/* telemetry (server) — see telemetry.h. Runs once, on the main thread. */
#include "server/telemetry.h"

#include "config/user.h"
#include "core/alloc.h"
#include "core/log.h"
#include "model/project.h"
#include "ops/telemetry.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_PAIRS 64

/* An MXCP boolean variable: 1, 0, or -1 when unset or not a boolean. */
static int env_bool(const char *name)
{
	const char *v = getenv(name);
	if (v == NULL || *v == '\0')
		return -1;
	if (!strcasecmp(v, "true") || !strcmp(v, "1") || !strcasecmp(v, "yes"))
		return 1;
	if (!strcasecmp(v, "false") || !strcmp(v, "0") || !strcasecmp(v, "no"))
		return 0;
	return -1;
}

/* "k=v,k=v" into pairs pointing into buf (a copy); spaces around trimmed. */
static size_t parse_pairs(char *buf, struct mx_telemetry_pair *out, size_t max)
{
	size_t n = 0;
	char *save = NULL;
	for (char *item = strtok_r(buf, ",", &save); item && n < max; item = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(item, '=');
		if (eq == NULL)
			continue;
		*eq = '\0';
		char *k = item, *v = eq + 1;
		while (*k == ' ')
			k++;
		while (*v == ' ')
			v++;
		for (char *e = k + strlen(k); e > k && e[-1] == ' ';)
			*--e = '\0';
		for (char *e = v + strlen(v); e > v && e[-1] == ' ';)
			*--e = '\0';
		if (*k)
			out[n++] = (struct mx_telemetry_pair){k, v};
	}
	return n;
}

/* A JSON object of strings (scalars as their text) into pairs. */
static size_t object_pairs(const json_t *o, struct mx_telemetry_pair *out, size_t max, char scratch[][32])
{
	size_t n = 0;
	const char *k;
	json_t *v;
	json_object_foreach ((json_t *)o, k, v) {
		if (n >= max)
			break;
		const char *s = json_string_value(v);
		if (s == NULL && json_is_integer(v))
			snprintf(scratch[n], 32, "%" JSON_INTEGER_FORMAT, json_integer_value(v)),
			        s = scratch[n];
		else if (s == NULL && json_is_boolean(v))
			s = json_is_true(v) ? "true" : "false";
		else if (s == NULL && json_is_real(v))
			snprintf(scratch[n], 32, "%g", json_real_value(v)), s = scratch[n];
		if (s)
			out[n++] = (struct mx_telemetry_pair){k, s};
	}
	return n;
}

int mx_server_telemetry_start(const struct mx_project *p, struct mx_err *err)
{
	const json_t *t =
	        json_object_get(mx_user_profile(p->user, p->site->project, p->profile), "telemetry");
	const json_t *tracing = json_object_get(t, "tracing"), *metrics = json_object_get(t, "metrics");
	int enabled = env_bool("MXCP_TELEMETRY_ENABLED");
	if (enabled < 0)
		enabled = json_is_true(json_object_get(t, "enabled"));
	if (!enabled)
		return 0;

	struct mx_telemetry_config cfg = {0};
	cfg.endpoint = getenv("OTEL_EXPORTER_OTLP_ENDPOINT");
	if (cfg.endpoint == NULL || *cfg.endpoint == '\0')
		cfg.endpoint = json_string_value(json_object_get(t, "endpoint"));
	cfg.service_name = getenv("OTEL_SERVICE_NAME");
	if (cfg.service_name == NULL || *cfg.service_name == '\0')
		cfg.service_name = json_string_value(json_object_get(t, "service_name"));
	cfg.service_version = json_string_value(json_object_get(t, "service_version"));
	cfg.environment = json_string_value(json_object_get(t, "environment"));
	if (cfg.environment == NULL)
		cfg.environment = p->profile;
	cfg.tracing = json_is_true(json_object_get(tracing, "enabled"));
	int console = env_bool("MXCP_TELEMETRY_TRACING_CONSOLE");
	cfg.console = console >= 0 ? console : json_is_true(json_object_get(tracing, "console_export"));
	cfg.metrics = json_is_true(json_object_get(metrics, "enabled"));
	long interval = json_is_integer(json_object_get(metrics, "export_interval"))
	                        ? (long)json_integer_value(json_object_get(metrics, "export_interval"))
	                        : 60;
	const char *iv = getenv("MXCP_TELEMETRY_METRICS_INTERVAL");
	if (iv && *iv) {
		char *end = NULL;
		long v = strtol(iv, &end, 10);
		if (end && *end == '\0' && v > 0)
			interval = v;
		else
			mx_warn("Invalid MXCP_TELEMETRY_METRICS_INTERVAL value: %s, ignoring", iv);
	}
	cfg.metrics_interval_s = interval > 0 ? (unsigned)interval : 60;

	/* headers and resource attributes: the variable replaces the file's */
	struct mx_telemetry_pair headers[MAX_PAIRS], resource[MAX_PAIRS + 2];
	char hscratch[MAX_PAIRS][32], rscratch[MAX_PAIRS][32];
	char *hbuf = NULL, *rbuf = NULL;
	const char *he = getenv("OTEL_EXPORTER_OTLP_HEADERS"), *re = getenv("OTEL_RESOURCE_ATTRIBUTES");
	if (he && *he && (hbuf = mx_strdup(he)) != NULL)
		cfg.nheaders = parse_pairs(hbuf, headers, MAX_PAIRS);
	else
		cfg.nheaders = object_pairs(json_object_get(t, "headers"), headers, MAX_PAIRS, hscratch);
	cfg.headers = headers;
	resource[0] = (struct mx_telemetry_pair){"mxcp.project", p->site->project};
	resource[1] = (struct mx_telemetry_pair){"mxcp.profile", p->profile};
	if (re && *re && (rbuf = mx_strdup(re)) != NULL)
		cfg.nresource = 2 + parse_pairs(rbuf, resource + 2, MAX_PAIRS);
	else
		cfg.nresource = 2 + object_pairs(json_object_get(t, "resource_attributes"), resource + 2,
		                                 MAX_PAIRS, rscratch);
	cfg.resource = resource;

	if (!cfg.tracing && !cfg.metrics)
		mx_info("telemetry: enabled for profile '%s', but neither tracing.enabled nor "
		        "metrics.enabled is set: nothing is exported",
		        p->profile);
	else if ((cfg.endpoint == NULL || *cfg.endpoint == '\0') && !cfg.console)
		mx_warn("telemetry: no endpoint (telemetry.endpoint or OTEL_EXPORTER_OTLP_ENDPOINT): "
		        "nothing is exported");
	int rc = mx_telemetry_start(&cfg, err);
	mx_free(hbuf);
	mx_free(rbuf);
	return rc;
}
