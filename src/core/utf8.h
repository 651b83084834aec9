/* SPDX-License-Identifier: Apache-2.0 */
/*
 * utf8 — small text helpers shared by the parsers that decode escapes
 * (Jinja templates, CEL string literals, URI templates). Pure functions.
 */
#ifndef MX_CORE_UTF8_H
#define MX_CORE_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Encode code point cp (at most 0x10FFFF) into out; returns the bytes written (1..4). */
size_t mx_utf8_put(char *out, uint32_t cp);

/* The value of a hexadecimal digit, or -1. */
int mx_hex_digit(int c);

#endif
