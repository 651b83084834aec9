/* SPDX-License-Identifier: Apache-2.0 */
/*
 * request_headers — an HTTP request's headers as the call context sees them
 * (get_request_header(name) and get_request_headers_json() in SQL, see
 * exec/udf.h): a JSON object of name → value, names lower-case, the first
 * value of a repeated header; a value that is not UTF-8 is read as
 * Latin-1, as HTTP's own default charset. Runs on the libmicrohttpd thread
 * that handles the request.
 */
#ifndef MX_TRANSPORT_HTTP_REQUEST_HEADERS_H
#define MX_TRANSPORT_HTTP_REQUEST_HEADERS_H

#include <jansson.h>
#include <microhttpd.h>

/* New reference; NULL on out of memory (the call then sees no headers). */
json_t *mx_http_request_headers(struct MHD_Connection *c);

#endif
