/* SPDX-License-Identifier: Apache-2.0 */
/*
 * checks — what a request must satisfy before it reaches the protocol
 * core: Host and Origin (DNS-rebinding protection), Accept, the revision
 * headers, and on 2026-07-28 the headers that mirror the body
 * (MCP-Protocol-Version, Mcp-Method, Mcp-Name). Also the client's address
 * for logs, and the once-a-second limit on logging refusals. Pure
 * functions of the request; any MHD thread.
 */
#include "transport/http/internal.h"

#include "core/base64.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* ------------------------------------------------------ request checks */

const char *mx_http_header(struct MHD_Connection *c, const char *name)
{
	return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

/* Refusals are logged at most once a second, so a flood of bad requests
 * cannot flood the log as well. */
int mx_http_refusal_log_due(void)
{
	static _Atomic long long last;
	long long now = (long long)time(NULL);
	long long prev = atomic_load(&last);
	return prev != now && atomic_compare_exchange_strong(&last, &prev, now);
}

/* The client's address for logs: the peer, or — behind a trusted proxy —
 * the last X-Forwarded-For entry, the one that proxy appended (entries to
 * its left come from the client and can say anything). */
const char *mx_http_client_address(const struct mx_http *h, struct MHD_Connection *c, char *out, size_t n)
{
	const char *xff = h->opt.trust_proxy ? mx_http_header(c, "X-Forwarded-For") : NULL;
	if (xff != NULL && *xff != '\0') {
		const char *last = strrchr(xff, ',');
		last = last ? last + 1 : xff;
		while (*last == ' ' || *last == '\t')
			last++;
		size_t len = strcspn(last, " \t");
		if (len > 0) {
			snprintf(out, n, "%.*s", (int)(len < n ? len : n - 1), last);
			return out;
		}
	}
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;
	snprintf(out, n, "unknown");
	if (sa && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out,
		          (socklen_t)n);
	else if (sa && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, out,
		          (socklen_t)n);
	return out;
}

/* The host part of "host[:port]" or "[v6]:port", lower-cased. */
static void host_part(const char *hp, char *out, size_t n)
{
	size_t i = 0;
	if (*hp == '[') {
		const char *e = strchr(hp, ']');
		size_t len = e ? (size_t)(e - hp + 1) : strlen(hp);
		for (; i < len && i + 1 < n; i++)
			out[i] = hp[i];
	} else {
		for (; hp[i] && hp[i] != ':' && hp[i] != '/' && i + 1 < n; i++)
			out[i] = (char)(hp[i] >= 'A' && hp[i] <= 'Z' ? hp[i] + 32 : hp[i]);
	}
	out[i] = '\0';
}

static int is_local_name(const char *host)
{
	return !strcmp(host, "localhost") || !strcmp(host, "127.0.0.1") || !strcmp(host, "[::1]");
}

static int same_text(const char *a, const char *b)
{
	return a && b && strcasecmp(a, b) == 0;
}

/* A Host value fit to go into a URL we hand out: name or address, port. */
static int host_chars_ok(const char *s)
{
	if (s == NULL || *s == '\0' || strlen(s) > 255)
		return 0;
	for (; *s; s++)
		if (!(isalnum((unsigned char)*s) || strchr(".-_:[]", *s)))
			return 0;
	return 1;
}

/* The first comma-separated value of a forwarded header, if it is http(s). */
static const char *forwarded_scheme(const char *v)
{
	if (v == NULL)
		return NULL;
	while (*v == ' ')
		v++;
	if (strncasecmp(v, "https", 5) == 0 && (v[5] == '\0' || v[5] == ',' || v[5] == ' '))
		return "https";
	if (strncasecmp(v, "http", 4) == 0 && (v[4] == '\0' || v[4] == ',' || v[4] == ' '))
		return "http";
	return NULL;
}

const char *mx_http_base_url(const struct mx_http *h, struct MHD_Connection *c, char *out, size_t n)
{
	if (h->opt.base_url && h->opt.base_url[0]) {
		size_t len = strlen(h->opt.base_url);
		while (len > 0 && h->opt.base_url[len - 1] == '/')
			len--;
		snprintf(out, n, "%.*s", (int)len, h->opt.base_url);
		return out;
	}
	const char *scheme = h->opt.scheme && h->opt.scheme[0] ? h->opt.scheme : "http";
	const char *host = mx_http_header(c, "Host");
	if (h->opt.trust_proxy) {
		const char *fs = forwarded_scheme(mx_http_header(c, "X-Forwarded-Proto"));
		if (fs == NULL)
			fs = forwarded_scheme(mx_http_header(c, "X-Forwarded-Scheme"));
		if (fs)
			scheme = fs;
		const char *fh = mx_http_header(c, "X-Forwarded-Host");
		if (fh && host_chars_ok(fh))
			host = fh;
	}
	if (host_chars_ok(host))
		snprintf(out, n, "%s://%s", scheme, host);
	else
		snprintf(out, n, "%s://%s:%d", scheme,
		         h->opt.host && strcmp(h->opt.host, "0.0.0.0") != 0 ? h->opt.host : "localhost",
		         h->opt.port);
	return out;
}

/* DNS-rebinding protection: 0 when the request may go on. Bound to a
 * loopback address, only localhost names are accepted in Host and Origin;
 * otherwise an Origin must be the server's own (Host, or base_url). The
 * caller has refused a request without Host (400) already. */
int mx_http_origin_ok(struct mx_http *h, struct MHD_Connection *c)
{
	const char *origin = mx_http_header(c, "Origin");
	const char *host = mx_http_header(c, "Host");
	if (h->opt.trust_proxy && mx_http_header(c, "X-Forwarded-Host"))
		host = mx_http_header(c, "X-Forwarded-Host");
	/* An opaque origin ("null": sandboxed frames, file: pages, some
	 * redirects) cannot be on any allow-list. */
	if (origin && strcmp(origin, "null") == 0)
		return -1;
	char name[300];
	if (h->loopback) {
		host_part(host, name, sizeof name);
		if (!is_local_name(name))
			return -1;
		if (origin) {
			const char *p = strstr(origin, "://");
			host_part(p ? p + 3 : origin, name, sizeof name);
			if (!is_local_name(name))
				return -1;
		}
		return 0;
	}
	if (origin == NULL)
		return 0;
	if (h->base_origin[0] && same_text(origin, h->base_origin))
		return 0;
	const char *p = strstr(origin, "://");
	if (p == NULL || host == NULL || !same_text(p + 3, host))
		return -1;
	if (h->opt.trust_proxy && mx_http_header(c, "X-Forwarded-Proto")) {
		const char *proto = mx_http_header(c, "X-Forwarded-Proto");
		if (strlen(proto) != (size_t)(p - origin) || strncasecmp(origin, proto, (size_t)(p - origin)))
			return -1;
	}
	return 0;
}

/* Does a comma-separated media-type list name `type` (or a wildcard)? */
int mx_http_accepts(const char *accept, const char *type)
{
	if (accept == NULL)
		return 0;
	if (strstr(accept, "*/*"))
		return 1;
	size_t n = strlen(type);
	for (const char *p = accept; (p = strcasestr(p, type)) != NULL; p += n) {
		char after = p[n];
		if (after == '\0' || after == ',' || after == ';' || after == ' ')
			return 1;
	}
	return 0;
}

int mx_http_supported_revision(const char *v)
{
	for (int i = 0; MX_MCP_REVISIONS[i]; i++)
		if (strcmp(v, MX_MCP_REVISIONS[i]) == 0)
			return 1;
	return 0;
}

/* Decode Mcp-Name's "=?base64?…?=" form into out; 0, or -1 if malformed. */
static int decode_header_value(const char *v, char *out, size_t n)
{
	/* A field value excludes the optional whitespace around it (RFC 9110
	 * 5.5): " name " names "name". */
	while (*v == ' ' || *v == '\t')
		v++;
	size_t len = strlen(v);
	while (len > 0 && (v[len - 1] == ' ' || v[len - 1] == '\t'))
		len--;
	if (len + 1 > n)
		return -1;
	char trimmed[1024];
	if (len >= sizeof trimmed)
		return -1;
	memcpy(trimmed, v, len);
	trimmed[len] = '\0';
	v = trimmed;
	if (len < 11 || strncmp(v, "=?base64?", 9) != 0 || strcmp(v + len - 2, "?=") != 0) {
		if (len + 1 > n)
			return -1;
		memcpy(out, v, len + 1);
		return 0;
	}
	size_t o;
	if (mx_base64_decode(v + 9, len - 11, out, n - 1, &o) != 0)
		return -1;
	out[o] = '\0';
	return 0;
}

/* 2026-07-28: the request headers must mirror the body. NULL, or why not. */
const char *mx_http_header_mismatch(struct MHD_Connection *c, const json_t *msg, char *why, size_t n)
{
	const char *method = json_string_value(json_object_get(msg, "method"));
	const json_t *params = json_object_get(msg, "params");
	const char *pv = json_string_value(
	        json_object_get(json_object_get(params, "_meta"), "io.modelcontextprotocol/protocolVersion"));
	const char *hpv = mx_http_header(c, "MCP-Protocol-Version");
	if (hpv == NULL)
		return "Header mismatch: the MCP-Protocol-Version header is required";
	if (pv && strcmp(pv, hpv) != 0) {
		snprintf(why, n,
		         "Header mismatch: MCP-Protocol-Version header value '%s' does not match body value "
		         "'%s'",
		         hpv, pv);
		return why;
	}
	if (method == NULL)
		return NULL;
	const char *hm = mx_http_header(c, "Mcp-Method");
	if (hm == NULL)
		return "Header mismatch: the Mcp-Method header is required";
	if (strcmp(hm, method) != 0) {
		snprintf(why, n,
		         "Header mismatch: Mcp-Method header value '%s' does not match body value '%s'", hm,
		         method);
		return why;
	}
	const char *key = !strcmp(method, "tools/call") || !strcmp(method, "prompts/get") ? "name"
	                  : !strcmp(method, "resources/read")                             ? "uri"
	                                                                                  : NULL;
	if (key == NULL || !json_is_object(msg) || json_object_get(msg, "id") == NULL)
		return NULL;
	const char *body = json_string_value(json_object_get(params, key));
	const char *hn = mx_http_header(c, "Mcp-Name");
	if (hn == NULL)
		return "Header mismatch: the Mcp-Name header is required";
	char dec[1024];
	if (decode_header_value(hn, dec, sizeof dec) != 0)
		return "Header mismatch: the Mcp-Name header is malformed";
	if (body == NULL || strcmp(dec, body) != 0) {
		snprintf(why, n,
		         "Header mismatch: Mcp-Name header value '%.200s' does not match body value '%.200s'",
		         dec, body ? body : "");
		return why;
	}
	return NULL;
}
