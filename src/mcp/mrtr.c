/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mrtr — input-required results (2026-07-28, SEP-2322): how a call asks
 * the client something without a server-to-client request.
 *
 * A call that asks (Python's mcp.elicit/sample/list_roots, a prompt's
 * missing arguments) ends with {"resultType": "input_required",
 * "inputRequests": {key: {method, params}}, "requestState": …}. The client
 * answers each request and sends the same call again with
 * "inputResponses": {key: answer} and the requestState. The call then runs
 * again from the start; every question it already asked now finds its
 * answer (this round's inputResponses, or an earlier round's, carried in
 * requestState), so the endpoint goes further, asks the next question or
 * completes. Nothing is kept on the server between rounds, so any instance
 * behind a load balancer can take the next round.
 *
 * requestState is base64url(JSON {"m": method, "n": name or URI, "a":
 * answers}) "." base64url(HMAC-SHA256(secret, the JSON)). A state whose MAC
 * does not verify, or that names another call, is refused with -32602: a
 * client cannot forge earlier answers through it. The secret is
 * MXCP_REQUEST_STATE_SECRET (the same on every instance), else 32 random
 * bytes per process.
 *
 * Threads: begin runs on the receiving thread before the call is queued;
 * ask on the worker (or a Python executor thread) under the session's
 * mutex; end on the worker after the handler.
 */
#include "mcp/internal.h"

#include "core/alloc.h"
#include "core/base64.h"
#include "core/buf.h"
#include "core/json.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A state bigger than this is refused (it carries the answers so far). */
#define MX_MCP_STATE_MAX (512 * 1024)

static unsigned char state_key[64];
static size_t state_key_len;
static pthread_once_t state_once = PTHREAD_ONCE_INIT;

static void init_key(void)
{
	const char *secret = getenv("MXCP_REQUEST_STATE_SECRET");
	if (secret && *secret) {
		unsigned int n = 0;
		/* any length: hashed to one HMAC key */
		EVP_Digest(secret, strlen(secret), state_key, &n, EVP_sha256(), NULL);
		state_key_len = n;
		return;
	}
	if (RAND_bytes(state_key, 32) != 1) {
		/* no entropy: still per process, never a constant */
		for (size_t i = 0; i < 32; i++)
			state_key[i] = (unsigned char)(rand() ^ (int)(size_t)&state_key);
	}
	state_key_len = 32;
}

void mx_mcp_mrtr_init(void)
{
	pthread_once(&state_once, init_key);
}

static const char *call_target(const struct mx_mcp_call *c)
{
	const char *n = json_string_value(json_object_get(c->params, "name"));
	return n ? n : json_string_value(json_object_get(c->params, "uri"));
}

/* ------------------------------------------------------------------ state */

static char *sign_state(const struct mx_mcp_call *c, const json_t *answers)
{
	mx_mcp_mrtr_init();
	json_t *doc = json_pack("{s:s, s:s, s:O}", "m", c->method, "n", call_target(c) ? call_target(c) : "",
	                        "a", (json_t *)answers);
	char *payload = doc ? mx_json_dumps(doc, MX_JSON_COMPACT | MX_JSON_SORTED) : NULL;
	json_decref(doc);
	if (payload == NULL)
		return NULL;
	size_t n = strlen(payload);
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	HMAC(EVP_sha256(), state_key, (int)state_key_len, (const unsigned char *)payload, n, mac, &maclen);
	char *out = mx_malloc(mx_base64_encoded_len(n) + mx_base64_encoded_len(maclen) + 2);
	if (out) {
		size_t k = mx_base64url_encode(payload, n, out, 0);
		out[k++] = '.';
		k += mx_base64url_encode(mac, maclen, out + k, 0);
		out[k] = '\0';
	}
	mx_free(payload);
	return out;
}

/* The answers a state carries, or NULL when it does not verify or belongs
 * to another call. */
static json_t *open_state(const struct mx_mcp_call *c, const char *state)
{
	mx_mcp_mrtr_init();
	const char *dot = strchr(state, '.');
	size_t plen = dot ? (size_t)(dot - state) : 0;
	if (dot == NULL || plen == 0 || strlen(state) > MX_MCP_STATE_MAX)
		return NULL;
	char *payload = mx_malloc(plen + 1);
	size_t n = 0;
	unsigned char mac[64], want[EVP_MAX_MD_SIZE];
	size_t macn = 0;
	unsigned int wantn = 0;
	json_t *answers = NULL;
	if (payload && mx_base64url_decode(state, plen, payload, plen, &n) == 0 &&
	    mx_base64url_decode(dot + 1, strlen(dot + 1), mac, sizeof mac, &macn) == 0) {
		HMAC(EVP_sha256(), state_key, (int)state_key_len, (const unsigned char *)payload, n, want,
		     &wantn);
		if (macn == wantn && CRYPTO_memcmp(mac, want, wantn) == 0) {
			json_t *doc = json_loadb(payload, n, 0, NULL);
			const char *m = json_string_value(json_object_get(doc, "m"));
			const char *t = json_string_value(json_object_get(doc, "n"));
			const char *target = call_target(c);
			if (m && t && strcmp(m, c->method) == 0 && strcmp(t, target ? target : "") == 0 &&
			    json_is_object(json_object_get(doc, "a")))
				answers = json_incref(json_object_get(doc, "a"));
			json_decref(doc);
		}
	}
	mx_free(payload);
	return answers;
}

/* ------------------------------------------------------------------ calls */

json_t *mx_mcp_mrtr_begin(struct mx_mcp_call *c)
{
	mx_mcp_mrtr_init();
	const json_t *meta = json_object_get(c->params, "_meta");
	const json_t *caps = json_object_get(meta, "io.modelcontextprotocol/clientCapabilities");
	c->client_caps = json_is_object(caps) ? json_incref((json_t *)caps) : NULL;
	const json_t *state = json_object_get(c->params, "requestState");
	const json_t *responses = json_object_get(c->params, "inputResponses");
	json_t *answers = NULL;
	if (state != NULL && !json_is_null(state)) {
		if (!json_is_string(state) || (answers = open_state(c, json_string_value(state))) == NULL)
			return mx_mcp_fail(c, MX_RPC_INVALID_PARAMS, NULL,
			                   "Invalid params: requestState failed its integrity check");
	}
	if (responses != NULL && !json_is_null(responses) && !json_is_object(responses)) {
		json_decref(answers);
		return mx_mcp_fail(c, MX_RPC_INVALID_PARAMS, NULL,
		                   "Invalid params: \"inputResponses\" must be an object");
	}
	if (answers == NULL)
		answers = json_object();
	const char *key;
	json_t *v;
	/* An answer is a result object (CreateMessageResult, ElicitResult,
	 * ListRootsResult); anything else is no answer, and its question is
	 * asked again. */
	json_object_foreach ((json_t *)responses, key, v)
		if (json_is_object(v))
			json_object_set(answers, key, v);
	c->input_answers = answers;
	return NULL;
}

int mx_mcp_mrtr_ask(struct mx_mcp_call *c, const char *key, const char *method, const json_t *params,
                    const char *capability, json_t **result, struct mx_err *err)
{
	*result = NULL;
	pthread_mutex_t *mu = mx_mcp_session_mutex(c->ss);
	pthread_mutex_lock(mu);
	int rc = 0;
	char dflt[32];
	if (key == NULL) {
		snprintf(dflt, sizeof dflt, "input-%d", ++c->input_seq);
		key = dflt;
	}
	if (json_object_get(c->client_caps, capability) == NULL) {
		if (c->missing_caps == NULL)
			c->missing_caps = json_object();
		json_object_set_new(c->missing_caps, capability, json_object());
		rc = mx_err_set(err, MX_ENOTFOUND, "%s: the client did not declare the '%s' capability",
		                method, capability);
	} else if (json_is_object(json_object_get(c->input_answers, key))) {
		*result = json_incref(json_object_get(c->input_answers, key));
	} else {
		if (c->input_requests == NULL)
			c->input_requests = json_object();
		json_t *p = json_deep_copy(params);
		json_object_del(p, MX_MCP_INPUT_KEY);
		json_object_set_new(
		        c->input_requests, key,
		        json_pack("{s:s, s:o}", "method", method, "params", p ? p : json_object()));
		rc = mx_err_set(err, MX_EINPUT, "%s: waiting for the client's input (%s)", method, key);
	}
	pthread_mutex_unlock(mu);
	return rc;
}

void mx_mcp_mrtr_end(struct mx_mcp_call *c, struct mx_mcp_reply *r)
{
	pthread_mutex_t *mu = mx_mcp_session_mutex(c->ss);
	pthread_mutex_lock(mu);
	json_t *asks = c->input_requests, *missing = c->missing_caps;
	c->input_requests = c->missing_caps = NULL;
	pthread_mutex_unlock(mu);
	if (asks && json_object_size(asks) > 0) {
		char *state = sign_state(c, c->input_answers);
		json_t *res = json_pack("{s:s, s:O}", "resultType", "input_required", "inputRequests", asks);
		if (res && state)
			json_object_set_new(res, "requestState", json_string(state));
		mx_free(state);
		if (r->msg != MX_MCP_REPLY_NONE)
			json_decref(r->msg);
		r->page = NULL;
		r->msg = res ? mx_mcp_ok(c, res) : NULL;
	} else if (missing && json_object_size(missing) > 0 && r->msg && r->msg != MX_MCP_REPLY_NONE &&
	           mx_mcp_message_failed(r->msg)) {
		json_decref(r->msg);
		r->msg = mx_mcp_fail(c, MX_MCP_CODE_MISSING_CAPABILITY,
		                     json_pack("{s:O}", "requiredCapabilities", missing),
		                     "Missing required client capability: the client did not declare it in "
		                     "_meta[\"io.modelcontextprotocol/clientCapabilities\"]");
	}
	json_decref(asks);
	json_decref(missing);
}
