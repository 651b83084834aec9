/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fetch — see fetch.h. This file is mxcp_fetch.so, the module that links
 * libcurl (core/module.h); the binary's side is fetch_load.c.
 */
#include "core/fetch.h"

#include "core/err.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static pthread_once_t global_once = PTHREAD_ONCE_INIT;

static void global_init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

static void global_init(void)
{
	pthread_once(&global_once, global_init_once);
}

static void global_cleanup(void)
{
	curl_global_cleanup();
}

static size_t on_body(char *data, size_t size, size_t n, void *ud)
{
	struct mx_fetch_response *r = ud;
	return mx_buf_append(&r->body, data, size * n) ? 0 : size * n;
}

static size_t on_header(char *data, size_t size, size_t n, void *ud)
{
	struct mx_fetch_response *r = ud;
	size_t len = size * n;
	static const char NAME[] = "retry-after:";
	if (len > sizeof NAME - 1 && strncasecmp(data, NAME, sizeof NAME - 1) == 0) {
		char tmp[32];
		size_t vl = len - (sizeof NAME - 1);
		if (vl >= sizeof tmp)
			vl = sizeof tmp - 1;
		memcpy(tmp, data + sizeof NAME - 1, vl);
		tmp[vl] = 0;
		char *end;
		long v = strtol(tmp, &end, 10);
		if (end != tmp && v >= 0)
			r->retry_after = v;
	}
	return len;
}

static int fetch(const struct mx_fetch_request *rq, struct mx_fetch_response *resp)
{
	memset(resp, 0, sizeof *resp);
	resp->retry_after = -1;
	mx_buf_init(&resp->body, rq->max_response);
	global_init();
	CURL *c = curl_easy_init();
	struct curl_slist *headers = NULL;
	int rc = c ? 0 : MX_ENOMEM;
	for (size_t i = 0; rc == 0 && rq->headers && rq->headers[i]; i++) {
		struct curl_slist *l = curl_slist_append(headers, rq->headers[i]);
		if (l == NULL)
			rc = MX_ENOMEM;
		else
			headers = l;
	}
	if (rc) {
		snprintf(resp->error, sizeof resp->error, "out of memory");
		curl_slist_free_all(headers);
		if (c)
			curl_easy_cleanup(c);
		return rc;
	}
	char errbuf[CURL_ERROR_SIZE] = "";
	curl_easy_setopt(c, CURLOPT_URL, rq->url);
	if (rq->body) {
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, rq->body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)rq->body_len);
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, resp);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, resp);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, rq->timeout_s);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, rq->connect_timeout_s);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	CURLcode cc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
	curl_easy_cleanup(c);
	curl_slist_free_all(headers);
	if (cc != CURLE_OK) {
		resp->timed_out = cc == CURLE_OPERATION_TIMEDOUT;
		snprintf(resp->error, sizeof resp->error, "%s", errbuf[0] ? errbuf : curl_easy_strerror(cc));
		return MX_EIO;
	}
	return 0;
}

static const struct mx_fetch_module module = {
        .abi = MX_FETCH_ABI,
        .fetch = fetch,
        .global_init = global_init,
        .global_cleanup = global_cleanup,
};

__attribute__((visibility("default"))) const struct mx_fetch_module *mxcp_fetch_module(void)
{
	return &module;
}
