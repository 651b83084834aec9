/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lex — the CEL lexer: one token at a time from a bounded source.
 *
 * Numbers are decoded here (ints as their unsigned magnitude so the parser
 * can fold "-9223372036854775808"), and string/bytes literals are decoded
 * with every escape of langdef.md into the caller's arena, so evaluation
 * never looks at source text again. Errors come back as an ERROR token with
 * the byte offset at fault. Pure; no globals.
 */
#include "core/utf8.h"
#include "cel/cel_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static bool is_ident_start(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_digit(int c)
{
	return c >= '0' && c <= '9';
}

bool mx_cel_is_reserved(const char *p, size_t n)
{
	static const char *const words[] = {"as",        "break",  "const",  "continue", "else", "for",
	                                    "function",  "if",     "import", "let",      "loop", "package",
	                                    "namespace", "return", "var",    "void",     "while"};
	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
		if (strlen(words[i]) == n && memcmp(words[i], p, n) == 0)
			return true;
	return false;
}

static void lex_error(struct mx_cel_token *t, size_t pos, const char *msg)
{
	t->kind = MX_CEL_T_ERROR;
	t->errmsg = msg;
	t->errpos = pos;
}

/* ---- numbers ---- */

static void lex_number(struct mx_cel_lexer *lx, struct mx_cel_token *t)
{
	const char *s = lx->src;
	size_t i = lx->pos, start = lx->pos;
	if (s[i] == '0' && i + 1 < lx->n && (s[i + 1] == 'x' || s[i + 1] == 'X')) {
		i += 2;
		size_t d0 = i;
		uint64_t v = 0;
		bool over = false;
		while (i < lx->n && mx_hex_digit((unsigned char)s[i]) >= 0) {
			if (v >> 60)
				over = true;
			v = (v << 4) | (uint64_t)mx_hex_digit((unsigned char)s[i]);
			i++;
		}
		if (i == d0) {
			lex_error(t, start, "invalid hex literal");
			return;
		}
		if (i < lx->n && (s[i] == 'u' || s[i] == 'U')) {
			i++;
			t->kind = MX_CEL_T_UINT;
			if (over) {
				lex_error(t, start, "uint literal out of range");
				return;
			}
		} else {
			t->kind = MX_CEL_T_INT;
			if (over || v > (uint64_t)INT64_MAX + 1) {
				lex_error(t, start, "int literal out of range");
				return;
			}
			t->int_overflow = v > (uint64_t)INT64_MAX;
		}
		t->lit.u = v;
		lx->pos = i;
		t->len = i - start;
		return;
	}
	bool is_double = false;
	while (i < lx->n && is_digit((unsigned char)s[i]))
		i++;
	if (i + 1 < lx->n && s[i] == '.' && is_digit((unsigned char)s[i + 1])) {
		is_double = true;
		i++;
		while (i < lx->n && is_digit((unsigned char)s[i]))
			i++;
	}
	if (i < lx->n && (s[i] == 'e' || s[i] == 'E')) {
		size_t j = i + 1;
		if (j < lx->n && (s[j] == '+' || s[j] == '-'))
			j++;
		if (j < lx->n && is_digit((unsigned char)s[j])) {
			is_double = true;
			while (j < lx->n && is_digit((unsigned char)s[j]))
				j++;
			i = j;
		}
	}
	char tmp[512];
	size_t len = i - start;
	if (len >= sizeof tmp) {
		lex_error(t, start, "numeric literal too long");
		return;
	}
	memcpy(tmp, s + start, len);
	tmp[len] = 0;
	if (is_double) {
		t->kind = MX_CEL_T_DOUBLE;
		t->lit.d = strtod(tmp, NULL);
	} else {
		errno = 0;
		unsigned long long v = strtoull(tmp, NULL, 10);
		bool over = errno == ERANGE;
		if (i < lx->n && (s[i] == 'u' || s[i] == 'U')) {
			i++;
			t->kind = MX_CEL_T_UINT;
			if (over) {
				lex_error(t, start, "uint literal out of range");
				return;
			}
		} else {
			t->kind = MX_CEL_T_INT;
			if (over || v > (unsigned long long)INT64_MAX + 1) {
				lex_error(t, start, "int literal out of range");
				return;
			}
			t->int_overflow = v > (unsigned long long)INT64_MAX;
		}
		t->lit.u = v;
	}
	lx->pos = i;
	t->len = i - start;
}

/* ---- strings ---- */

/* Decode one escape at s[*i] (just past the backslash). Writes to out, returns bytes or -1. */
static int decode_escape(const char *s, size_t n, size_t *i, bool bytes, char *out, const char **msg)
{
	size_t j = *i;
	if (j >= n) {
		*msg = "unterminated escape";
		return -1;
	}
	char c = s[j];
	uint32_t cp = 0;
	int digits = 0;
	switch (c) {
	case 'a': out[0] = '\a'; break;
	case 'b': out[0] = '\b'; break;
	case 'f': out[0] = '\f'; break;
	case 'n': out[0] = '\n'; break;
	case 'r': out[0] = '\r'; break;
	case 't': out[0] = '\t'; break;
	case 'v': out[0] = '\v'; break;
	case '\\':
	case '?':
	case '"':
	case '\'':
	case '`': out[0] = c; break;
	case 'x':
	case 'X': digits = 2; break;
	case 'u': digits = 4; break;
	case 'U': digits = 8; break;
	default:
		if (c >= '0' && c <= '3') {
			if (j + 2 >= n || s[j + 1] < '0' || s[j + 1] > '7' || s[j + 2] < '0' ||
			    s[j + 2] > '7') {
				*msg = "invalid octal escape";
				return -1;
			}
			cp = (uint32_t)((c - '0') * 64 + (s[j + 1] - '0') * 8 + (s[j + 2] - '0'));
			*i = j + 3;
			if (bytes) {
				out[0] = (char)cp;
				return 1;
			}
			return (int)mx_utf8_put(out, cp);
		}
		*msg = "invalid escape sequence";
		return -1;
	}
	if (digits == 0) {
		*i = j + 1;
		return 1;
	}
	if (bytes && c == 'U') {
		*msg = "\\U escape not allowed in bytes";
		return -1;
	}
	j++;
	for (int k = 0; k < digits; k++, j++) {
		int h = j < n ? mx_hex_digit((unsigned char)s[j]) : -1;
		if (h < 0) {
			*msg = "invalid hex escape";
			return -1;
		}
		cp = cp * 16 + (uint32_t)h;
	}
	*i = j;
	if (digits == 2 && bytes) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
		*msg = "invalid unicode code point";
		return -1;
	}
	return (int)mx_utf8_put(out, cp);
}

static void lex_string(struct mx_cel_lexer *lx, struct mx_cel_token *t, size_t start, bool raw, bool bytes)
{
	const char *s = lx->src;
	size_t n = lx->n, i = lx->pos;
	char q = s[i];
	bool triple = i + 2 < n && s[i + 1] == q && s[i + 2] == q;
	i += triple ? 3 : 1;
	/* decoded text is never longer than the source */
	char *out = mx_cel_arena_alloc(lx->arena, n - i + 1);
	if (out == NULL) {
		lex_error(t, start, "out of memory");
		return;
	}
	size_t o = 0;
	for (;;) {
		if (i >= n) {
			lex_error(t, start, "unterminated string literal");
			return;
		}
		char c = s[i];
		if (c == q && (!triple || (i + 2 < n && s[i + 1] == q && s[i + 2] == q))) {
			i += triple ? 3 : 1;
			break;
		}
		if (!triple && (c == '\n' || c == '\r')) {
			lex_error(t, start, "newline in string literal");
			return;
		}
		if (c == '\\' && !raw) {
			size_t at = i;
			i++;
			const char *msg = NULL;
			int k = decode_escape(s, n, &i, bytes, out + o, &msg);
			if (k < 0) {
				lex_error(t, at, msg);
				return;
			}
			o += (size_t)k;
			continue;
		}
		out[o++] = c;
		i++;
	}
	out[o] = 0;
	if (!bytes && !mx_utf8_valid(out, o)) {
		lex_error(t, start, "invalid UTF-8 in string literal");
		return;
	}
	t->kind = bytes ? MX_CEL_T_BYTES : MX_CEL_T_STRING;
	t->lit.kind = bytes ? MX_CEL_BYTES : MX_CEL_STRING;
	t->lit.s.p = out;
	t->lit.s.n = o;
	lx->pos = i;
	t->len = i - start;
}

/* ---- tokens ---- */

void mx_cel_lex_next(struct mx_cel_lexer *lx, struct mx_cel_token *t)
{
	const char *s = lx->src;
	size_t n = lx->n;
	memset(t, 0, sizeof *t);
	for (;;) {
		while (lx->pos < n && (s[lx->pos] == ' ' || s[lx->pos] == '\t' || s[lx->pos] == '\n' ||
		                       s[lx->pos] == '\r' || s[lx->pos] == '\f'))
			lx->pos++;
		if (lx->pos + 1 < n && s[lx->pos] == '/' && s[lx->pos + 1] == '/') {
			while (lx->pos < n && s[lx->pos] != '\n')
				lx->pos++;
			continue;
		}
		break;
	}
	size_t i = lx->pos;
	t->pos = i;
	if (i >= n) {
		t->kind = MX_CEL_T_EOF;
		return;
	}
	unsigned char c = (unsigned char)s[i];
	/* string prefixes: r, b, rb, br in any case */
	if (c == 'r' || c == 'R' || c == 'b' || c == 'B') {
		bool raw = false, bytes = false;
		size_t j = i;
		for (int k = 0; k < 2 && j < n; k++) {
			char d = s[j];
			if ((d == 'r' || d == 'R') && !raw)
				raw = true;
			else if ((d == 'b' || d == 'B') && !bytes)
				bytes = true;
			else
				break;
			j++;
			if (j < n && (s[j] == '"' || s[j] == '\'')) {
				lx->pos = j;
				lex_string(lx, t, i, raw, bytes);
				return;
			}
		}
	}
	if (is_ident_start(c)) {
		size_t j = i;
		while (j < n && (is_ident_start((unsigned char)s[j]) || is_digit((unsigned char)s[j])))
			j++;
		t->len = j - i;
		lx->pos = j;
		const char *w = s + i;
		if (t->len == 4 && memcmp(w, "true", 4) == 0)
			t->kind = MX_CEL_T_TRUE;
		else if (t->len == 5 && memcmp(w, "false", 5) == 0)
			t->kind = MX_CEL_T_FALSE;
		else if (t->len == 4 && memcmp(w, "null", 4) == 0)
			t->kind = MX_CEL_T_NULL;
		else if (t->len == 2 && memcmp(w, "in", 2) == 0)
			t->kind = MX_CEL_T_IN;
		else
			t->kind = MX_CEL_T_IDENT;
		return;
	}
	if (is_digit(c) || (c == '.' && i + 1 < n && is_digit((unsigned char)s[i + 1]))) {
		lex_number(lx, t);
		return;
	}
	if (c == '"' || c == '\'') {
		lex_string(lx, t, i, false, false);
		return;
	}
	if (c == '`') {
		size_t j = i + 1;
		while (j < n && s[j] != '`' && s[j] != '\n' && s[j] != '\r')
			j++;
		if (j >= n || s[j] != '`' || j == i + 1) {
			lex_error(t, i, "invalid quoted identifier");
			return;
		}
		t->kind = MX_CEL_T_QIDENT;
		t->len = j + 1 - i;
		lx->pos = j + 1;
		return;
	}
	char d = i + 1 < n ? s[i + 1] : 0;
	t->len = 1;
	switch (c) {
	case '(': t->kind = MX_CEL_T_LPAREN; break;
	case ')': t->kind = MX_CEL_T_RPAREN; break;
	case '[': t->kind = MX_CEL_T_LBRACKET; break;
	case ']': t->kind = MX_CEL_T_RBRACKET; break;
	case '{': t->kind = MX_CEL_T_LBRACE; break;
	case '}': t->kind = MX_CEL_T_RBRACE; break;
	case '.': t->kind = MX_CEL_T_DOT; break;
	case ',': t->kind = MX_CEL_T_COMMA; break;
	case ':': t->kind = MX_CEL_T_COLON; break;
	case '?': t->kind = MX_CEL_T_QUESTION; break;
	case '-': t->kind = MX_CEL_T_MINUS; break;
	case '+': t->kind = MX_CEL_T_PLUS; break;
	case '*': t->kind = MX_CEL_T_STAR; break;
	case '/': t->kind = MX_CEL_T_SLASH; break;
	case '%': t->kind = MX_CEL_T_PERCENT; break;
	case '!':
		t->kind = d == '=' ? MX_CEL_T_NE : MX_CEL_T_NOT;
		t->len = d == '=' ? 2 : 1;
		break;
	case '<':
		t->kind = d == '=' ? MX_CEL_T_LE : MX_CEL_T_LT;
		t->len = d == '=' ? 2 : 1;
		break;
	case '>':
		t->kind = d == '=' ? MX_CEL_T_GE : MX_CEL_T_GT;
		t->len = d == '=' ? 2 : 1;
		break;
	case '=':
		if (d != '=') {
			lex_error(t, i, "token recognition error at: '='");
			return;
		}
		t->kind = MX_CEL_T_EQ;
		t->len = 2;
		break;
	case '&':
		if (d != '&') {
			lex_error(t, i, "token recognition error at: '&'");
			return;
		}
		t->kind = MX_CEL_T_AND;
		t->len = 2;
		break;
	case '|':
		if (d != '|') {
			lex_error(t, i, "token recognition error at: '|'");
			return;
		}
		t->kind = MX_CEL_T_OR;
		t->len = 2;
		break;
	default: lex_error(t, i, "unexpected character"); return;
	}
	lx->pos = i + t->len;
}
