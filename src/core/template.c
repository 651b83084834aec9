/* SPDX-License-Identifier: Apache-2.0 */
/*
 * template — a Jinja2-subset template engine over jansson values (see
 * template.h for the supported language).
 *
 * Layout: the lexer turns the (newline-normalised) source into tokens, the
 * parser turns tokens into a tree of statements and expressions, the
 * analyser computes the free variables once, and the renderer walks the
 * tree. Everything the template owns lives in one arena, freed in one call;
 * the tree is never written after compile, so renders from several threads
 * share it safely. A render keeps its state (frames of local variables, the
 * iteration budget) on the caller's stack, and its values are fresh jansson
 * references or references to the caller's context.
 *
 * Values follow Python as Jinja2 sees them: JSON strings are str, integers
 * int, reals float, true/false bool, null None, arrays list, objects dict.
 * A render-time value is a struct val: a jansson reference, or no reference
 * at all for Jinja's Undefined (which remembers the lookup that produced
 * it, for the error message should it reach arithmetic).
 *
 * Deliberate differences from Jinja2, all towards leniency or simplicity:
 * an attribute, item or method of an undefined value is undefined (Jinja
 * raises); generators (unique, reverse, map, select) are lists; tuples are
 * lists; dict literals take string keys only; case mapping covers ASCII,
 * Latin-1/Extended-A, Greek and Cyrillic.
 */
#include "core/utf8.h"
#include "core/template.h"

#include "core/alloc.h"
#include "core/err.h"
#include "core/json.h"
#include "core/pytext.h"

#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CALL_ARGS 32
#define MAX_VALUE_DEPTH 1000

/* ------------------------------------------------------------------------
 * Arena: every node, name and string of a compiled template.
 * ---------------------------------------------------------------------- */

struct arena {
	struct arena *next;
	size_t used, cap;
	max_align_t data[];
};

static void *arena_alloc(struct arena **head, size_t n)
{
	size_t unit = sizeof(max_align_t);
	n = n ? (n + unit - 1) / unit * unit : unit;
	struct arena *c = *head;
	if (c == NULL || c->cap - c->used < n) {
		size_t cap = n > 16384 ? n : 16384;
		c = mx_malloc(sizeof *c + cap);
		if (c == NULL)
			return NULL;
		c->next = *head;
		c->used = 0;
		c->cap = cap;
		*head = c;
	}
	void *p = (char *)c->data + c->used;
	c->used += n;
	memset(p, 0, n);
	return p;
}

static void arena_free(struct arena *a)
{
	while (a) {
		struct arena *next = a->next;
		mx_free(a);
		a = next;
	}
}

static char *arena_strndup(struct arena **a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);
	if (p) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

/* Grow an arena-backed vector of n elements to twice its capacity. */
static void *vec_grow(struct arena **a, void *old, size_t n, size_t *cap, size_t elem)
{
	size_t ncap = *cap ? *cap * 2 : 4;
	void *nv = arena_alloc(a, ncap * elem);
	if (nv == NULL)
		return NULL;
	if (n)
		memcpy(nv, old, n * elem);
	*cap = ncap;
	return nv;
}

/* ------------------------------------------------------------------------
 * UTF-8 and Python character classes. Input is valid UTF-8: the template
 * is checked at compile, jansson checks every string it holds.
 * ---------------------------------------------------------------------- */

static int buf_put_cp(struct mx_buf *b, uint32_t cp)
{
	char tmp[4];
	return mx_buf_append(b, tmp, mx_utf8_put(tmp, cp));
}

/* str.isspace() */
static int cp_space(uint32_t c)
{
	return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 ||
	       c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F ||
	       c == 0x205F || c == 0x3000;
}

static int cp_is_upper(uint32_t c);
static int cp_is_lower(uint32_t c);

static uint32_t cp_upper(uint32_t c)
{
	if (c >= 'a' && c <= 'z')
		return c - 32;
	if (c < 0x80)
		return c;
	if ((c >= 0xE0 && c <= 0xFE && c != 0xF7))
		return c - 32;
	if (c == 0xFF)
		return 0x178;
	if (c == 0xB5)
		return 0x39C;
	if (c >= 0x100 && c <= 0x17F) {
		if (c == 0x131)
			return 'I';
		if (c == 0x17F)
			return 'S';
		if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E))
			return (c % 2 == 0) ? c - 1 : c;
		if (c == 0x138 || c == 0x149 || c == 0x178)
			return c;
		return (c % 2 == 1) ? c - 1 : c;
	}
	if (c >= 0x3B1 && c <= 0x3C9)
		return c == 0x3C2 ? 0x3A3 : c - 32;
	if (c >= 0x430 && c <= 0x44F)
		return c - 32;
	if (c >= 0x450 && c <= 0x45F)
		return c - 80;
	return c;
}

static uint32_t cp_lower(uint32_t c)
{
	if (c >= 'A' && c <= 'Z')
		return c + 32;
	if (c < 0x80)
		return c;
	if (c >= 0xC0 && c <= 0xDE && c != 0xD7)
		return c + 32;
	if (c == 0x178)
		return 0xFF;
	if (c >= 0x100 && c <= 0x17F) {
		if (c == 0x130)
			return 'i';
		if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E))
			return (c % 2 == 1) ? c + 1 : c;
		if (c == 0x138 || c == 0x149 || c == 0x17F)
			return c;
		return (c % 2 == 0) ? c + 1 : c;
	}
	if (c >= 0x391 && c <= 0x3A9 && c != 0x3A2)
		return c + 32;
	if (c >= 0x410 && c <= 0x42F)
		return c + 32;
	if (c >= 0x400 && c <= 0x40F)
		return c + 80;
	return c;
}

static int cp_is_upper(uint32_t c)
{
	return cp_lower(c) != c;
}

static int cp_is_lower(uint32_t c)
{
	return cp_upper(c) != c || c == 0xDF;
}

static int cp_alpha(uint32_t c)
{
	return (c < 0x80) ? ((c | 32) >= 'a' && (c | 32) <= 'z')
	                  : (cp_is_upper(c) || cp_is_lower(c) || c >= 0x100);
}

static int cp_digit(uint32_t c)
{
	return c >= '0' && c <= '9';
}

/* \w of Python's re (Unicode): letters, digits, underscore. */
static int cp_word(uint32_t c)
{
	return cp_digit(c) || c == '_' || cp_alpha(c) ||
	       (c >= 0xAA && !cp_space(c) && c != 0xD7 && c != 0xF7);
}

static int is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static int is_name_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int is_name_char(char c)
{
	return is_name_start(c) || (c >= '0' && c <= '9');
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* ------------------------------------------------------------------------
 * Errors: "line L, column C: message", the first one wins.
 * ---------------------------------------------------------------------- */

__attribute__((format(printf, 5, 0))) static int fail_atv(struct mx_err *err, int code, int line, int col,
                                                          const char *fmt, va_list ap)
{
	if (err == NULL || err->msg[0])
		return code;
	char msg[MX_ERR_MSG_MAX - 64];
	vsnprintf(msg, sizeof msg, fmt, ap);
	if (line > 0)
		mx_err_set(err, code, "line %d, column %d: %s", line, col, msg);
	else
		mx_err_set(err, code, "%s", msg);
	err->line = line;
	err->col = col;
	return code;
}

/* ------------------------------------------------------------------------
 * Lexer: source → tokens. Like Jinja's, it splits template data from
 * {{ }}, {% %} and {# #}, applies whitespace control and {% raw %}, and
 * tokenizes the inside of tags; a closing '}}' or '%}' only counts where
 * brackets are balanced.
 * ---------------------------------------------------------------------- */

enum tok_type {
	TK_EOF,
	TK_DATA,
	TK_VAR_BEGIN,
	TK_VAR_END,
	TK_BLOCK_BEGIN,
	TK_BLOCK_END,
	TK_NAME,
	TK_STRING,
	TK_INT,
	TK_FLOAT,
	TK_OP,
};

enum op {
	OP_NONE,
	OP_ADD,
	OP_SUB,
	OP_MUL,
	OP_DIV,
	OP_FLOORDIV,
	OP_MOD,
	OP_POW,
	OP_TILDE,
	OP_LBRACKET,
	OP_RBRACKET,
	OP_LPAREN,
	OP_RPAREN,
	OP_LBRACE,
	OP_RBRACE,
	OP_EQ,
	OP_NE,
	OP_LT,
	OP_LE,
	OP_GT,
	OP_GE,
	OP_ASSIGN,
	OP_DOT,
	OP_COLON,
	OP_PIPE,
	OP_COMMA,
	OP_SEMICOLON,
	OP_IN, /* only in compare chains */
	OP_NOTIN,
};

static const struct {
	const char *text;
	enum op op;
} op_table[] = {
        {"//", OP_FLOORDIV}, {"**", OP_POW},   {"==", OP_EQ},        {"!=", OP_NE},      {"<=", OP_LE},
        {">=", OP_GE},       {"+", OP_ADD},    {"-", OP_SUB},        {"*", OP_MUL},      {"/", OP_DIV},
        {"%", OP_MOD},       {"~", OP_TILDE},  {"[", OP_LBRACKET},   {"]", OP_RBRACKET}, {"(", OP_LPAREN},
        {")", OP_RPAREN},    {"{", OP_LBRACE}, {"}", OP_RBRACE},     {"<", OP_LT},       {">", OP_GT},
        {"=", OP_ASSIGN},    {".", OP_DOT},    {":", OP_COLON},      {"|", OP_PIPE},     {",", OP_COMMA},
        {";", OP_SEMICOLON}, {"in", OP_IN},    {"not in", OP_NOTIN},
};

static const char *op_text(int op)
{
	for (size_t i = 0; i < sizeof op_table / sizeof op_table[0]; i++)
		if ((int)op_table[i].op == op)
			return op_table[i].text;
	return "?";
}

struct token {
	enum tok_type type;
	enum op op;
	int line, col;
	const char *p; /* the token's text in the source; DATA: after whitespace control */
	size_t n;
	const char *sval; /* STRING: the decoded value (arena) */
	size_t slen;
	json_int_t ival;
	double fval;
};

struct lexer {
	const char *s;
	size_t n;
	size_t mark; /* line/col are known up to here */
	int mark_line, mark_col;
	struct token *toks;
	size_t ntoks, cap;
	struct arena **arena;
	struct mx_err *err;
	char brackets[MX_TEMPLATE_MAX_EXPR_DEPTH];
	int nbrackets;
};

static void locate(struct lexer *lx, size_t off, int *line, int *col)
{
	if (off < lx->mark) {
		lx->mark = 0;
		lx->mark_line = lx->mark_col = 1;
	}
	while (lx->mark < off) {
		unsigned char c = (unsigned char)lx->s[lx->mark++];
		if (c == '\n') {
			lx->mark_line++;
			lx->mark_col = 1;
		} else if ((c & 0xC0) != 0x80) {
			lx->mark_col++;
		}
	}
	*line = lx->mark_line;
	*col = lx->mark_col;
}

__attribute__((format(printf, 4, 5))) static int lex_error(struct lexer *lx, int code, size_t off,
                                                           const char *fmt, ...)
{
	int line, col;
	locate(lx, off, &line, &col);
	va_list ap;
	va_start(ap, fmt);
	fail_atv(lx->err, code, line, col, fmt, ap);
	va_end(ap);
	return code;
}

static struct token *push_tok(struct lexer *lx, enum tok_type type, size_t off, size_t len)
{
	if (lx->ntoks == lx->cap) {
		size_t ncap = lx->cap ? lx->cap * 2 : 64;
		struct token *nt = mx_realloc(lx->toks, ncap * sizeof *nt);
		if (nt == NULL) {
			lex_error(lx, MX_ENOMEM, off, "out of memory");
			return NULL;
		}
		lx->toks = nt;
		lx->cap = ncap;
	}
	struct token *t = &lx->toks[lx->ntoks++];
	memset(t, 0, sizeof *t);
	t->type = type;
	t->p = lx->s + off;
	t->n = len;
	locate(lx, off, &t->line, &t->col);
	return t;
}

/* A string literal at p: Python's unicode-escape rules, as Jinja decodes it. */
static int lex_string(struct lexer *lx, size_t p, size_t *endp)
{
	const char *s = lx->s;
	char q = s[p];
	size_t i = p + 1;
	while (i < lx->n && s[i] != q)
		i += (s[i] == '\\') ? 2 : 1;
	if (i >= lx->n)
		return lex_error(lx, MX_EINVAL, p, "unterminated string literal");
	struct token *t = push_tok(lx, TK_STRING, p, i + 1 - p);
	if (t == NULL)
		return MX_ENOMEM;
	char *out = arena_alloc(lx->arena, i - p);
	if (out == NULL)
		return lex_error(lx, MX_ENOMEM, p, "out of memory");
	size_t o = 0;
	for (size_t j = p + 1; j < i;) {
		if (s[j] != '\\') {
			out[o++] = s[j++];
			continue;
		}
		char e = s[j + 1];
		j += 2;
		uint32_t cp;
		int digits = 0;
		switch (e) {
		case '\n': continue;
		case '\\': out[o++] = '\\'; continue;
		case '\'': out[o++] = '\''; continue;
		case '"': out[o++] = '"'; continue;
		case 'a': out[o++] = '\a'; continue;
		case 'b': out[o++] = '\b'; continue;
		case 'f': out[o++] = '\f'; continue;
		case 'n': out[o++] = '\n'; continue;
		case 'r': out[o++] = '\r'; continue;
		case 't': out[o++] = '\t'; continue;
		case 'v': out[o++] = '\v'; continue;
		case 'x': digits = 2; break;
		case 'u': digits = 4; break;
		case 'U': digits = 8; break;
		case 'N': return lex_error(lx, MX_EINVAL, j - 2, "\\N{...} escapes are not supported");
		default:
			if (e >= '0' && e <= '7') {
				cp = (uint32_t)(e - '0');
				for (int k = 0; k < 2 && j < i && s[j] >= '0' && s[j] <= '7'; k++)
					cp = cp * 8 + (uint32_t)(s[j++] - '0');
				o += mx_utf8_put(out + o, cp);
			} else {
				out[o++] = '\\';
				j--; /* keep the character after the backslash as it is */
			}
			continue;
		}
		cp = 0;
		for (int k = 0; k < digits; k++) {
			int h = j < i ? mx_hex_digit(s[j]) : -1;
			if (h < 0)
				return lex_error(lx, MX_EINVAL, p, "truncated \\%c escape in string literal",
				                 e);
			cp = cp * 16 + (uint32_t)h;
			j++;
		}
		if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return lex_error(lx, MX_EINVAL, p, "invalid character escape in string literal");
		o += mx_utf8_put(out + o, cp);
	}
	out[o] = '\0';
	t->sval = out;
	t->slen = o;
	*endp = i + 1;
	return 0;
}

/* Digits with single underscores between them; returns the end. */
static size_t scan_digits(const char *s, size_t n, size_t p, int base)
{
	while (p < n) {
		if (mx_hex_digit(s[p]) >= 0 && mx_hex_digit(s[p]) < base)
			p++;
		else if (s[p] == '_' && p + 1 < n && mx_hex_digit(s[p + 1]) >= 0 &&
		         mx_hex_digit(s[p + 1]) < base && p > 0 && mx_hex_digit(s[p - 1]) >= 0)
			p++;
		else
			break;
	}
	return p;
}

static int lex_number(struct lexer *lx, size_t p, size_t *endp)
{
	const char *s = lx->s;
	size_t n = lx->n, start = p;
	int base = 10, is_float = 0;
	if (s[p] == '0' && p + 2 < n && s[p + 1] != '\0' && strchr("xXoObB", s[p + 1])) {
		char b = (char)(s[p + 1] | 32);
		base = b == 'x' ? 16 : b == 'o' ? 8 : 2;
		size_t q = scan_digits(s, n, p + 2, base);
		if (q > p + 2) {
			p = q;
			goto done;
		}
		base = 10;
	}
	p = scan_digits(s, n, p, 10);
	if (start == 0 || s[start - 1] != '.') {
		if (p + 1 < n && s[p] == '.' && is_digit(s[p + 1])) {
			p = scan_digits(s, n, p + 1, 10);
			is_float = 1;
		}
		if (p < n && (s[p] == 'e' || s[p] == 'E')) {
			size_t q = p + 1;
			if (q < n && (s[q] == '+' || s[q] == '-'))
				q++;
			if (q < n && is_digit(s[q])) {
				p = scan_digits(s, n, q, 10);
				is_float = 1;
			}
		}
	}
done:
	if (base == 10 && !is_float && s[start] == '0') {
		for (size_t i = start; i < p; i++)
			if (s[i] != '0' && s[i] != '_')
				return lex_error(
				        lx, MX_EINVAL, start,
				        "leading zeros in decimal integer literals are not permitted");
	}
	char tmp[80];
	size_t k = 0;
	for (size_t i = (base == 10 ? start : start + 2); i < p; i++) {
		if (s[i] == '_')
			continue;
		if (k + 1 >= sizeof tmp)
			return lex_error(lx, MX_EINVAL, start, "numeric literal too long");
		tmp[k++] = s[i];
	}
	tmp[k] = '\0';
	struct token *t = push_tok(lx, is_float ? TK_FLOAT : TK_INT, start, p - start);
	if (t == NULL)
		return MX_ENOMEM;
	char *end;
	if (is_float) {
		t->fval = strtod(tmp, &end);
		if (!isfinite(t->fval))
			return lex_error(lx, MX_EINVAL, start, "float literal out of range");
	} else {
		unsigned long long v = strtoull(tmp, &end, base);
		if (v > (unsigned long long)LLONG_MAX || (v == ULLONG_MAX))
			return lex_error(lx, MX_EINVAL, start, "integer literal too large");
		t->ival = (json_int_t)v;
	}
	*endp = p;
	return 0;
}

/* Tokens inside a tag that starts at p; ends after '}}' / '%}'. */
static int lex_tag(struct lexer *lx, size_t p, int is_block, size_t *endp, int *lstrip)
{
	const char *s = lx->s;
	size_t n = lx->n;
	char c0 = is_block ? '%' : '}';
	lx->nbrackets = 0;
	for (;;) {
		while (p < n && is_ws(s[p]))
			p++;
		if (p >= n)
			return lex_error(lx, MX_EINVAL, n, "unexpected end of template, expected '%s'",
			                 is_block ? "%}" : "}}");
		if (lx->nbrackets == 0) {
			size_t end = 0;
			int strip = 0;
			if ((s[p] == '-' || (is_block && s[p] == '+')) && p + 2 < n && s[p + 1] == c0 &&
			    s[p + 2] == '}') {
				strip = s[p] == '-';
				end = p + 3;
			} else if (p + 1 < n && s[p] == c0 && s[p + 1] == '}') {
				end = p + 2;
			}
			if (end) {
				if (push_tok(lx, is_block ? TK_BLOCK_END : TK_VAR_END, p, end - p) == NULL)
					return MX_ENOMEM;
				*endp = end;
				*lstrip = strip;
				return 0;
			}
		}
		char c = s[p];
		int rc;
		if (is_digit(c)) {
			rc = lex_number(lx, p, &p);
		} else if (is_name_start(c)) {
			size_t q = p;
			while (q < n && is_name_char(s[q]))
				q++;
			rc = push_tok(lx, TK_NAME, p, q - p) ? 0 : MX_ENOMEM;
			p = q;
		} else if (c == '\'' || c == '"') {
			rc = lex_string(lx, p, &p);
		} else {
			enum op op = OP_NONE;
			size_t len = 0;
			for (size_t i = 0; i < sizeof op_table / sizeof op_table[0] && op_table[i].op < OP_IN;
			     i++) {
				size_t l = strlen(op_table[i].text);
				if (n - p >= l && memcmp(s + p, op_table[i].text, l) == 0) {
					op = op_table[i].op;
					len = l;
					break;
				}
			}
			if (op == OP_NONE) {
				if ((unsigned char)c >= 0x20 && (unsigned char)c < 0x7F)
					return lex_error(lx, MX_EINVAL, p, "unexpected character '%c'", c);
				return lex_error(lx, MX_EINVAL, p, "unexpected character '\\x%02x'",
				                 (unsigned char)c);
			}
			if (op == OP_LPAREN || op == OP_LBRACKET || op == OP_LBRACE) {
				if (lx->nbrackets >= MX_TEMPLATE_MAX_EXPR_DEPTH)
					return lex_error(lx, MX_ELIMIT, p,
					                 "expression nested too deeply (limit %d)",
					                 MX_TEMPLATE_MAX_EXPR_DEPTH);
				lx->brackets[lx->nbrackets++] = c == '(' ? ')' : c == '[' ? ']' : '}';
			} else if (op == OP_RPAREN || op == OP_RBRACKET || op == OP_RBRACE) {
				if (lx->nbrackets == 0 || lx->brackets[lx->nbrackets - 1] != c)
					return lex_error(lx, MX_EINVAL, p, "unexpected '%c'", c);
				lx->nbrackets--;
			}
			struct token *t = push_tok(lx, TK_OP, p, len);
			if (t == NULL)
				return MX_ENOMEM;
			t->op = op;
			p += len;
			rc = 0;
		}
		if (rc)
			return rc;
	}
}

/* After "{%" and its optional -/+ at p: "<word> [-]%}"? Returns the end or 0. */
static size_t match_word_tag(const char *s, size_t n, size_t p, const char *word, int *dash)
{
	while (p < n && is_ws(s[p]))
		p++;
	size_t wl = strlen(word);
	if (n - p < wl || memcmp(s + p, word, wl) != 0)
		return 0;
	p += wl;
	if (p < n && is_name_char(s[p]))
		return 0;
	while (p < n && is_ws(s[p]))
		p++;
	*dash = 0;
	if (p < n && (s[p] == '-' || s[p] == '+')) {
		*dash = s[p] == '-';
		p++;
	}
	if (p + 1 < n && s[p] == '%' && s[p + 1] == '}')
		return p + 2;
	return 0;
}

static int emit_data(struct lexer *lx, size_t off, size_t len, int lstrip, int rstrip)
{
	const char *p = lx->s + off;
	size_t n = len;
	if (lstrip)
		while (n && is_ws(*p))
			p++, n--;
	if (rstrip)
		while (n && is_ws(p[n - 1]))
			n--;
	if (n == 0)
		return 0;
	struct token *t = push_tok(lx, TK_DATA, off, len);
	if (t == NULL)
		return MX_ENOMEM;
	t->p = p;
	t->n = n;
	return 0;
}

static int lex(struct lexer *lx)
{
	const char *s = lx->s;
	size_t n = lx->n, pos = 0;
	int lstrip = 0, rc;
	lx->mark_line = lx->mark_col = 1;
	while (pos < n) {
		size_t start = pos;
		while (start + 1 < n && !(s[start] == '{' && (s[start + 1] == '{' || s[start + 1] == '%' ||
		                                              s[start + 1] == '#')))
			start++;
		if (start + 1 >= n)
			start = n;
		int rstrip = start + 2 < n && s[start + 2] == '-';
		if ((rc = emit_data(lx, pos, start - pos, lstrip, rstrip)))
			return rc;
		lstrip = 0;
		if (start >= n)
			break;
		char kind = s[start + 1];
		size_t p = start + 2;
		if (p < n && (s[p] == '-' || s[p] == '+'))
			p++;
		if (kind == '#') {
			size_t e = p;
			while (e + 1 < n && !(s[e] == '#' && s[e + 1] == '}'))
				e++;
			if (e + 1 >= n)
				return lex_error(lx, MX_EINVAL, start, "unterminated comment (missing '#}')");
			lstrip = e > p && s[e - 1] == '-';
			pos = e + 2;
			continue;
		}
		int dash;
		size_t body;
		if (kind == '%' && (body = match_word_tag(s, n, p, "raw", &dash)) != 0) {
			size_t c = body;
			for (; c + 1 < n; c++) {
				if (s[c] != '{' || s[c + 1] != '%')
					continue;
				size_t q = c + 2;
				int close_strip = q < n && s[q] == '-';
				if (q < n && (s[q] == '-' || s[q] == '+'))
					q++;
				int after;
				size_t e = match_word_tag(s, n, q, "endraw", &after);
				if (e == 0)
					continue;
				if ((rc = emit_data(lx, body, c - body, dash, close_strip)))
					return rc;
				lstrip = after;
				pos = e;
				break;
			}
			if (c + 1 >= n)
				return lex_error(lx, MX_EINVAL, start,
				                 "unterminated raw block (missing '{%% endraw %%}')");
			continue;
		}
		if (push_tok(lx, kind == '%' ? TK_BLOCK_BEGIN : TK_VAR_BEGIN, start, p - start) == NULL)
			return MX_ENOMEM;
		if ((rc = lex_tag(lx, p, kind == '%', &pos, &lstrip)))
			return rc;
	}
	return push_tok(lx, TK_EOF, n, 0) ? 0 : MX_ENOMEM;
}

/* ------------------------------------------------------------------------
 * The tree.
 * ---------------------------------------------------------------------- */

enum ekind {
	E_STR, /* name/name_len: the value */
	E_INT,
	E_FLOAT,
	E_TRUE,
	E_FALSE,
	E_NONE,
	E_NAME, /* name */
	E_LIST, /* args */
	E_DICT, /* args: keys, vals: values */
	E_ATTR, /* a.name */
	E_ITEM, /* a[b] */
	E_SLICE, /* a[args[0]:args[1]:args[2]], entries may be NULL */
	E_CALL, /* a(args, kwnames=vals) */
	E_FILTER, /* a | filter(args); variadic filters: args positional, vals keyword slots */
	E_TEST, /* a is [not] test(args) */
	E_NOT,
	E_NEG,
	E_POS,
	E_BIN, /* a op b, arithmetic */
	E_CONCAT, /* args[0] ~ args[1] ~ ... */
	E_AND,
	E_OR,
	E_COMPARE, /* a ops[0] args[0] ops[1] args[1] ... */
	E_COND, /* a if b else c (c may be NULL) */
};

struct filter_def;
struct test_def;

struct expr {
	enum ekind kind;
	int op;
	int line, col, depth;
	int negate;
	const char *name;
	size_t name_len;
	json_int_t ival;
	double fval;
	struct expr *a, *b, *c;
	struct expr **args;
	size_t nargs;
	struct expr **vals;
	size_t nvals;
	const char **kwnames;
	int *ops;
	const struct filter_def *filter;
	const struct test_def *test;
};

enum skind { S_DATA, S_OUTPUT, S_IF, S_FOR, S_SET, S_SETBLOCK };

struct stmt {
	enum skind kind;
	int line, col;
	struct stmt *next;
	const char *text; /* S_DATA */
	size_t len;
	struct expr *expr; /* S_OUTPUT, S_SET value, S_FOR iterable */
	struct expr **conds; /* S_IF: conds[i] guards bodies[i] */
	struct stmt **bodies;
	size_t nconds;
	struct stmt *body; /* S_FOR, S_SETBLOCK */
	struct stmt *else_body; /* S_IF, S_FOR */
	const char **targets; /* S_FOR, S_SET, S_SETBLOCK */
	size_t ntargets;
	struct expr *filter; /* S_FOR ... if filter */
};

struct mx_template {
	struct arena *arena;
	struct stmt *body;
	const char **free_vars;
	size_t nfree;
};

/* ------------------------------------------------------------------------
 * Render-time values (declared here: filters and tests are looked up by
 * the parser).
 * ---------------------------------------------------------------------- */

#define VAL_LOOP 1 /* the loop variable of a {% for %}: loop.cycle() works on it */
#define VAL_MISSING 2 /* an optional argument that was not passed */

struct val {
	json_t *j; /* owned reference; NULL: undefined */
	const struct expr *why; /* undefined: the lookup that produced it */
	const char *objtype; /* undefined attribute/item: the container's type */
	int flags;
};

struct var {
	const char *name;
	struct val v;
};

struct rframe {
	struct rframe *parent;
	struct var *vars;
	size_t n, cap;
};

struct render {
	const json_t *ctx;
	struct rframe *frame;
	struct mx_buf *out;
	struct mx_err *err;
	size_t max_str;
	long iterations;
};

typedef int (*filter_fn)(struct render *r, const struct expr *e, struct val *v, struct val *args,
                         size_t nargs);
typedef int (*test_fn)(struct render *r, const struct expr *e, const struct val *v, const struct val *args,
                       int *res);

struct filter_def {
	const char *name;
	filter_fn fn;
	int nrequired;
	int variadic; /* extra positional arguments; params are keyword-only */
	const char *params[5];
};

struct test_def {
	const char *name;
	test_fn fn;
	int nargs;
};

static const struct filter_def *find_filter(const char *name);
static const struct test_def *find_test(const char *name);
static int unsupported_filter(const char *name);

static int nparams_of(const struct filter_def *f)
{
	int n = 0;
	while (n < 5 && f->params[n])
		n++;
	return n;
}

/* ------------------------------------------------------------------------
 * Parser: recursive descent over the tokens, Jinja's grammar and
 * precedence (condexpr < or < and < not < compare < + - < ~ < * / // % <
 * ** < unary < postfix/filter/test).
 * ---------------------------------------------------------------------- */

struct parser {
	const struct token *t;
	size_t pos, ntoks;
	struct arena **arena;
	struct mx_err *err;
	int nesting; /* open blocks */
	int depth; /* expression recursion */
	int failed;
};

struct callargs {
	struct expr **args;
	size_t n, cap;
	const char **kwnames;
	size_t nkw, kwcap;
	struct expr **kwvals;
	size_t kwvcap;
	const struct token *at;
};

static const struct token *cur(struct parser *p)
{
	return &p->t[p->pos];
}

static const struct token *peek(struct parser *p, size_t k)
{
	size_t i = p->pos + k;
	return &p->t[i < p->ntoks ? i : p->ntoks - 1];
}

static void advance(struct parser *p)
{
	if (p->t[p->pos].type != TK_EOF)
		p->pos++;
}

static int is_name(const struct token *t, const char *s)
{
	return t->type == TK_NAME && t->n == strlen(s) && memcmp(t->p, s, t->n) == 0;
}

static int is_op(const struct token *t, enum op op)
{
	return t->type == TK_OP && t->op == op;
}

static const char *tok_desc(const struct token *t, char *buf, size_t sz)
{
	switch (t->type) {
	case TK_EOF: return "end of template";
	case TK_DATA: return "template data";
	case TK_VAR_BEGIN: return "{{";
	case TK_VAR_END: return "}}";
	case TK_BLOCK_BEGIN: return "{%";
	case TK_BLOCK_END: return "%}";
	default: break;
	}
	size_t n = t->n < 40 ? t->n : 40;
	snprintf(buf, sz, "%.*s%s", (int)n, t->p, t->n > n ? "..." : "");
	return buf;
}

__attribute__((format(printf, 4, 5))) static void *perr(struct parser *p, const struct token *at, int code,
                                                        const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fail_atv(p->err, code, at->line, at->col, fmt, ap);
	va_end(ap);
	if (!p->failed)
		p->failed = code;
	return NULL;
}

static void *oom(struct parser *p)
{
	return perr(p, cur(p), MX_ENOMEM, "out of memory");
}

static void *unexpected(struct parser *p, const char *expected)
{
	char b[64];
	const struct token *t = cur(p);
	if (expected)
		return perr(p, t, MX_EINVAL, "expected %s, got '%s'", expected, tok_desc(t, b, sizeof b));
	if (t->type == TK_EOF)
		return perr(p, t, MX_EINVAL, "unexpected end of template");
	return perr(p, t, MX_EINVAL, "unexpected '%s'", tok_desc(t, b, sizeof b));
}

#define PUSH(p, arr, n, cap, item)                                                                   \
	(((n) == (cap) && ((arr) = vec_grow((p)->arena, (arr), (n), &(cap), sizeof *(arr))) == NULL) \
	         ? (oom(p), -1)                                                                      \
	         : ((arr)[(n)++] = (item), 0))

static int expect_op(struct parser *p, enum op op)
{
	if (!is_op(cur(p), op)) {
		char want[16];
		snprintf(want, sizeof want, "'%s'", op_text(op));
		unexpected(p, want);
		return -1;
	}
	advance(p);
	return 0;
}

static int expect_block_end(struct parser *p)
{
	if (cur(p)->type != TK_BLOCK_END) {
		unexpected(p, "end of tag '%}'");
		return -1;
	}
	advance(p);
	return 0;
}

static struct expr *new_expr(struct parser *p, enum ekind kind, const struct token *at)
{
	struct expr *e = arena_alloc(p->arena, sizeof *e);
	if (e == NULL)
		return oom(p);
	e->kind = kind;
	e->line = at->line;
	e->col = at->col;
	return e;
}

static int depth_of(const struct expr *e)
{
	return e ? e->depth : 0;
}

/* Record the depth of a finished node; refuse trees deeper than the limit. */
static struct expr *fin(struct parser *p, struct expr *e)
{
	if (e == NULL)
		return NULL;
	int d = depth_of(e->a);
	if (depth_of(e->b) > d)
		d = depth_of(e->b);
	if (depth_of(e->c) > d)
		d = depth_of(e->c);
	for (size_t i = 0; i < e->nargs; i++)
		if (depth_of(e->args[i]) > d)
			d = depth_of(e->args[i]);
	for (size_t i = 0; i < e->nvals; i++)
		if (depth_of(e->vals[i]) > d)
			d = depth_of(e->vals[i]);
	e->depth = d + 1;
	if (e->depth > MX_TEMPLATE_MAX_EXPR_DEPTH) {
		const struct token at = {.line = e->line, .col = e->col};
		return perr(p, &at, MX_ELIMIT, "expression nested too deeply (limit %d)",
		            MX_TEMPLATE_MAX_EXPR_DEPTH);
	}
	return e;
}

static int enter(struct parser *p)
{
	if (++p->depth > MX_TEMPLATE_MAX_EXPR_DEPTH) {
		perr(p, cur(p), MX_ELIMIT, "expression nested too deeply (limit %d)",
		     MX_TEMPLATE_MAX_EXPR_DEPTH);
		return -1;
	}
	return 0;
}

static const char *tok_name(struct parser *p, const struct token *t)
{
	const char *s = arena_strndup(p->arena, t->p, t->n);
	if (s == NULL)
		oom(p);
	return s;
}

static struct expr *parse_expression(struct parser *p, int with_condexpr);
static struct expr *parse_tuple(struct parser *p, int with_condexpr, int explicit_parens);
static struct expr *parse_or(struct parser *p);
static struct expr *parse_unary(struct parser *p, int with_filter);

static int parse_call_args(struct parser *p, struct callargs *ca)
{
	memset(ca, 0, sizeof *ca);
	ca->at = cur(p);
	advance(p); /* ( */
	for (;;) {
		if (is_op(cur(p), OP_RPAREN))
			break;
		if (ca->n + ca->nkw > 0) {
			if (expect_op(p, OP_COMMA))
				return -1;
			if (is_op(cur(p), OP_RPAREN))
				break;
		}
		const struct token *t = cur(p);
		if (is_op(t, OP_MUL) || is_op(t, OP_POW)) {
			perr(p, t, MX_EINVAL, "*args and **kwargs are not supported");
			return -1;
		}
		if (ca->n + ca->nkw >= MAX_CALL_ARGS) {
			perr(p, t, MX_ELIMIT, "too many arguments (limit %d)", MAX_CALL_ARGS);
			return -1;
		}
		if (t->type == TK_NAME && is_op(peek(p, 1), OP_ASSIGN)) {
			const char *name = tok_name(p, t);
			if (name == NULL)
				return -1;
			for (size_t i = 0; i < ca->nkw; i++)
				if (strcmp(ca->kwnames[i], name) == 0) {
					perr(p, t, MX_EINVAL, "keyword argument repeated: '%s'", name);
					return -1;
				}
			advance(p);
			advance(p);
			struct expr *v = parse_expression(p, 1);
			if (v == NULL)
				return -1;
			size_t nkw = ca->nkw;
			if (PUSH(p, ca->kwnames, ca->nkw, ca->kwcap, name) ||
			    PUSH(p, ca->kwvals, nkw, ca->kwvcap, v))
				return -1;
		} else {
			if (ca->nkw) {
				perr(p, t, MX_EINVAL, "positional argument follows keyword argument");
				return -1;
			}
			struct expr *v = parse_expression(p, 1);
			if (v == NULL || PUSH(p, ca->args, ca->n, ca->cap, v))
				return -1;
		}
	}
	advance(p); /* ) */
	return 0;
}

/* Bind call arguments to a fixed parameter list (Python rules). */
static struct expr **bind_args(struct parser *p, const char *what, const char *name,
                               const char *const *params, int nparams, int nrequired,
                               const struct callargs *ca, int allow_positional)
{
	const struct token *at = ca->at ? ca->at : cur(p);
	struct expr **slots = arena_alloc(p->arena, (size_t)(nparams ? nparams : 1) * sizeof *slots);
	if (slots == NULL)
		return oom(p);
	if (allow_positional) {
		if (ca->n > (size_t)nparams)
			return perr(p, at, MX_EINVAL, "%s '%s' takes at most %d argument%s (%zu given)", what,
			            name, nparams, nparams == 1 ? "" : "s", ca->n);
		for (size_t i = 0; i < ca->n; i++)
			slots[i] = ca->args[i];
	}
	for (size_t k = 0; k < ca->nkw; k++) {
		int idx = -1;
		for (int i = 0; i < nparams; i++)
			if (strcmp(params[i], ca->kwnames[k]) == 0)
				idx = i;
		if (idx < 0)
			return perr(p, at, MX_EINVAL, "%s '%s' got an unexpected keyword argument '%s'", what,
			            name, ca->kwnames[k]);
		if (slots[idx])
			return perr(p, at, MX_EINVAL, "%s '%s' got multiple values for argument '%s'", what,
			            name, ca->kwnames[k]);
		slots[idx] = ca->kwvals[k];
	}
	for (int i = 0; i < nrequired; i++)
		if (slots[i] == NULL)
			return perr(p, at, MX_EINVAL, "%s '%s' missing required argument '%s'", what, name,
			            params[i]);
	return slots;
}

static struct expr *parse_filter(struct parser *p, struct expr *operand)
{
	const struct token *bar = cur(p);
	advance(p);
	const struct token *t = cur(p);
	if (t->type != TK_NAME)
		return unexpected(p, "a filter name after '|'");
	char name[128];
	size_t len = 0;
	for (;;) {
		if (len + t->n + 2 > sizeof name)
			return perr(p, t, MX_EINVAL, "filter name too long");
		memcpy(name + len, t->p, t->n);
		len += t->n;
		advance(p);
		if (!is_op(cur(p), OP_DOT) || peek(p, 1)->type != TK_NAME)
			break;
		name[len++] = '.';
		advance(p);
		t = cur(p);
	}
	name[len] = '\0';
	const struct filter_def *def = find_filter(name);
	if (def == NULL) {
		if (unsupported_filter(name))
			return perr(p, bar, MX_EINVAL, "unsupported filter '%s'", name);
		return perr(p, bar, MX_EINVAL, "unknown filter '%s'", name);
	}
	struct callargs ca;
	memset(&ca, 0, sizeof ca);
	if (is_op(cur(p), OP_LPAREN) && parse_call_args(p, &ca))
		return NULL;
	ca.at = bar;
	struct expr *e = new_expr(p, E_FILTER, bar);
	if (e == NULL)
		return NULL;
	e->a = operand;
	e->filter = def;
	e->name = def->name;
	int np = nparams_of(def);
	if (def->variadic) {
		e->args = ca.args;
		e->nargs = ca.n;
		e->vals = bind_args(p, "filter", def->name, def->params, np, 0, &ca, 0);
		e->nvals = (size_t)np;
		if (e->vals == NULL)
			return NULL;
	} else {
		e->args = bind_args(p, "filter", def->name, def->params, np, def->nrequired, &ca, 1);
		e->nargs = (size_t)np;
		if (e->args == NULL)
			return NULL;
	}
	return fin(p, e);
}

static struct expr *parse_primary(struct parser *p);
static struct expr *parse_postfix(struct parser *p, struct expr *e);

static struct expr *parse_test(struct parser *p, struct expr *operand)
{
	const struct token *is = cur(p);
	advance(p);
	int negate = 0;
	if (is_name(cur(p), "not")) {
		negate = 1;
		advance(p);
	}
	const struct token *t = cur(p);
	if (t->type != TK_NAME)
		return unexpected(p, "a test name after 'is'");
	char name[64];
	snprintf(name, sizeof name, "%.*s", (int)(t->n < 63 ? t->n : 63), t->p);
	const struct test_def *def = find_test(name);
	if (def == NULL)
		return perr(p, t, MX_EINVAL, "unknown test '%s'", name);
	advance(p);
	struct callargs ca;
	memset(&ca, 0, sizeof ca);
	ca.at = t;
	const struct token *n = cur(p);
	if (is_op(n, OP_LPAREN)) {
		if (parse_call_args(p, &ca))
			return NULL;
		if (ca.nkw)
			return perr(p, t, MX_EINVAL, "test '%s' takes positional arguments only", name);
	} else if ((n->type == TK_NAME || n->type == TK_STRING || n->type == TK_INT || n->type == TK_FLOAT ||
	            is_op(n, OP_LPAREN) || is_op(n, OP_LBRACKET) || is_op(n, OP_LBRACE)) &&
	           !is_name(n, "else") && !is_name(n, "or") && !is_name(n, "and")) {
		if (is_name(n, "is"))
			return perr(p, n, MX_EINVAL, "tests cannot be chained with 'is'");
		struct expr *arg = parse_primary(p);
		if (arg)
			arg = parse_postfix(p, arg);
		if (arg == NULL || PUSH(p, ca.args, ca.n, ca.cap, arg))
			return NULL;
	}
	if (ca.n != (size_t)def->nargs)
		return perr(p, t, MX_EINVAL, "test '%s' takes %d argument%s (%zu given)", name, def->nargs,
		            def->nargs == 1 ? "" : "s", ca.n);
	struct expr *e = new_expr(p, E_TEST, is);
	if (e == NULL)
		return NULL;
	e->a = operand;
	e->test = def;
	e->negate = negate;
	e->args = ca.args;
	e->nargs = ca.n;
	return fin(p, e);
}

static struct expr *parse_call(struct parser *p, struct expr *func)
{
	struct callargs ca;
	const struct token *at = cur(p);
	if (parse_call_args(p, &ca))
		return NULL;
	struct expr *e = new_expr(p, E_CALL, at);
	if (e == NULL)
		return NULL;
	e->a = func;
	e->args = ca.args;
	e->nargs = ca.n;
	e->kwnames = ca.kwnames;
	e->vals = ca.kwvals;
	e->nvals = ca.nkw;
	if (func->kind == E_NAME &&
	    (strcmp(func->name, "lipsum") == 0 || strcmp(func->name, "cycler") == 0 ||
	     strcmp(func->name, "joiner") == 0 || strcmp(func->name, "namespace") == 0))
		return perr(p, at, MX_EINVAL, "unsupported function '%s'", func->name);
	return fin(p, e);
}

static struct expr *parse_subscript(struct parser *p, struct expr *obj)
{
	const struct token *at = cur(p);
	advance(p); /* [ */
	struct expr *idx[3] = {NULL, NULL, NULL};
	int is_slice = 0;
	if (!is_op(cur(p), OP_COLON)) {
		if ((idx[0] = parse_expression(p, 1)) == NULL)
			return NULL;
	}
	if (is_op(cur(p), OP_COLON)) {
		is_slice = 1;
		advance(p);
		if (!is_op(cur(p), OP_RBRACKET) && !is_op(cur(p), OP_COLON) &&
		    (idx[1] = parse_expression(p, 1)) == NULL)
			return NULL;
		if (is_op(cur(p), OP_COLON)) {
			advance(p);
			if (!is_op(cur(p), OP_RBRACKET) && (idx[2] = parse_expression(p, 1)) == NULL)
				return NULL;
		}
	}
	if (is_op(cur(p), OP_COMMA))
		return perr(p, cur(p), MX_EINVAL, "tuple subscripts are not supported");
	if (expect_op(p, OP_RBRACKET))
		return NULL;
	struct expr *e = new_expr(p, is_slice ? E_SLICE : E_ITEM, at);
	if (e == NULL)
		return NULL;
	e->a = obj;
	if (is_slice) {
		e->args = arena_alloc(p->arena, 3 * sizeof *e->args);
		if (e->args == NULL)
			return oom(p);
		memcpy(e->args, idx, sizeof idx);
		e->nargs = 3;
	} else {
		e->b = idx[0];
	}
	return fin(p, e);
}

static struct expr *parse_postfix(struct parser *p, struct expr *e)
{
	while (e) {
		const struct token *t = cur(p);
		if (is_op(t, OP_DOT)) {
			advance(p);
			const struct token *n = cur(p);
			struct expr *x;
			if (n->type == TK_NAME) {
				if ((x = new_expr(p, E_ATTR, t)) == NULL ||
				    (x->name = tok_name(p, n)) == NULL)
					return NULL;
				x->name_len = n->n;
			} else if (n->type == TK_INT) {
				struct expr *k = new_expr(p, E_INT, n);
				if (k == NULL || (x = new_expr(p, E_ITEM, t)) == NULL)
					return NULL;
				k->ival = n->ival;
				x->b = fin(p, k);
			} else {
				return unexpected(p, "an attribute name after '.'");
			}
			advance(p);
			x->a = e;
			e = fin(p, x);
		} else if (is_op(t, OP_LBRACKET)) {
			e = parse_subscript(p, e);
		} else if (is_op(t, OP_LPAREN)) {
			e = parse_call(p, e);
		} else {
			break;
		}
	}
	return e;
}

static struct expr *parse_filter_expr(struct parser *p, struct expr *e)
{
	while (e) {
		const struct token *t = cur(p);
		if (is_op(t, OP_PIPE))
			e = parse_filter(p, e);
		else if (is_name(t, "is"))
			e = parse_test(p, e);
		else if (is_op(t, OP_LPAREN))
			e = parse_call(p, e);
		else
			break;
	}
	return e;
}

static struct expr *parse_list(struct parser *p)
{
	struct expr *e = new_expr(p, E_LIST, cur(p));
	if (e == NULL)
		return NULL;
	size_t cap = 0;
	advance(p);
	while (!is_op(cur(p), OP_RBRACKET)) {
		if (e->nargs && expect_op(p, OP_COMMA))
			return NULL;
		if (is_op(cur(p), OP_RBRACKET))
			break;
		struct expr *item = parse_expression(p, 1);
		if (item == NULL || PUSH(p, e->args, e->nargs, cap, item))
			return NULL;
	}
	advance(p);
	return fin(p, e);
}

static struct expr *parse_dict(struct parser *p)
{
	struct expr *e = new_expr(p, E_DICT, cur(p));
	if (e == NULL)
		return NULL;
	size_t kcap = 0, vcap = 0;
	advance(p);
	while (!is_op(cur(p), OP_RBRACE)) {
		if (e->nargs && expect_op(p, OP_COMMA))
			return NULL;
		if (is_op(cur(p), OP_RBRACE))
			break;
		struct expr *k = parse_expression(p, 1);
		if (k == NULL || expect_op(p, OP_COLON))
			return NULL;
		struct expr *v = parse_expression(p, 1);
		if (v == NULL || PUSH(p, e->args, e->nargs, kcap, k) || PUSH(p, e->vals, e->nvals, vcap, v))
			return NULL;
	}
	advance(p);
	return fin(p, e);
}

static struct expr *parse_primary(struct parser *p)
{
	const struct token *t = cur(p);
	struct expr *e;
	switch (t->type) {
	case TK_NAME:
		if (is_name(t, "true") || is_name(t, "True"))
			e = new_expr(p, E_TRUE, t);
		else if (is_name(t, "false") || is_name(t, "False"))
			e = new_expr(p, E_FALSE, t);
		else if (is_name(t, "none") || is_name(t, "None"))
			e = new_expr(p, E_NONE, t);
		else if ((e = new_expr(p, E_NAME, t)) != NULL) {
			if ((e->name = tok_name(p, t)) == NULL)
				return NULL;
			e->name_len = t->n;
		}
		advance(p);
		return fin(p, e);
	case TK_STRING: {
		size_t len = 0, k = p->pos;
		while (p->t[k].type == TK_STRING)
			len += p->t[k++].slen;
		if ((e = new_expr(p, E_STR, t)) == NULL)
			return NULL;
		char *s = arena_alloc(p->arena, len + 1);
		if (s == NULL)
			return oom(p);
		len = 0;
		while (cur(p)->type == TK_STRING) {
			memcpy(s + len, cur(p)->sval, cur(p)->slen);
			len += cur(p)->slen;
			advance(p);
		}
		e->name = s;
		e->name_len = len;
		return fin(p, e);
	}
	case TK_INT:
		if ((e = new_expr(p, E_INT, t)) != NULL)
			e->ival = t->ival;
		advance(p);
		return fin(p, e);
	case TK_FLOAT:
		if ((e = new_expr(p, E_FLOAT, t)) != NULL)
			e->fval = t->fval;
		advance(p);
		return fin(p, e);
	case TK_OP:
		if (t->op == OP_LPAREN) {
			advance(p);
			e = parse_tuple(p, 1, 1);
			if (e == NULL || expect_op(p, OP_RPAREN))
				return NULL;
			return e;
		}
		if (t->op == OP_LBRACKET)
			return parse_list(p);
		if (t->op == OP_LBRACE)
			return parse_dict(p);
		return unexpected(p, NULL);
	case TK_VAR_END:
	case TK_BLOCK_END:
	case TK_EOF: return unexpected(p, "an expression");
	default: return unexpected(p, NULL);
	}
}

static struct expr *parse_unary(struct parser *p, int with_filter)
{
	const struct token *t = cur(p);
	if (enter(p))
		return NULL;
	struct expr *e;
	if (is_op(t, OP_SUB) || is_op(t, OP_ADD)) {
		advance(p);
		struct expr *inner = parse_unary(p, 0);
		if (inner == NULL || (e = new_expr(p, t->op == OP_SUB ? E_NEG : E_POS, t)) == NULL)
			return NULL;
		e->a = inner;
		e = fin(p, e);
	} else {
		e = parse_primary(p);
	}
	e = parse_postfix(p, e);
	if (with_filter)
		e = parse_filter_expr(p, e);
	p->depth--;
	return e;
}

static struct expr *binary(struct parser *p, enum ekind kind, int op, const struct token *at, struct expr *a,
                           struct expr *b)
{
	if (a == NULL || b == NULL)
		return NULL;
	struct expr *e = new_expr(p, kind, at);
	if (e == NULL)
		return NULL;
	e->op = op;
	e->a = a;
	e->b = b;
	return fin(p, e);
}

static struct expr *parse_pow(struct parser *p)
{
	struct expr *e = parse_unary(p, 1);
	while (e && is_op(cur(p), OP_POW)) {
		const struct token *at = cur(p);
		advance(p);
		e = binary(p, E_BIN, OP_POW, at, e, parse_unary(p, 1));
	}
	return e;
}

static struct expr *parse_math2(struct parser *p)
{
	struct expr *e = parse_pow(p);
	while (e) {
		const struct token *at = cur(p);
		if (!(is_op(at, OP_MUL) || is_op(at, OP_DIV) || is_op(at, OP_FLOORDIV) || is_op(at, OP_MOD)))
			break;
		advance(p);
		e = binary(p, E_BIN, at->op, at, e, parse_pow(p));
	}
	return e;
}

static struct expr *parse_concat(struct parser *p)
{
	struct expr *first = parse_math2(p);
	if (first == NULL || !is_op(cur(p), OP_TILDE))
		return first;
	struct expr *e = new_expr(p, E_CONCAT, cur(p));
	if (e == NULL)
		return NULL;
	size_t cap = 0;
	if (PUSH(p, e->args, e->nargs, cap, first))
		return NULL;
	while (is_op(cur(p), OP_TILDE)) {
		advance(p);
		struct expr *x = parse_math2(p);
		if (x == NULL || PUSH(p, e->args, e->nargs, cap, x))
			return NULL;
	}
	return fin(p, e);
}

static struct expr *parse_math1(struct parser *p)
{
	struct expr *e = parse_concat(p);
	while (e) {
		const struct token *at = cur(p);
		if (!(is_op(at, OP_ADD) || is_op(at, OP_SUB)))
			break;
		advance(p);
		e = binary(p, E_BIN, at->op, at, e, parse_concat(p));
	}
	return e;
}

static struct expr *parse_compare(struct parser *p)
{
	struct expr *first = parse_math1(p);
	if (first == NULL)
		return NULL;
	struct expr *e = NULL;
	size_t cap = 0, ocap = 0, nops = 0;
	for (;;) {
		const struct token *t = cur(p);
		int op;
		if (t->type == TK_OP && t->op >= OP_EQ && t->op <= OP_GE) {
			op = t->op;
			advance(p);
		} else if (is_name(t, "in")) {
			op = OP_IN;
			advance(p);
		} else if (is_name(t, "not") && is_name(peek(p, 1), "in")) {
			op = OP_NOTIN;
			advance(p);
			advance(p);
		} else {
			break;
		}
		if (e == NULL) {
			if ((e = new_expr(p, E_COMPARE, t)) == NULL)
				return NULL;
			e->a = first;
		}
		struct expr *right = parse_math1(p);
		if (right == NULL || PUSH(p, e->args, e->nargs, cap, right) ||
		    PUSH(p, e->ops, nops, ocap, op))
			return NULL;
	}
	return e ? fin(p, e) : first;
}

static struct expr *parse_not(struct parser *p)
{
	const struct token *t = cur(p);
	if (!is_name(t, "not"))
		return parse_compare(p);
	advance(p);
	if (enter(p))
		return NULL;
	struct expr *inner = parse_not(p);
	p->depth--;
	struct expr *e;
	if (inner == NULL || (e = new_expr(p, E_NOT, t)) == NULL)
		return NULL;
	e->a = inner;
	return fin(p, e);
}

static struct expr *parse_and(struct parser *p)
{
	struct expr *e = parse_not(p);
	while (e && is_name(cur(p), "and")) {
		const struct token *at = cur(p);
		advance(p);
		e = binary(p, E_AND, 0, at, e, parse_not(p));
	}
	return e;
}

static struct expr *parse_or(struct parser *p)
{
	struct expr *e = parse_and(p);
	while (e && is_name(cur(p), "or")) {
		const struct token *at = cur(p);
		advance(p);
		e = binary(p, E_OR, 0, at, e, parse_and(p));
	}
	return e;
}

static struct expr *parse_condexpr(struct parser *p)
{
	struct expr *e = parse_or(p);
	while (e && is_name(cur(p), "if")) {
		const struct token *at = cur(p);
		advance(p);
		struct expr *test = parse_or(p);
		if (test == NULL)
			return NULL;
		struct expr *alt = NULL;
		if (is_name(cur(p), "else")) {
			advance(p);
			if (enter(p))
				return NULL;
			alt = parse_condexpr(p);
			p->depth--;
			if (alt == NULL)
				return NULL;
		}
		struct expr *c = new_expr(p, E_COND, at);
		if (c == NULL)
			return NULL;
		c->a = e;
		c->b = test;
		c->c = alt;
		e = fin(p, c);
	}
	return e;
}

static struct expr *parse_expression(struct parser *p, int with_condexpr)
{
	return with_condexpr ? parse_condexpr(p) : parse_or(p);
}

/* An expression, or a tuple of them: "a, b" (a list at render time). */
static struct expr *parse_tuple(struct parser *p, int with_condexpr, int explicit_parens)
{
	const struct token *at = cur(p);
	struct expr *tuple = NULL, *first = NULL;
	size_t cap = 0;
	for (;;) {
		const struct token *t = cur(p);
		if (t->type == TK_VAR_END || t->type == TK_BLOCK_END || is_op(t, OP_RPAREN))
			break;
		struct expr *e = parse_expression(p, with_condexpr);
		if (e == NULL)
			return NULL;
		if (first == NULL && tuple == NULL) {
			first = e;
		} else {
			if (PUSH(p, tuple->args, tuple->nargs, cap, e))
				return NULL;
		}
		if (!is_op(cur(p), OP_COMMA))
			break;
		if (tuple == NULL) {
			if ((tuple = new_expr(p, E_LIST, at)) == NULL ||
			    PUSH(p, tuple->args, tuple->nargs, cap, first))
				return NULL;
			first = NULL;
		}
		advance(p);
	}
	if (tuple)
		return fin(p, tuple);
	if (first)
		return first;
	if (explicit_parens) {
		struct expr *e = new_expr(p, E_LIST, at);
		return fin(p, e);
	}
	return unexpected(p, "an expression");
}

/* ---- statements ---- */

static const char *const unsupported_tags[] = {
        "macro",    "endmacro", "call",     "endcall",   "filter",     "endfilter",     "include", "import",
        "from",     "extends",  "block",    "endblock",  "with",       "endwith",       "do",      "break",
        "continue", "trans",    "endtrans", "pluralize", "autoescape", "endautoescape", "print",
};

static const char *const closing_tags[] = {"elif", "else", "endif", "endfor", "endset", "endraw"};

static int parse_body(struct parser *p, const char *const *ends, int nends, struct stmt **out);

static struct stmt *new_stmt(struct parser *p, enum skind kind, const struct token *at)
{
	struct stmt *s = arena_alloc(p->arena, sizeof *s);
	if (s == NULL)
		return oom(p);
	s->kind = kind;
	s->line = at->line;
	s->col = at->col;
	return s;
}

static int open_block(struct parser *p, const struct token *at)
{
	if (++p->nesting > MX_TEMPLATE_MAX_NESTING) {
		perr(p, at, MX_ELIMIT, "blocks nested too deeply (limit %d)", MX_TEMPLATE_MAX_NESTING);
		return -1;
	}
	return 0;
}

/* At the tag name of a closing tag that parse_body stopped at: consume "{% name". */
static void skip_tag_start(struct parser *p)
{
	advance(p); /* {% */
	advance(p); /* name */
}

static int is_reserved_target(const char *name)
{
	static const char *const reserved[] = {"true", "false", "none", "True", "False", "None", "and",
	                                       "or",   "not",   "in",   "is",   "if",    "else"};
	for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++)
		if (strcmp(name, reserved[i]) == 0)
			return 1;
	return 0;
}

/* Assignment targets: name {, name}, optionally in parentheses. */
static int parse_targets(struct parser *p, struct stmt *s, int for_loop)
{
	size_t cap = 0;
	int paren = 0;
	if (is_op(cur(p), OP_LPAREN)) {
		paren = 1;
		advance(p);
	}
	for (;;) {
		const struct token *t = cur(p);
		if (t->type != TK_NAME) {
			unexpected(p, "a variable name");
			return -1;
		}
		const char *name = tok_name(p, t);
		if (name == NULL)
			return -1;
		if (is_reserved_target(name) || (for_loop && strcmp(name, "loop") == 0)) {
			perr(p, t, MX_EINVAL, "cannot assign to '%s'", name);
			return -1;
		}
		if (is_op(peek(p, 1), OP_DOT) || is_op(peek(p, 1), OP_LBRACKET)) {
			perr(p, t, MX_EINVAL, "assignment to attributes or items is not supported");
			return -1;
		}
		if (s->ntargets >= MAX_CALL_ARGS) {
			perr(p, t, MX_ELIMIT, "too many assignment targets (limit %d)", MAX_CALL_ARGS);
			return -1;
		}
		if (PUSH(p, s->targets, s->ntargets, cap, name))
			return -1;
		advance(p);
		if (!is_op(cur(p), OP_COMMA))
			break;
		advance(p);
	}
	if (paren && expect_op(p, OP_RPAREN))
		return -1;
	return 0;
}

static struct stmt *parse_if(struct parser *p, const struct token *tag)
{
	static const char *const ends[] = {"elif", "else", "endif"};
	static const char *const endif[] = {"endif"};
	struct stmt *s = new_stmt(p, S_IF, tag);
	if (s == NULL || open_block(p, tag))
		return NULL;
	size_t ccap = 0, bcap = 0, nb = 0;
	advance(p); /* if */
	for (;;) {
		struct expr *cond = parse_tuple(p, 0, 0);
		struct stmt *body;
		if (cond == NULL || expect_block_end(p) || parse_body(p, ends, 3, &body))
			return NULL;
		if (PUSH(p, s->conds, s->nconds, ccap, cond) || PUSH(p, s->bodies, nb, bcap, body))
			return NULL;
		const struct token *end = peek(p, 1);
		skip_tag_start(p);
		if (is_name(end, "elif"))
			continue;
		if (is_name(end, "else")) {
			if (expect_block_end(p) || parse_body(p, endif, 1, &s->else_body))
				return NULL;
			skip_tag_start(p);
		}
		break;
	}
	if (expect_block_end(p))
		return NULL;
	p->nesting--;
	return s;
}

static struct stmt *parse_for(struct parser *p, const struct token *tag)
{
	static const char *const ends[] = {"else", "endfor"};
	static const char *const endfor[] = {"endfor"};
	struct stmt *s = new_stmt(p, S_FOR, tag);
	if (s == NULL || open_block(p, tag))
		return NULL;
	advance(p); /* for */
	if (parse_targets(p, s, 1))
		return NULL;
	if (!is_name(cur(p), "in"))
		return unexpected(p, "'in'");
	advance(p);
	if ((s->expr = parse_tuple(p, 0, 0)) == NULL)
		return NULL;
	if (is_name(cur(p), "if")) {
		advance(p);
		if ((s->filter = parse_expression(p, 1)) == NULL)
			return NULL;
	}
	if (is_name(cur(p), "recursive"))
		return perr(p, cur(p), MX_EINVAL, "recursive loops are not supported");
	if (expect_block_end(p) || parse_body(p, ends, 2, &s->body))
		return NULL;
	const struct token *end = peek(p, 1);
	skip_tag_start(p);
	if (is_name(end, "else")) {
		if (expect_block_end(p) || parse_body(p, endfor, 1, &s->else_body))
			return NULL;
		skip_tag_start(p);
	}
	if (expect_block_end(p))
		return NULL;
	p->nesting--;
	return s;
}

static struct stmt *parse_set(struct parser *p, const struct token *tag)
{
	static const char *const endset[] = {"endset"};
	struct stmt *s = new_stmt(p, S_SET, tag);
	if (s == NULL)
		return NULL;
	advance(p); /* set */
	if (parse_targets(p, s, 0))
		return NULL;
	if (is_op(cur(p), OP_ASSIGN)) {
		advance(p);
		if ((s->expr = parse_tuple(p, 1, 0)) == NULL || expect_block_end(p))
			return NULL;
		return s;
	}
	if (cur(p)->type != TK_BLOCK_END)
		return unexpected(p, "'='");
	if (s->ntargets != 1)
		return perr(p, tag, MX_EINVAL, "a block {%% set %%} takes one name");
	s->kind = S_SETBLOCK;
	if (open_block(p, tag))
		return NULL;
	advance(p);
	if (parse_body(p, endset, 1, &s->body))
		return NULL;
	skip_tag_start(p);
	if (expect_block_end(p))
		return NULL;
	p->nesting--;
	return s;
}

static struct stmt *parse_statement(struct parser *p, const char *const *ends, int nends)
{
	advance(p); /* {% */
	const struct token *t = cur(p);
	char b[64];
	if (t->type != TK_NAME)
		return perr(p, t, MX_EINVAL, "expected a tag name, got '%s'", tok_desc(t, b, sizeof b));
	if (is_name(t, "if"))
		return parse_if(p, t);
	if (is_name(t, "for"))
		return parse_for(p, t);
	if (is_name(t, "set"))
		return parse_set(p, t);
	tok_desc(t, b, sizeof b);
	for (size_t i = 0; i < sizeof unsupported_tags / sizeof unsupported_tags[0]; i++)
		if (is_name(t, unsupported_tags[i]))
			return perr(p, t, MX_EINVAL, "unsupported tag '%s'", b);
	for (size_t i = 0; i < sizeof closing_tags / sizeof closing_tags[0]; i++)
		if (is_name(t, closing_tags[i])) {
			if (nends)
				return perr(p, t, MX_EINVAL, "unexpected tag '%s', expected '%s'", b,
				            ends[nends - 1]);
			return perr(p, t, MX_EINVAL, "unexpected tag '%s'", b);
		}
	return perr(p, t, MX_EINVAL, "unknown tag '%s'", b);
}

/*
 * Statements up to one of the tags in ends (left unconsumed: the parser
 * stands on its "{%"), or to the end of the template when nends is 0.
 */
static int parse_body(struct parser *p, const char *const *ends, int nends, struct stmt **out)
{
	struct stmt *head = NULL, **tail = &head;
	*out = NULL;
	for (;;) {
		const struct token *t = cur(p);
		struct stmt *s = NULL;
		if (t->type == TK_EOF) {
			if (nends) {
				perr(p, t, MX_EINVAL, "unexpected end of template, expected '%s'",
				     ends[nends - 1]);
				return -1;
			}
			break;
		}
		if (t->type == TK_DATA) {
			if ((s = new_stmt(p, S_DATA, t)) == NULL)
				return -1;
			s->text = t->p;
			s->len = t->n;
			advance(p);
		} else if (t->type == TK_VAR_BEGIN) {
			advance(p);
			if ((s = new_stmt(p, S_OUTPUT, t)) == NULL ||
			    (s->expr = parse_tuple(p, 1, 0)) == NULL)
				return -1;
			if (cur(p)->type != TK_VAR_END) {
				unexpected(p, "end of expression '}}'");
				return -1;
			}
			advance(p);
		} else if (t->type == TK_BLOCK_BEGIN) {
			const struct token *name = peek(p, 1);
			for (int i = 0; i < nends; i++)
				if (is_name(name, ends[i])) {
					*out = head;
					return 0;
				}
			if ((s = parse_statement(p, ends, nends)) == NULL)
				return -1;
		} else {
			unexpected(p, NULL);
			return -1;
		}
		*tail = s;
		tail = &s->next;
	}
	*out = head;
	return 0;
}

/* ------------------------------------------------------------------------
 * Free variables, as jinja2.meta.find_undeclared_variables computes them.
 *
 * Jinja resolves names per frame: the template's top level is one frame,
 * each {% for %} body (and its else, its filter, a block set's body) is a
 * child frame analysed after its parent is complete. Within a frame, a
 * name read before it is assigned comes from the context. An {% if %} has
 * three branches (body, all elifs, else); a name assigned in some but not
 * all of them, and not bound in an enclosing frame, is also read from the
 * context (Jinja initialises it from there) — so it counts as free.
 * Globals (range, dict, ...) are never free.
 * ---------------------------------------------------------------------- */

struct sym_frame {
	const struct sym_frame *parent;
	json_t *stores;
	json_t *refs;
};

struct analysis {
	json_t *free;
	int rc;
};

static int is_global(const char *name)
{
	static const char *const globals[] = {"range", "dict", "lipsum", "cycler", "joiner", "namespace"};
	for (size_t i = 0; i < sizeof globals / sizeof globals[0]; i++)
		if (strcmp(name, globals[i]) == 0)
			return 1;
	return 0;
}

static int sym_find(const struct sym_frame *f, const char *name)
{
	for (; f; f = f->parent)
		if (json_object_get(f->refs, name))
			return 1;
	return 0;
}

static void sym_add(struct analysis *an, json_t *set, const char *name)
{
	if (json_object_set_new(set, name, json_true()))
		an->rc = MX_ENOMEM;
}

static void sym_free_name(struct analysis *an, const char *name)
{
	if (!is_global(name))
		sym_add(an, an->free, name);
}

static void sym_load(struct analysis *an, struct sym_frame *f, const char *name)
{
	if (sym_find(f, name))
		return;
	sym_add(an, f->refs, name);
	sym_free_name(an, name);
}

static void sym_store(struct analysis *an, struct sym_frame *f, const char *name)
{
	sym_add(an, f->stores, name);
	sym_add(an, f->refs, name);
}

static int sym_init(struct analysis *an, struct sym_frame *f, const struct sym_frame *parent)
{
	f->parent = parent;
	f->stores = json_object();
	f->refs = json_object();
	if (f->stores == NULL || f->refs == NULL) {
		an->rc = MX_ENOMEM;
		return -1;
	}
	return 0;
}

static void sym_fini(struct sym_frame *f)
{
	json_decref(f->stores);
	json_decref(f->refs);
}

static int sym_copy(struct analysis *an, struct sym_frame *dst, const struct sym_frame *src)
{
	dst->parent = src->parent;
	dst->stores = json_copy(src->stores);
	dst->refs = json_copy(src->refs);
	if (dst->stores == NULL || dst->refs == NULL) {
		an->rc = MX_ENOMEM;
		return -1;
	}
	return 0;
}

static void visit_expr(struct analysis *an, struct sym_frame *f, const struct expr *e)
{
	if (e == NULL)
		return;
	if (e->kind == E_NAME) {
		sym_load(an, f, e->name);
		return;
	}
	visit_expr(an, f, e->a);
	visit_expr(an, f, e->b);
	visit_expr(an, f, e->c);
	for (size_t i = 0; i < e->nargs; i++)
		visit_expr(an, f, e->args[i]);
	for (size_t i = 0; i < e->nvals; i++)
		visit_expr(an, f, e->vals[i]);
}

struct pending {
	const struct stmt **v;
	size_t n, cap;
};

static void visit_stmts(struct analysis *an, struct sym_frame *f, const struct stmt *s, struct pending *pend);

static void branch_update(struct analysis *an, struct sym_frame *f, struct sym_frame *br, int nbr)
{
	json_t *counts = json_object();
	if (counts == NULL) {
		an->rc = MX_ENOMEM;
		return;
	}
	const char *name;
	json_t *v;
	for (int i = 0; i < nbr; i++)
		json_object_foreach (br[i].stores, name, v) {
			if (json_object_get(f->stores, name))
				continue;
			json_t *c = json_object_get(counts, name);
			if (json_object_set_new(counts, name,
			                        json_integer(c ? json_integer_value(c) + 1 : 1)))
				an->rc = MX_ENOMEM;
		}
	for (int i = 0; i < nbr; i++) {
		if (json_object_update(f->refs, br[i].refs) || json_object_update(f->stores, br[i].stores))
			an->rc = MX_ENOMEM;
	}
	json_object_foreach (counts, name, v) {
		if (json_integer_value(v) == nbr)
			continue;
		if (f->parent && sym_find(f->parent, name))
			continue;
		sym_free_name(an, name);
	}
	json_decref(counts);
}

/* Jinja's If(test, body, elif_=[If...], else_): three branches. */
static void visit_if(struct analysis *an, struct sym_frame *f, struct expr *const *conds,
                     struct stmt *const *bodies, size_t n, const struct stmt *else_body, struct pending *pend)
{
	visit_expr(an, f, conds[0]);
	struct sym_frame br[3];
	int ok = 1;
	for (int i = 0; i < 3; i++)
		br[i].stores = br[i].refs = NULL;
	for (int i = 0; i < 3; i++)
		if (sym_copy(an, &br[i], f))
			ok = 0;
	if (ok) {
		visit_stmts(an, &br[0], bodies[0], pend);
		for (size_t i = 1; i < n; i++)
			visit_if(an, &br[1], conds + i, bodies + i, 1, NULL, pend);
		visit_stmts(an, &br[2], else_body, pend);
		branch_update(an, f, br, 3);
	}
	for (int i = 0; i < 3; i++)
		sym_fini(&br[i]);
}

static void visit_stmts(struct analysis *an, struct sym_frame *f, const struct stmt *s, struct pending *pend)
{
	for (; s && an->rc == 0; s = s->next) {
		switch (s->kind) {
		case S_DATA: break;
		case S_OUTPUT: visit_expr(an, f, s->expr); break;
		case S_SET:
			visit_expr(an, f, s->expr);
			for (size_t i = 0; i < s->ntargets; i++)
				sym_store(an, f, s->targets[i]);
			break;
		case S_SETBLOCK:
			sym_store(an, f, s->targets[0]);
			/* fall through */
		case S_FOR:
			if (s->kind == S_FOR)
				visit_expr(an, f, s->expr);
			if (pend->n == pend->cap) {
				size_t ncap = pend->cap ? pend->cap * 2 : 8;
				const struct stmt **nv = mx_realloc(pend->v, ncap * sizeof *nv);
				if (nv == NULL) {
					an->rc = MX_ENOMEM;
					return;
				}
				pend->v = nv;
				pend->cap = ncap;
			}
			pend->v[pend->n++] = s;
			break;
		case S_IF: visit_if(an, f, s->conds, s->bodies, s->nconds, s->else_body, pend); break;
		}
	}
}

static void analyze_frame(struct analysis *an, const struct sym_frame *parent, const struct stmt *body,
                          const char *const *params, size_t nparams, const struct expr *test)
{
	struct sym_frame f;
	struct pending pend = {NULL, 0, 0};
	if (sym_init(an, &f, parent) == 0) {
		for (size_t i = 0; i < nparams; i++)
			sym_store(an, &f, params[i]);
		visit_expr(an, &f, test);
		visit_stmts(an, &f, body, &pend);
		for (size_t i = 0; i < pend.n && an->rc == 0; i++) {
			const struct stmt *s = pend.v[i];
			if (s->kind == S_SETBLOCK) {
				analyze_frame(an, &f, s->body, NULL, 0, NULL);
				continue;
			}
			if (s->filter)
				analyze_frame(an, &f, NULL, s->targets, s->ntargets, s->filter);
			const char *names[MAX_CALL_ARGS + 1];
			size_t nn = 0;
			for (size_t k = 0; k < s->ntargets && nn < MAX_CALL_ARGS; k++)
				names[nn++] = s->targets[k];
			names[nn++] = "loop";
			analyze_frame(an, &f, s->body, names, nn, NULL);
			if (s->else_body)
				analyze_frame(an, &f, s->else_body, NULL, 0, NULL);
		}
	}
	mx_free(pend.v);
	sym_fini(&f);
}

static int cmp_cstr(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int compute_free_vars(struct mx_template *t)
{
	struct analysis an = {json_object(), 0};
	if (an.free == NULL)
		return MX_ENOMEM;
	analyze_frame(&an, NULL, t->body, NULL, 0, NULL);
	size_t n = json_object_size(an.free), i = 0;
	if (an.rc == 0 && n) {
		t->free_vars = arena_alloc(&t->arena, n * sizeof *t->free_vars);
		if (t->free_vars == NULL)
			an.rc = MX_ENOMEM;
	}
	if (an.rc == 0) {
		const char *name;
		json_t *v;
		json_object_foreach (an.free, name, v) {
			if ((t->free_vars[i++] = arena_strndup(&t->arena, name, strlen(name))) == NULL)
				an.rc = MX_ENOMEM;
		}
		t->nfree = n;
		if (n)
			qsort(t->free_vars, n, sizeof *t->free_vars, cmp_cstr);
	}
	json_decref(an.free);
	return an.rc;
}

/* ------------------------------------------------------------------------
 * Values.
 * ---------------------------------------------------------------------- */

static void vdrop(struct val *v)
{
	json_decref(v->j);
	v->j = NULL;
}

static struct val vundef(const struct expr *why, const char *objtype)
{
	struct val v = {NULL, why, objtype, 0};
	return v;
}

/* Take a new reference (NULL means out of memory, not undefined). */
static int vset(struct val *out, json_t *j)
{
	*out = vundef(NULL, NULL);
	if (j == NULL)
		return MX_ENOMEM;
	out->j = j;
	return 0;
}

static struct val vcopy(const struct val *v)
{
	struct val c = *v;
	json_incref(c.j);
	c.flags &= ~VAL_MISSING;
	return c;
}

static struct val vborrow(json_t *j)
{
	struct val v = vundef(NULL, NULL);
	v.j = json_incref(j);
	return v;
}

static int given(const struct val *a)
{
	return !(a->flags & VAL_MISSING);
}

__attribute__((format(printf, 5, 6))) static int rerr_at(struct render *r, int line, int col, int code,
                                                         const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fail_atv(r->err, code, line, col, fmt, ap);
	va_end(ap);
	return code;
}

__attribute__((format(printf, 4, 5))) static int rerr(struct render *r, const struct expr *at, int code,
                                                      const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fail_atv(r->err, code, at ? at->line : 0, at ? at->col : 0, fmt, ap);
	va_end(ap);
	return code;
}

static const char *vtype(const struct val *v)
{
	return v->j ? mx_pytext_type(v->j) : "Undefined";
}

/* Jinja's UndefinedError messages. */
static void undef_message(const struct val *v, char *buf, size_t sz)
{
	const struct expr *w = v->why;
	if (w == NULL) {
		snprintf(buf, sz, "value is undefined");
		return;
	}
	switch (w->kind) {
	case E_NAME: snprintf(buf, sz, "'%s' is undefined", w->name); return;
	case E_ATTR:
		if (v->objtype)
			snprintf(buf, sz, "'%s object' has no attribute '%s'", v->objtype, w->name);
		else
			snprintf(buf, sz, "'%s' is undefined", w->name);
		return;
	case E_ITEM:
		if (v->objtype && w->b && w->b->kind == E_STR)
			snprintf(buf, sz, "'%s object' has no attribute '%.*s'", v->objtype,
			         (int)w->b->name_len, w->b->name);
		else if (v->objtype && w->b && w->b->kind == E_INT)
			snprintf(buf, sz, "%s object has no element %" JSON_INTEGER_FORMAT, v->objtype,
			         w->b->ival);
		else if (v->objtype)
			snprintf(buf, sz, "'%s object' has no such element", v->objtype);
		else
			snprintf(buf, sz, "value is undefined");
		return;
	case E_COND:
		snprintf(buf, sz,
		         "the inline if-expression on line %d evaluated to false and no else section was "
		         "defined",
		         w->line);
		return;
	default: snprintf(buf, sz, "value is undefined"); return;
	}
}

static int undef_err(struct render *r, const struct expr *at, const struct val *v)
{
	char msg[256];
	undef_message(v, msg, sizeof msg);
	return rerr(r, at, MX_EINVAL, "%s", msg);
}

/* ---- numbers ---- */

struct num {
	int is_int;
	json_int_t i;
	double d;
};

/* int, float or bool (bool is an int in Python). */
static int get_num(const json_t *j, struct num *n)
{
	if (j == NULL)
		return 0;
	switch (json_typeof(j)) {
	case JSON_INTEGER: n->is_int = 1, n->i = json_integer_value(j), n->d = (double)n->i; return 1;
	case JSON_TRUE: n->is_int = 1, n->i = 1, n->d = 1; return 1;
	case JSON_FALSE: n->is_int = 1, n->i = 0, n->d = 0; return 1;
	case JSON_REAL: n->is_int = 0, n->i = 0, n->d = json_real_value(j); return 1;
	default: return 0;
	}
}

static int mk_real(struct render *r, const struct expr *e, double d, struct val *out)
{
	*out = vundef(NULL, NULL);
	if (!isfinite(d))
		return rerr(r, e, MX_EINVAL, "float result is out of range (inf or nan)");
	return vset(out, json_real(d));
}

static int mk_num(struct render *r, const struct expr *e, const struct num *n, struct val *out)
{
	if (n->is_int)
		return vset(out, json_integer(n->i));
	return mk_real(r, e, n->d, out);
}

/* ---- printing as Python's str() / repr() ---- */

/* str(v); Undefined prints as nothing. */
static int write_str(struct mx_buf *b, const struct val *v)
{
	return v->j ? mx_pytext_str(b, v->j) : 0;
}

/* ---- truth, equality, order (Python semantics) ---- */

static int truthy(const struct val *v)
{
	const json_t *j = v->j;
	if (j == NULL)
		return 0;
	switch (json_typeof(j)) {
	case JSON_OBJECT: return json_object_size(j) > 0;
	case JSON_ARRAY: return json_array_size(j) > 0;
	case JSON_STRING: return json_string_length(j) > 0;
	case JSON_INTEGER: return json_integer_value(j) != 0;
	case JSON_REAL: return json_real_value(j) != 0.0;
	case JSON_TRUE: return 1;
	default: return 0;
	}
}

static int py_eq(const json_t *a, const json_t *b, int depth)
{
	struct num x = {0}, y = {0};
	if (depth > MAX_VALUE_DEPTH)
		return 0;
	if (get_num(a, &x) && get_num(b, &y))
		return (x.is_int && y.is_int) ? x.i == y.i : x.d == y.d;
	if (json_typeof(a) != json_typeof(b))
		return 0;
	switch (json_typeof(a)) {
	case JSON_STRING:
		return json_string_length(a) == json_string_length(b) &&
		       memcmp(json_string_value(a), json_string_value(b), json_string_length(a)) == 0;
	case JSON_ARRAY:
		if (json_array_size(a) != json_array_size(b))
			return 0;
		for (size_t i = 0; i < json_array_size(a); i++)
			if (!py_eq(json_array_get(a, i), json_array_get(b, i), depth + 1))
				return 0;
		return 1;
	case JSON_OBJECT: {
		if (json_object_size(a) != json_object_size(b))
			return 0;
		const char *k;
		size_t klen;
		json_t *va;
		json_object_keylen_foreach((json_t *)a, k, klen, va)
		{
			json_t *vb = json_object_getn(b, k, klen);
			if (vb == NULL || !py_eq(va, vb, depth + 1))
				return 0;
		}
		return 1;
	}
	default: return 1; /* null */
	}
}

static int veq(const struct val *a, const struct val *b)
{
	if (a->j == NULL || b->j == NULL)
		return a->j == NULL && b->j == NULL;
	return py_eq(a->j, b->j, 0);
}

static int str_cmp(const json_t *a, const json_t *b)
{
	size_t na = json_string_length(a), nb = json_string_length(b);
	int c = memcmp(json_string_value(a), json_string_value(b), na < nb ? na : nb);
	if (c)
		return c;
	return na < nb ? -1 : na > nb;
}

/* a < b; -1 when Python would raise TypeError. */
static int py_lt(const json_t *a, const json_t *b, int *lt, int depth)
{
	struct num x = {0}, y = {0};
	if (depth > MAX_VALUE_DEPTH)
		return -1;
	if (get_num(a, &x) && get_num(b, &y)) {
		*lt = (x.is_int && y.is_int) ? x.i < y.i : x.d < y.d;
		return 0;
	}
	if (json_is_string(a) && json_is_string(b)) {
		*lt = str_cmp(a, b) < 0;
		return 0;
	}
	if (json_is_array(a) && json_is_array(b)) {
		size_t na = json_array_size(a), nb = json_array_size(b);
		for (size_t i = 0; i < na && i < nb; i++) {
			const json_t *ai = json_array_get(a, i), *bi = json_array_get(b, i);
			if (!py_eq(ai, bi, depth + 1))
				return py_lt(ai, bi, lt, depth + 1);
		}
		*lt = na < nb;
		return 0;
	}
	return -1;
}

static int compare_values(struct render *r, const struct expr *e, int op, const struct val *a,
                          const struct val *b, int *res);

/* ---- strings ---- */

static void sb_init(struct render *r, struct mx_buf *b)
{
	mx_buf_init(b, r->max_str);
}

/* Turn a string buffer into a value (and free the buffer). */
static int sb_finish(struct render *r, const struct expr *e, struct mx_buf *b, int rc, struct val *out)
{
	*out = vundef(NULL, NULL);
	if (rc == 0)
		rc = vset(out, json_stringn(b->p ? b->p : "", b->len));
	mx_buf_free(b);
	if (rc == MX_ELIMIT)
		return rerr(r, e, rc, "string value exceeds the limit of %zu bytes", r->max_str);
	return rc;
}

static int mk_str(struct render *r, const struct expr *e, const char *s, size_t n, struct val *out)
{
	*out = vundef(NULL, NULL);
	if (n > r->max_str)
		return rerr(r, e, MX_ELIMIT, "string value exceeds the limit of %zu bytes", r->max_str);
	return vset(out, json_stringn(s, n));
}

/* str(v) as a fresh buffer the caller frees. */
static int soft_str(struct render *r, const struct expr *e, const struct val *v, struct mx_buf *b)
{
	sb_init(r, b);
	int rc = write_str(b, v);
	if (rc == 0 && b->p == NULL)
		rc = mx_buf_append(b, "", 0);
	if (rc) {
		mx_buf_free(b);
		if (rc == MX_ELIMIT)
			return rerr(r, e, rc, "string value exceeds the limit of %zu bytes", r->max_str);
	}
	return rc;
}

/* list(v): a new reference to a JSON array. */
static int to_list(struct render *r, const struct expr *e, const struct val *v, json_t **out)
{
	*out = NULL;
	const json_t *j = v->j;
	if (j == NULL) {
		*out = json_array();
		return *out ? 0 : MX_ENOMEM;
	}
	switch (json_typeof(j)) {
	case JSON_ARRAY: *out = json_incref((json_t *)j); return 0;
	case JSON_OBJECT: {
		json_t *a = json_array();
		const char *k;
		size_t klen;
		json_t *item;
		if (a == NULL)
			return MX_ENOMEM;
		json_object_keylen_foreach((json_t *)j, k, klen, item)
		{
			if (json_array_append_new(a, json_stringn(k, klen))) {
				json_decref(a);
				return MX_ENOMEM;
			}
		}
		*out = a;
		return 0;
	}
	case JSON_STRING: {
		const char *s = json_string_value(j);
		size_t n = json_string_length(j);
		if (mx_utf8_count(s, n) > MX_TEMPLATE_MAX_ITEMS)
			return rerr(r, e, MX_ELIMIT, "string too long to iterate (limit %d characters)",
			            MX_TEMPLATE_MAX_ITEMS);
		json_t *a = json_array();
		if (a == NULL)
			return MX_ENOMEM;
		for (size_t i = 0; i < n;) {
			size_t start = i;
			mx_utf8_next(s, n, &i);
			if (json_array_append_new(a, json_stringn(s + start, i - start))) {
				json_decref(a);
				return MX_ENOMEM;
			}
		}
		*out = a;
		return 0;
	}
	default: return rerr(r, e, MX_EINVAL, "'%s' object is not iterable", mx_pytext_type(j));
	}
}

/* ---- attribute and item access (Jinja's getattr/getitem) ---- */

static int get_item(const struct expr *why, const json_t *obj, const json_t *key, struct val *out)
{
	struct num k = {0};
	*out = vundef(why, NULL);
	if (obj == NULL)
		return 0;
	out->objtype = mx_pytext_type(obj);
	if (json_is_object(obj) && json_is_string(key)) {
		json_t *v = json_object_getn(obj, json_string_value(key), json_string_length(key));
		if (v)
			*out = vborrow(v);
		return 0;
	}
	if (!(json_is_array(obj) || json_is_string(obj)) || json_is_real(key) || !get_num(key, &k))
		return 0;
	if (json_is_array(obj)) {
		json_int_t n = (json_int_t)json_array_size(obj), i = k.i < 0 ? k.i + n : k.i;
		if (i >= 0 && i < n)
			*out = vborrow(json_array_get(obj, (size_t)i));
		return 0;
	}
	const char *s = json_string_value(obj);
	size_t len = json_string_length(obj);
	json_int_t n = (json_int_t)mx_utf8_count(s, len), i = k.i < 0 ? k.i + n : k.i;
	if (i < 0 || i >= n)
		return 0;
	size_t off = mx_utf8_offset(s, len, (size_t)i), end = off;
	mx_utf8_next(s, len, &end);
	return vset(out, json_stringn(s + off, end - off));
}

static int get_attr(const struct expr *why, const json_t *obj, const char *name, struct val *out)
{
	*out = vundef(why, NULL);
	if (obj == NULL)
		return 0;
	out->objtype = mx_pytext_type(obj);
	if (json_is_object(obj)) {
		json_t *v = json_object_get(obj, name);
		if (v)
			*out = vborrow(v);
	}
	return 0;
}

/* Jinja's make_attrgetter: "a.b.0" walks items; an int picks an index. */
static int get_path(const json_t *obj, const struct val *path, struct val *out)
{
	*out = vundef(NULL, NULL);
	if (path->j && json_is_integer(path->j))
		return get_item(NULL, obj, path->j, out);
	if (path->j == NULL || !json_is_string(path->j))
		return 0;
	const char *s = json_string_value(path->j);
	size_t n = json_string_length(path->j);
	struct val curv = vborrow((json_t *)obj);
	for (size_t i = 0; i <= n && curv.j;) {
		size_t e = i;
		while (e < n && s[e] != '.')
			e++;
		json_t *key;
		int all_digits = e > i;
		for (size_t k = i; k < e; k++)
			if (!is_digit(s[k]))
				all_digits = 0;
		if (all_digits && e - i < 18) {
			char tmp[20];
			memcpy(tmp, s + i, e - i);
			tmp[e - i] = '\0';
			key = json_integer(strtoll(tmp, NULL, 10));
		} else {
			key = json_stringn(s + i, e - i);
		}
		if (key == NULL) {
			vdrop(&curv);
			return MX_ENOMEM;
		}
		struct val next;
		int rc = get_item(NULL, curv.j, key, &next);
		if (rc == 0 && next.j == NULL && json_is_integer(key) && json_is_object(curv.j)) {
			json_t *skey = json_stringn(s + i, e - i);
			rc = skey ? get_item(NULL, curv.j, skey, &next) : MX_ENOMEM;
			json_decref(skey);
		}
		json_decref(key);
		vdrop(&curv);
		if (rc)
			return rc;
		curv = next;
		i = e + 1;
	}
	*out = curv;
	return 0;
}

/* ---- frames of local variables ---- */

static int frame_set(struct rframe *f, const char *name, struct val v)
{
	v.flags &= ~VAL_MISSING;
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->vars[i].name, name) == 0) {
			vdrop(&f->vars[i].v);
			f->vars[i].v = v;
			return 0;
		}
	if (f->n == f->cap) {
		size_t ncap = f->cap ? f->cap * 2 : 8;
		struct var *nv = mx_realloc(f->vars, ncap * sizeof *nv);
		if (nv == NULL) {
			vdrop(&v);
			return MX_ENOMEM;
		}
		f->vars = nv;
		f->cap = ncap;
	}
	f->vars[f->n].name = name;
	f->vars[f->n].v = v;
	f->n++;
	return 0;
}

static void frame_clear(struct rframe *f)
{
	for (size_t i = 0; i < f->n; i++)
		vdrop(&f->vars[i].v);
	mx_free(f->vars);
	f->vars = NULL;
	f->n = f->cap = 0;
}

/* 1 and a copy in *out when the name is bound in a frame or the context. */
static int lookup(struct render *r, const struct expr *e, struct val *out)
{
	for (struct rframe *f = r->frame; f; f = f->parent)
		for (size_t i = 0; i < f->n; i++)
			if (strcmp(f->vars[i].name, e->name) == 0) {
				*out = vcopy(&f->vars[i].v);
				return 1;
			}
	json_t *j = r->ctx ? json_object_get(r->ctx, e->name) : NULL;
	if (j) {
		*out = vborrow(j);
		return 1;
	}
	*out = vundef(e, NULL);
	return 0;
}

/* ------------------------------------------------------------------------
 * Operators.
 * ---------------------------------------------------------------------- */

static int int_pow(json_int_t base, json_int_t exp, json_int_t *out)
{
	json_int_t result = 1;
	while (exp > 0) {
		if ((exp & 1) && __builtin_mul_overflow(result, base, &result))
			return -1;
		exp >>= 1;
		if (exp && __builtin_mul_overflow(base, base, &base))
			return -1;
	}
	*out = result;
	return 0;
}

static double py_fmod(double a, double b)
{
	double m = fmod(a, b);
	if (m != 0) {
		if ((b < 0) != (m < 0))
			m += b;
	} else {
		m = copysign(0.0, b);
	}
	return m;
}

static double py_floordiv(double a, double b)
{
	double m = fmod(a, b);
	double div = (a - m) / b;
	if (m != 0 && ((b < 0) != (m < 0)))
		div -= 1.0;
	if (div == 0)
		return copysign(0.0, a / b);
	double fl = floor(div);
	if (div - fl > 0.5)
		fl += 1.0;
	return fl;
}

static int arith(struct render *r, const struct expr *e, int op, const struct num *x, const struct num *y,
                 struct val *out)
{
	if (x->is_int && y->is_int && op != OP_DIV && !(op == OP_POW && y->i < 0)) {
		json_int_t a = x->i, b = y->i, res = 0;
		int ovf = 0;
		switch (op) {
		case OP_ADD: ovf = __builtin_add_overflow(a, b, &res); break;
		case OP_SUB: ovf = __builtin_sub_overflow(a, b, &res); break;
		case OP_MUL: ovf = __builtin_mul_overflow(a, b, &res); break;
		case OP_FLOORDIV:
		case OP_MOD:
			if (b == 0)
				return rerr(r, e, MX_EINVAL, "division by zero");
			if (b == -1) {
				ovf = op == OP_FLOORDIV && __builtin_sub_overflow((json_int_t)0, a, &res);
				if (op == OP_MOD)
					res = 0;
				break;
			}
			if (op == OP_FLOORDIV) {
				res = a / b;
				if (a % b != 0 && ((a < 0) != (b < 0)))
					res--;
			} else {
				res = a % b;
				if (res != 0 && ((res < 0) != (b < 0)))
					res += b;
			}
			break;
		case OP_POW: ovf = int_pow(a, b, &res) != 0; break;
		default: return rerr(r, e, MX_EINTERNAL, "bad operator");
		}
		if (ovf)
			return rerr(r, e, MX_EINVAL, "integer overflow");
		return vset(out, json_integer(res));
	}
	double a = x->d, b = y->d, res;
	switch (op) {
	case OP_ADD: res = a + b; break;
	case OP_SUB: res = a - b; break;
	case OP_MUL: res = a * b; break;
	case OP_DIV:
	case OP_FLOORDIV:
	case OP_MOD:
		if (b == 0)
			return rerr(r, e, MX_EINVAL, "division by zero");
		res = op == OP_DIV ? a / b : op == OP_MOD ? py_fmod(a, b) : py_floordiv(a, b);
		break;
	case OP_POW:
		if (a == 0 && b < 0)
			return rerr(r, e, MX_EINVAL, "division by zero");
		if (a < 0 && b != floor(b))
			return rerr(r, e, MX_EINVAL, "negative number raised to a fractional power");
		res = pow(a, b);
		break;
	default: return rerr(r, e, MX_EINTERNAL, "bad operator");
	}
	return mk_real(r, e, res, out);
}

static int repeat_value(struct render *r, const struct expr *e, const json_t *seq, json_int_t times,
                        struct val *out)
{
	if (times < 0)
		times = 0;
	if (json_is_string(seq)) {
		size_t n = json_string_length(seq);
		if (n && (size_t)times > r->max_str / n)
			return rerr(r, e, MX_ELIMIT, "string value exceeds the limit of %zu bytes",
			            r->max_str);
		struct mx_buf b;
		sb_init(r, &b);
		int rc = mx_buf_append(&b, "", 0);
		for (json_int_t i = 0; i < times && rc == 0; i++)
			rc = mx_buf_append(&b, json_string_value(seq), n);
		return sb_finish(r, e, &b, rc, out);
	}
	size_t n = json_array_size(seq);
	if (n && (size_t)times > MX_TEMPLATE_MAX_ITEMS / n)
		return rerr(r, e, MX_ELIMIT, "list too long (limit %d items)", MX_TEMPLATE_MAX_ITEMS);
	json_t *a = json_array();
	int rc = a ? 0 : MX_ENOMEM;
	for (json_int_t i = 0; i < times && rc == 0; i++)
		rc = json_array_extend(a, (json_t *)seq) ? MX_ENOMEM : 0;
	if (rc) {
		json_decref(a);
		return rc;
	}
	return vset(out, a);
}

static int binop(struct render *r, const struct expr *e, int op, const struct val *a, const struct val *b,
                 struct val *out)
{
	*out = vundef(NULL, NULL);
	if (a->j == NULL)
		return undef_err(r, e, a);
	if (b->j == NULL)
		return undef_err(r, e, b);
	struct num x = {0}, y = {0};
	int xn = get_num(a->j, &x), yn = get_num(b->j, &y);
	if (xn && yn)
		return arith(r, e, op, &x, &y, out);
	if (op == OP_ADD && json_is_string(a->j) && json_is_string(b->j)) {
		struct mx_buf s;
		sb_init(r, &s);
		int rc = mx_buf_append(&s, json_string_value(a->j), json_string_length(a->j));
		if (rc == 0)
			rc = mx_buf_append(&s, json_string_value(b->j), json_string_length(b->j));
		return sb_finish(r, e, &s, rc, out);
	}
	if (op == OP_ADD && json_is_array(a->j) && json_is_array(b->j)) {
		if (json_array_size(a->j) + json_array_size(b->j) > MX_TEMPLATE_MAX_ITEMS)
			return rerr(r, e, MX_ELIMIT, "list too long (limit %d items)", MX_TEMPLATE_MAX_ITEMS);
		json_t *c = json_array();
		if (c == NULL || json_array_extend(c, a->j) || json_array_extend(c, b->j)) {
			json_decref(c);
			return MX_ENOMEM;
		}
		return vset(out, c);
	}
	if (op == OP_MUL) {
		if ((json_is_string(a->j) || json_is_array(a->j)) && yn && y.is_int)
			return repeat_value(r, e, a->j, y.i, out);
		if ((json_is_string(b->j) || json_is_array(b->j)) && xn && x.is_int)
			return repeat_value(r, e, b->j, x.i, out);
	}
	if (op == OP_MOD && json_is_string(a->j))
		return rerr(r, e, MX_EINVAL, "'%%' string formatting is not supported");
	return rerr(r, e, MX_EINVAL, "unsupported operand type(s) for %s: '%s' and '%s'", op_text(op),
	            vtype(a), vtype(b));
}

static const char *find_bytes(const char *h, size_t hn, const char *n, size_t nn)
{
	if (nn == 0)
		return h;
	if (hn < nn)
		return NULL;
	for (size_t i = 0; i + nn <= hn; i++)
		if (h[i] == n[0] && memcmp(h + i, n, nn) == 0)
			return h + i;
	return NULL;
}

/* item in container */
static int contains(struct render *r, const struct expr *e, const struct val *container,
                    const struct val *item, int *res)
{
	const json_t *c = container->j;
	*res = 0;
	if (c == NULL)
		return 0;
	switch (json_typeof(c)) {
	case JSON_STRING:
		if (item->j == NULL || !json_is_string(item->j))
			return rerr(r, e, MX_EINVAL, "'in <string>' requires string as left operand, not %s",
			            vtype(item));
		*res = find_bytes(json_string_value(c), json_string_length(c), json_string_value(item->j),
		                  json_string_length(item->j)) != NULL;
		return 0;
	case JSON_ARRAY: {
		size_t i;
		json_t *x;
		if (item->j == NULL)
			return 0;
		json_array_foreach (c, i, x)
			if (py_eq(x, item->j, 0)) {
				*res = 1;
				break;
			}
		return 0;
	}
	case JSON_OBJECT:
		if (item->j && json_is_string(item->j))
			*res = json_object_getn(c, json_string_value(item->j), json_string_length(item->j)) !=
			       NULL;
		else if (item->j && (json_is_array(item->j) || json_is_object(item->j)))
			return rerr(r, e, MX_EINVAL, "unhashable type: '%s'", vtype(item));
		return 0;
	default: return rerr(r, e, MX_EINVAL, "argument of type '%s' is not iterable", vtype(container));
	}
}

static int compare_values(struct render *r, const struct expr *e, int op, const struct val *a,
                          const struct val *b, int *res)
{
	int lt = 0, rc;
	switch (op) {
	case OP_EQ: *res = veq(a, b); return 0;
	case OP_NE: *res = !veq(a, b); return 0;
	case OP_IN:
	case OP_NOTIN:
		rc = contains(r, e, b, a, res);
		if (op == OP_NOTIN)
			*res = !*res;
		return rc;
	default: break;
	}
	if (a->j == NULL)
		return undef_err(r, e, a);
	if (b->j == NULL)
		return undef_err(r, e, b);
	int swap = op == OP_GT || op == OP_GE;
	if (py_lt(swap ? b->j : a->j, swap ? a->j : b->j, &lt, 0))
		return rerr(r, e, MX_EINVAL, "'%s' not supported between instances of '%s' and '%s'",
		            op_text(op), vtype(a), vtype(b));
	*res = lt || ((op == OP_LE || op == OP_GE) && veq(a, b));
	return 0;
}

/* ------------------------------------------------------------------------
 * Expressions.
 * ---------------------------------------------------------------------- */

static int eval(struct render *r, const struct expr *e, struct val *out);
static int call_method(struct render *r, const struct expr *e, const struct val *obj, const char *name,
                       struct val *args, size_t nargs, struct val *out);
static int call_global(struct render *r, const struct expr *e, const char *name, struct val *args,
                       size_t nargs, struct val *kwargs, struct val *out);

static void drop_all(struct val *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		vdrop(&v[i]);
}

/* Argument arrays: a few on the stack, more on the heap (renders may run on small worker stacks). */
#define SMALL_ARGS 4

static struct val *args_get(struct val *small, size_t n)
{
	return n <= SMALL_ARGS ? small : mx_malloc(n * sizeof *small);
}

static void args_put(struct val *small, struct val *args, size_t n)
{
	drop_all(args, n);
	if (args != small)
		mx_free(args);
}

/* Evaluate n expressions; NULL entries become "missing" arguments. */
static int eval_args(struct render *r, struct expr *const *exprs, size_t n, struct val *out)
{
	for (size_t i = 0; i < n; i++) {
		out[i] = vundef(NULL, NULL);
		if (exprs[i] == NULL) {
			out[i].flags = VAL_MISSING;
			continue;
		}
		int rc = eval(r, exprs[i], &out[i]);
		if (rc) {
			drop_all(out, i + 1);
			return rc;
		}
	}
	return 0;
}

static int eval_list(struct render *r, const struct expr *e, struct val *out)
{
	json_t *a = json_array();
	if (a == NULL)
		return MX_ENOMEM;
	for (size_t i = 0; i < e->nargs; i++) {
		struct val v;
		int rc = eval(r, e->args[i], &v);
		if (rc == 0 && json_array_append_new(a, v.j ? v.j : json_null()))
			rc = MX_ENOMEM;
		if (rc) {
			json_decref(a);
			return rc;
		}
	}
	return vset(out, a);
}

static int eval_dict(struct render *r, const struct expr *e, struct val *out)
{
	json_t *d = json_object();
	if (d == NULL)
		return MX_ENOMEM;
	int rc = 0;
	for (size_t i = 0; i < e->nargs && rc == 0; i++) {
		struct val k, v;
		if ((rc = eval(r, e->args[i], &k)))
			break;
		if (k.j == NULL || !json_is_string(k.j)) {
			rc = rerr(r, e->args[i], MX_EINVAL, "dict keys must be strings, not %s", vtype(&k));
			vdrop(&k);
			break;
		}
		if ((rc = eval(r, e->vals[i], &v)) == 0 &&
		    json_object_setn_new(d, json_string_value(k.j), json_string_length(k.j),
		                         v.j ? v.j : json_null()))
			rc = MX_ENOMEM;
		vdrop(&k);
	}
	if (rc) {
		json_decref(d);
		return rc;
	}
	return vset(out, d);
}

static int slice_index(struct render *r, const struct expr *e, const struct val *v, json_int_t *out,
                       int *present)
{
	struct num n = {0};
	*present = 0;
	if (v->j == NULL || json_is_null(v->j))
		return 0;
	if (!get_num(v->j, &n) || !n.is_int)
		return rerr(r, e, MX_EINVAL, "slice indices must be integers or None");
	*out = n.i;
	*present = 1;
	return 0;
}

/* Python's slice.indices() and the walk over it. */
static int eval_slice(struct render *r, const struct expr *e, struct val *out)
{
	struct val obj, idx[3];
	int rc = eval(r, e->a, &obj);
	if (rc)
		return rc;
	if ((rc = eval_args(r, e->args, 3, idx))) {
		vdrop(&obj);
		return rc;
	}
	json_int_t v[3] = {0, 0, 1};
	int has[3];
	for (int i = 0; i < 3 && rc == 0; i++)
		rc = slice_index(r, e, &idx[i], &v[i], &has[i]);
	drop_all(idx, 3);
	if (rc == 0 && has[2] && v[2] == 0)
		rc = rerr(r, e, MX_EINVAL, "slice step cannot be zero");
	if (rc || obj.j == NULL || !(json_is_array(obj.j) || json_is_string(obj.j))) {
		if (rc == 0)
			*out = vundef(e, vtype(&obj));
		vdrop(&obj);
		return rc;
	}
	int is_str = json_is_string(obj.j);
	const char *s = is_str ? json_string_value(obj.j) : NULL;
	size_t slen = is_str ? json_string_length(obj.j) : 0;
	json_int_t len = is_str ? (json_int_t)mx_utf8_count(s, slen) : (json_int_t)json_array_size(obj.j);
	json_int_t step = has[2] ? v[2] : 1, start, stop;
	if (step > 0) {
		start = has[0] ? (v[0] < 0 ? (v[0] + len < 0 ? 0 : v[0] + len) : (v[0] > len ? len : v[0]))
		               : 0;
		stop = has[1] ? (v[1] < 0 ? (v[1] + len < 0 ? 0 : v[1] + len) : (v[1] > len ? len : v[1]))
		              : len;
	} else {
		start = has[0] ? (v[0] < 0 ? (v[0] + len < 0 ? -1 : v[0] + len)
		                           : (v[0] >= len ? len - 1 : v[0]))
		               : len - 1;
		stop = has[1] ? (v[1] < 0 ? (v[1] + len < 0 ? -1 : v[1] + len)
		                          : (v[1] >= len ? len - 1 : v[1]))
		              : -1;
	}
	if (is_str) {
		/* code point offsets, then copy */
		size_t *offs = mx_malloc(((size_t)len + 1) * sizeof *offs);
		if (offs == NULL) {
			vdrop(&obj);
			return MX_ENOMEM;
		}
		size_t i = 0, k = 0;
		while (i < slen) {
			offs[k++] = i;
			mx_utf8_next(s, slen, &i);
		}
		offs[k] = slen;
		struct mx_buf b;
		sb_init(r, &b);
		rc = mx_buf_append(&b, "", 0);
		for (json_int_t x = start; rc == 0 && (step > 0 ? x < stop : x > stop); x += step)
			rc = mx_buf_append(&b, s + offs[x], offs[x + 1] - offs[x]);
		mx_free(offs);
		vdrop(&obj);
		return sb_finish(r, e, &b, rc, out);
	}
	json_t *a = json_array();
	rc = a ? 0 : MX_ENOMEM;
	for (json_int_t x = start; rc == 0 && (step > 0 ? x < stop : x > stop); x += step)
		rc = json_array_append(a, json_array_get(obj.j, (size_t)x)) ? MX_ENOMEM : 0;
	vdrop(&obj);
	if (rc) {
		json_decref(a);
		return rc;
	}
	return vset(out, a);
}

static int eval_call(struct render *r, const struct expr *e, struct val *out)
{
	const struct expr *fn = e->a;
	struct val small_args[SMALL_ARGS], small_kw[SMALL_ARGS], *args, *kwargs, obj;
	int rc;
	*out = vundef(NULL, NULL);
	if (fn->kind == E_ATTR) {
		if ((rc = eval(r, fn->a, &obj)))
			return rc;
		if (obj.j == NULL) { /* lenient: a method of undefined is undefined */
			*out = obj;
			return 0;
		}
	} else if (fn->kind == E_NAME) {
		if (lookup(r, fn, &obj)) {
			rc = obj.j ? rerr(r, e, MX_EINVAL, "'%s' object is not callable", vtype(&obj))
			           : undef_err(r, e, &obj);
			vdrop(&obj);
			return rc;
		}
		if (strcmp(fn->name, "range") != 0 && strcmp(fn->name, "dict") != 0)
			return undef_err(r, e, &obj);
	} else {
		if ((rc = eval(r, fn, &obj)))
			return rc;
		rc = obj.j ? rerr(r, e, MX_EINVAL, "'%s' object is not callable", vtype(&obj))
		           : undef_err(r, e, &obj);
		vdrop(&obj);
		return rc;
	}
	if ((args = args_get(small_args, e->nargs)) == NULL) {
		vdrop(&obj);
		return MX_ENOMEM;
	}
	if ((rc = eval_args(r, e->args, e->nargs, args))) {
		args_put(small_args, args, 0);
		vdrop(&obj);
		return rc;
	}
	if ((kwargs = args_get(small_kw, e->nvals)) == NULL ||
	    (rc = eval_args(r, e->vals, e->nvals, kwargs))) {
		if (kwargs)
			args_put(small_kw, kwargs, 0);
		args_put(small_args, args, e->nargs);
		vdrop(&obj);
		return kwargs ? rc : MX_ENOMEM;
	}
	if (fn->kind == E_NAME) {
		rc = call_global(r, e, fn->name, args, e->nargs, kwargs, out);
	} else if (e->nvals) {
		rc = rerr(r, e, MX_EINVAL, "keyword arguments are not supported for '%s'", fn->name);
	} else {
		rc = call_method(r, e, &obj, fn->name, args, e->nargs, out);
	}
	vdrop(&obj);
	args_put(small_args, args, e->nargs);
	args_put(small_kw, kwargs, e->nvals);
	return rc;
}

static int eval_filter(struct render *r, const struct expr *e, struct val *out)
{
	struct val v, small[SMALL_ARGS], *args;
	int rc = eval(r, e->a, &v);
	if (rc)
		return rc;
	size_t n = e->nargs + (e->filter->variadic ? e->nvals : 0);
	if ((args = args_get(small, n)) == NULL) {
		vdrop(&v);
		return MX_ENOMEM;
	}
	if (e->filter->variadic) {
		if ((rc = eval_args(r, e->vals, e->nvals, args)) == 0 &&
		    (rc = eval_args(r, e->args, e->nargs, args + e->nvals)))
			drop_all(args, e->nvals);
	} else {
		rc = eval_args(r, e->args, e->nargs, args);
	}
	if (rc) {
		args_put(small, args, 0);
		vdrop(&v);
		return rc;
	}
	rc = e->filter->fn(r, e, &v, args, n);
	args_put(small, args, n);
	if (rc) {
		vdrop(&v);
		return rc;
	}
	*out = v;
	return 0;
}

static int eval_test(struct render *r, const struct expr *e, struct val *out)
{
	struct val v, args[2];
	int rc = eval(r, e->a, &v), res = 0;
	if (rc)
		return rc;
	if ((rc = eval_args(r, e->args, e->nargs, args))) {
		vdrop(&v);
		return rc;
	}
	rc = e->test->fn(r, e, &v, args, &res);
	drop_all(args, e->nargs);
	vdrop(&v);
	if (rc)
		return rc;
	return vset(out, json_boolean(e->negate ? !res : res));
}

static int eval(struct render *r, const struct expr *e, struct val *out)
{
	struct val a, b;
	struct num n = {0};
	int rc, res;
	*out = vundef(NULL, NULL);
	switch (e->kind) {
	case E_STR: return mk_str(r, e, e->name, e->name_len, out);
	case E_INT: return vset(out, json_integer(e->ival));
	case E_FLOAT: return vset(out, json_real(e->fval));
	case E_TRUE: return vset(out, json_true());
	case E_FALSE: return vset(out, json_false());
	case E_NONE: return vset(out, json_null());
	case E_NAME: lookup(r, e, out); return 0;
	case E_LIST: return eval_list(r, e, out);
	case E_DICT: return eval_dict(r, e, out);
	case E_ATTR:
		if ((rc = eval(r, e->a, &a)))
			return rc;
		rc = get_attr(e, a.j, e->name, out);
		vdrop(&a);
		return rc;
	case E_ITEM:
		if ((rc = eval(r, e->a, &a)))
			return rc;
		if ((rc = eval(r, e->b, &b)) == 0) {
			rc = get_item(e, a.j, b.j, out);
			vdrop(&b);
		}
		vdrop(&a);
		return rc;
	case E_SLICE: return eval_slice(r, e, out);
	case E_CALL: return eval_call(r, e, out);
	case E_FILTER: return eval_filter(r, e, out);
	case E_TEST: return eval_test(r, e, out);
	case E_NOT:
		if ((rc = eval(r, e->a, &a)))
			return rc;
		res = !truthy(&a);
		vdrop(&a);
		return vset(out, json_boolean(res));
	case E_NEG:
	case E_POS:
		if ((rc = eval(r, e->a, &a)))
			return rc;
		if (!get_num(a.j, &n)) {
			rc = a.j ? rerr(r, e, MX_EINVAL, "bad operand type for unary %s: '%s'",
			                e->kind == E_NEG ? "-" : "+", vtype(&a))
			         : undef_err(r, e, &a);
			vdrop(&a);
			return rc;
		}
		vdrop(&a);
		if (e->kind == E_NEG) {
			if (n.is_int && n.i == LLONG_MIN)
				return rerr(r, e, MX_EINVAL, "integer overflow");
			n.i = -n.i;
			n.d = -n.d;
		}
		return mk_num(r, e, &n, out);
	case E_BIN:
		if ((rc = eval(r, e->a, &a)))
			return rc;
		if ((rc = eval(r, e->b, &b)) == 0) {
			rc = binop(r, e, e->op, &a, &b, out);
			vdrop(&b);
		}
		vdrop(&a);
		return rc;
	case E_CONCAT: {
		struct mx_buf s;
		sb_init(r, &s);
		rc = mx_buf_append(&s, "", 0);
		for (size_t i = 0; i < e->nargs && rc == 0; i++) {
			if ((rc = eval(r, e->args[i], &a)) == 0) {
				rc = write_str(&s, &a);
				vdrop(&a);
			}
		}
		return sb_finish(r, e, &s, rc, out);
	}
	case E_AND:
	case E_OR:
		if ((rc = eval(r, e->a, &a)))
			return rc;
		if (truthy(&a) == (e->kind == E_OR)) {
			*out = a;
			return 0;
		}
		vdrop(&a);
		return eval(r, e->b, out);
	case E_COMPARE:
		if ((rc = eval(r, e->a, &a)))
			return rc;
		res = 1;
		for (size_t i = 0; i < e->nargs && res; i++) {
			if ((rc = eval(r, e->args[i], &b)) == 0)
				rc = compare_values(r, e, e->ops[i], &a, &b, &res);
			vdrop(&a);
			a = b;
			if (rc) {
				vdrop(&a);
				return rc;
			}
		}
		vdrop(&a);
		return vset(out, json_boolean(res));
	case E_COND:
		if ((rc = eval(r, e->b, &a)))
			return rc;
		res = truthy(&a);
		vdrop(&a);
		if (res)
			return eval(r, e->a, out);
		if (e->c)
			return eval(r, e->c, out);
		*out = vundef(e, NULL);
		return 0;
	}
	return rerr(r, e, MX_EINTERNAL, "bad expression");
}

/* ------------------------------------------------------------------------
 * String helpers shared by filters and str methods.
 * ---------------------------------------------------------------------- */

enum { CASE_UPPER, CASE_LOWER, CASE_TITLE, CASE_CAPITALIZE, CASE_PYTITLE };

static int str_case(struct render *r, const struct expr *e, const char *s, size_t n, int mode,
                    struct val *out)
{
	struct mx_buf b;
	sb_init(r, &b);
	int rc = mx_buf_append(&b, "", 0), at_start = 1;
	for (size_t i = 0; i < n && rc == 0;) {
		uint32_t c = mx_utf8_next(s, n, &i);
		switch (mode) {
		case CASE_UPPER: c = cp_upper(c); break;
		case CASE_LOWER: c = cp_lower(c); break;
		case CASE_CAPITALIZE: c = at_start ? cp_upper(c) : cp_lower(c); break;
		case CASE_PYTITLE:
			/* str.title(): a word starts after any uncased character */
			c = at_start ? cp_upper(c) : cp_lower(c);
			at_start = (cp_is_upper(c) || cp_is_lower(c)) ? 0 : 2;
			break;
		case CASE_TITLE:
			/* Jinja: words start after whitespace, '-', '(', '{', '[' or '<' */
			if (cp_space(c) || c == '-' || c == '(' || c == '{' || c == '[' || c == '<') {
				at_start = 2;
				break;
			}
			c = at_start ? cp_upper(c) : cp_lower(c);
			break;
		}
		at_start = at_start == 2;
		rc = buf_put_cp(&b, c);
	}
	return sb_finish(r, e, &b, rc, out);
}

static int in_chars(uint32_t c, const char *chars, size_t n)
{
	for (size_t i = 0; i < n;)
		if (mx_utf8_next(chars, n, &i) == c)
			return 1;
	return 0;
}

/* str.strip([chars]) */
static int str_strip(struct render *r, const struct expr *e, const char *s, size_t n, const struct val *chars,
                     int left, int right, struct val *out)
{
	const char *cs = NULL;
	size_t cn = 0;
	int use_chars = chars && given(chars) && chars->j && !json_is_null(chars->j);
	if (use_chars) {
		if (!json_is_string(chars->j))
			return rerr(r, e, MX_EINVAL, "strip arg must be None or str");
		cs = json_string_value(chars->j);
		cn = json_string_length(chars->j);
	}
	size_t start = 0, end = n;
	while (left && start < end) {
		size_t i = start;
		uint32_t c = mx_utf8_next(s, n, &i);
		if (use_chars ? !in_chars(c, cs, cn) : !cp_space(c))
			break;
		start = i;
	}
	while (right && end > start) {
		size_t i = end - 1;
		while (i > start && ((unsigned char)s[i] & 0xC0) == 0x80)
			i--;
		size_t k = i;
		uint32_t c = mx_utf8_next(s, n, &k);
		if (use_chars ? !in_chars(c, cs, cn) : !cp_space(c))
			break;
		end = i;
	}
	return mk_str(r, e, s + start, end - start, out);
}

/* str.replace(old, new[, count]) */
static int str_replace(struct render *r, const struct expr *e, const char *s, size_t n, const char *old,
                       size_t oldn, const char *rep, size_t repn, json_int_t count, struct val *out)
{
	struct mx_buf b;
	sb_init(r, &b);
	int rc = mx_buf_append(&b, "", 0);
	json_int_t done = 0;
	if (oldn == 0) {
		/* "ab".replace("", "-") == "-a-b-" */
		size_t i = 0;
		while (rc == 0) {
			if (count < 0 || done < count) {
				rc = mx_buf_append(&b, rep, repn);
				done++;
			}
			if (i >= n || rc)
				break;
			size_t start = i;
			mx_utf8_next(s, n, &i);
			rc = mx_buf_append(&b, s + start, i - start);
		}
		return sb_finish(r, e, &b, rc, out);
	}
	size_t i = 0;
	while (rc == 0 && i < n) {
		const char *hit = (count < 0 || done < count) ? find_bytes(s + i, n - i, old, oldn) : NULL;
		if (hit == NULL) {
			rc = mx_buf_append(&b, s + i, n - i);
			break;
		}
		size_t at = (size_t)(hit - s);
		rc = mx_buf_append(&b, s + i, at - i);
		if (rc == 0)
			rc = mx_buf_append(&b, rep, repn);
		i = at + oldn;
		done++;
	}
	return sb_finish(r, e, &b, rc, out);
}

/* str.split([sep[, maxsplit]]) */
static int str_split(struct render *r, const struct expr *e, const char *s, size_t n, const struct val *sep,
                     json_int_t maxsplit, struct val *out)
{
	json_t *a = json_array();
	if (a == NULL)
		return MX_ENOMEM;
	int rc = 0;
	json_int_t splits = 0;
	if (sep == NULL || sep->j == NULL || json_is_null(sep->j)) {
		size_t i = 0;
		while (rc == 0) {
			while (i < n) { /* skip whitespace */
				size_t k = i;
				if (!cp_space(mx_utf8_next(s, n, &k)))
					break;
				i = k;
			}
			if (i >= n)
				break;
			size_t start = i;
			if (maxsplit >= 0 && splits >= maxsplit) {
				size_t end = n;
				while (end > start) { /* trailing whitespace goes */
					size_t k = end - 1;
					while (k > start && ((unsigned char)s[k] & 0xC0) == 0x80)
						k--;
					size_t x = k;
					if (!cp_space(mx_utf8_next(s, n, &x)))
						break;
					end = k;
				}
				rc = json_array_append_new(a, json_stringn(s + start, end - start))
				             ? MX_ENOMEM
				             : 0;
				break;
			}
			while (i < n) {
				size_t k = i;
				if (cp_space(mx_utf8_next(s, n, &k)))
					break;
				i = k;
			}
			rc = json_array_append_new(a, json_stringn(s + start, i - start)) ? MX_ENOMEM : 0;
			splits++;
		}
	} else {
		if (!json_is_string(sep->j)) {
			json_decref(a);
			return rerr(r, e, MX_EINVAL, "must be str or None, not %s", vtype(sep));
		}
		const char *d = json_string_value(sep->j);
		size_t dn = json_string_length(sep->j);
		if (dn == 0) {
			json_decref(a);
			return rerr(r, e, MX_EINVAL, "empty separator");
		}
		size_t i = 0;
		for (;;) {
			const char *hit =
			        (maxsplit < 0 || splits < maxsplit) ? find_bytes(s + i, n - i, d, dn) : NULL;
			size_t end = hit ? (size_t)(hit - s) : n;
			if (json_array_append_new(a, json_stringn(s + i, end - i))) {
				rc = MX_ENOMEM;
				break;
			}
			if (hit == NULL)
				break;
			i = end + dn;
			splits++;
		}
	}
	if (rc) {
		json_decref(a);
		return rc;
	}
	return vset(out, a);
}

/* sep.join(items); strict: items must be strings (str.join), else str() each (the filter). */
static int str_join(struct render *r, const struct expr *e, const char *sep, size_t sepn, const json_t *items,
                    const struct val *attribute, int strict, struct val *out)
{
	struct mx_buf b;
	sb_init(r, &b);
	int rc = mx_buf_append(&b, "", 0);
	size_t i;
	json_t *item;
	json_array_foreach (items, i, item) {
		if (rc)
			break;
		if (i)
			rc = mx_buf_append(&b, sep, sepn);
		struct val v = vborrow(item);
		if (attribute && given(attribute) && attribute->j && !json_is_null(attribute->j)) {
			vdrop(&v);
			if ((rc = get_path(item, attribute, &v)))
				break;
		}
		if (strict && !json_is_string(item)) {
			mx_buf_free(&b);
			vdrop(&v);
			return rerr(r, e, MX_EINVAL, "sequence item %zu: expected str instance, %s found", i,
			            mx_pytext_type(item));
		}
		if (rc == 0)
			rc = write_str(&b, &v);
		vdrop(&v);
	}
	return sb_finish(r, e, &b, rc, out);
}

static int need_args(struct render *r, const struct expr *e, const char *name, size_t n, size_t min,
                     size_t max)
{
	if (n < min || n > max) {
		if (min == max)
			return rerr(r, e, MX_EINVAL, "%s() takes %zu argument%s (%zu given)", name, min,
			            min == 1 ? "" : "s", n);
		return rerr(r, e, MX_EINVAL, "%s() takes %zu to %zu arguments (%zu given)", name, min, max,
		            n);
	}
	return 0;
}

static int arg_int(struct render *r, const struct expr *e, const struct val *a, json_int_t def,
                   const char *what, json_int_t *out)
{
	struct num n = {0};
	*out = def;
	if (a == NULL || !given(a) || (a->j && json_is_null(a->j)))
		return 0;
	if (!get_num(a->j, &n) || !n.is_int)
		return rerr(r, e, MX_EINVAL, "%s must be an integer, not %s", what, vtype(a));
	*out = n.i;
	return 0;
}

/* ------------------------------------------------------------------------
 * Methods and globals.
 * ---------------------------------------------------------------------- */

static int str_test_chars(const char *s, size_t n, int (*pred)(uint32_t))
{
	if (n == 0)
		return 0;
	for (size_t i = 0; i < n;)
		if (!pred(mx_utf8_next(s, n, &i)))
			return 0;
	return 1;
}

static int cp_alnum(uint32_t c)
{
	return cp_alpha(c) || cp_digit(c);
}

/* islower()/isupper(): some cased character, and all cased ones in that case. */
static int str_cased(const char *s, size_t n, int want_upper)
{
	int cased = 0;
	for (size_t i = 0; i < n;) {
		uint32_t c = mx_utf8_next(s, n, &i);
		if (cp_is_upper(c)) {
			if (!want_upper)
				return 0;
			cased = 1;
		} else if (cp_is_lower(c)) {
			if (want_upper)
				return 0;
			cased = 1;
		}
	}
	return cased;
}

static int affix_match(const char *s, size_t n, const json_t *p, int suffix)
{
	size_t pn = json_string_length(p);
	if (pn > n)
		return 0;
	return memcmp(suffix ? s + n - pn : s, json_string_value(p), pn) == 0;
}

static int call_str_method(struct render *r, const struct expr *e, const json_t *j, const char *name,
                           struct val *args, size_t n, struct val *out)
{
	const char *s = json_string_value(j);
	size_t len = json_string_length(j);
	int rc;
	static const struct {
		const char *name;
		int mode;
	} cases[] = {{"upper", CASE_UPPER},
	             {"lower", CASE_LOWER},
	             {"title", CASE_PYTITLE},
	             {"capitalize", CASE_CAPITALIZE}};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		if (strcmp(name, cases[i].name) == 0)
			return (rc = need_args(r, e, name, n, 0, 0))
			               ? rc
			               : str_case(r, e, s, len, cases[i].mode, out);
	if (strcmp(name, "strip") == 0 || strcmp(name, "lstrip") == 0 || strcmp(name, "rstrip") == 0) {
		if ((rc = need_args(r, e, name, n, 0, 1)))
			return rc;
		return str_strip(r, e, s, len, n ? &args[0] : NULL, name[0] != 'r', name[0] != 'l', out);
	}
	if (strcmp(name, "startswith") == 0 || strcmp(name, "endswith") == 0) {
		if ((rc = need_args(r, e, name, n, 1, 1)))
			return rc;
		int suffix = name[0] == 'e', res = 0;
		const json_t *p = args[0].j;
		if (p && json_is_string(p)) {
			res = affix_match(s, len, p, suffix);
		} else if (p && json_is_array(p)) {
			size_t i;
			json_t *x;
			json_array_foreach (p, i, x) {
				if (!json_is_string(x))
					return rerr(r, e, MX_EINVAL,
					            "%s first arg must be str or a tuple of str", name);
				res = res || affix_match(s, len, x, suffix);
			}
		} else {
			return rerr(r, e, MX_EINVAL, "%s first arg must be str or a tuple of str, not %s",
			            name, vtype(&args[0]));
		}
		return vset(out, json_boolean(res));
	}
	if (strcmp(name, "split") == 0) {
		json_int_t maxsplit;
		if ((rc = need_args(r, e, name, n, 0, 2)) ||
		    (rc = arg_int(r, e, n > 1 ? &args[1] : NULL, -1, "maxsplit", &maxsplit)))
			return rc;
		return str_split(r, e, s, len, n ? &args[0] : NULL, maxsplit, out);
	}
	if (strcmp(name, "replace") == 0) {
		json_int_t count;
		if ((rc = need_args(r, e, name, n, 2, 3)) ||
		    (rc = arg_int(r, e, n > 2 ? &args[2] : NULL, -1, "count", &count)))
			return rc;
		if (!args[0].j || !json_is_string(args[0].j) || !args[1].j || !json_is_string(args[1].j))
			return rerr(r, e, MX_EINVAL, "replace() arguments must be str");
		return str_replace(r, e, s, len, json_string_value(args[0].j), json_string_length(args[0].j),
		                   json_string_value(args[1].j), json_string_length(args[1].j), count, out);
	}
	if (strcmp(name, "join") == 0) {
		json_t *items;
		if ((rc = need_args(r, e, name, n, 1, 1)) || (rc = to_list(r, e, &args[0], &items)))
			return rc;
		rc = str_join(r, e, s, len, items, NULL, 1, out);
		json_decref(items);
		return rc;
	}
	if (strcmp(name, "count") == 0 || strcmp(name, "find") == 0) {
		if ((rc = need_args(r, e, name, n, 1, 1)))
			return rc;
		if (!args[0].j || !json_is_string(args[0].j))
			return rerr(r, e, MX_EINVAL, "must be str, not %s", vtype(&args[0]));
		const char *sub = json_string_value(args[0].j);
		size_t subn = json_string_length(args[0].j);
		if (name[0] == 'f') {
			const char *hit = find_bytes(s, len, sub, subn);
			return vset(out,
			            json_integer(hit ? (json_int_t)mx_utf8_count(s, (size_t)(hit - s)) : -1));
		}
		json_int_t count = 0;
		if (subn == 0)
			count = (json_int_t)mx_utf8_count(s, len) + 1;
		else
			for (const char *p = s; (p = find_bytes(p, len - (size_t)(p - s), sub, subn));
			     p += subn)
				count++;
		return vset(out, json_integer(count));
	}
	static const struct {
		const char *name;
		int (*pred)(uint32_t);
	} preds[] = {
	        {"isdigit", cp_digit}, {"isalpha", cp_alpha}, {"isalnum", cp_alnum}, {"isspace", cp_space}};
	for (size_t i = 0; i < sizeof preds / sizeof preds[0]; i++)
		if (strcmp(name, preds[i].name) == 0)
			return (rc = need_args(r, e, name, n, 0, 0))
			               ? rc
			               : vset(out, json_boolean(str_test_chars(s, len, preds[i].pred)));
	if (strcmp(name, "islower") == 0 || strcmp(name, "isupper") == 0)
		return (rc = need_args(r, e, name, n, 0, 0))
		               ? rc
		               : vset(out, json_boolean(str_cased(s, len, name[2] == 'u')));
	return rerr(r, e, MX_EINVAL, "'str object' has no attribute '%s'", name);
}

static int call_method(struct render *r, const struct expr *e, const struct val *obj, const char *name,
                       struct val *args, size_t n, struct val *out)
{
	const json_t *j = obj->j;
	int rc;
	if ((obj->flags & VAL_LOOP) && strcmp(name, "cycle") == 0) {
		if (n == 0)
			return rerr(r, e, MX_EINVAL, "no items for cycling given");
		json_int_t i = json_integer_value(json_object_get(j, "index0"));
		*out = vcopy(&args[(size_t)i % n]);
		return 0;
	}
	if (json_is_object(j)) {
		if (strcmp(name, "items") == 0 || strcmp(name, "keys") == 0 || strcmp(name, "values") == 0) {
			if ((rc = need_args(r, e, name, n, 0, 0)))
				return rc;
			json_t *a = json_array();
			const char *k;
			size_t klen;
			json_t *v;
			if (a == NULL)
				return MX_ENOMEM;
			json_object_keylen_foreach((json_t *)j, k, klen, v)
			{
				json_t *item = name[0] == 'k'   ? json_stringn(k, klen)
				               : name[0] == 'v' ? json_incref(v)
				                                : json_pack("[s%O]", k, klen, v);
				if (json_array_append_new(a, item)) {
					json_decref(a);
					return MX_ENOMEM;
				}
			}
			return vset(out, a);
		}
		if (strcmp(name, "get") == 0) {
			if ((rc = need_args(r, e, name, n, 1, 2)))
				return rc;
			json_t *v = args[0].j && json_is_string(args[0].j)
			                    ? json_object_getn(j, json_string_value(args[0].j),
			                                       json_string_length(args[0].j))
			                    : NULL;
			if (v)
				*out = vborrow(v);
			else if (n > 1)
				*out = vcopy(&args[1]);
			else
				return vset(out, json_null());
			return 0;
		}
	} else if (json_is_string(j)) {
		return call_str_method(r, e, j, name, args, n, out);
	} else if (json_is_array(j)) {
		if (strcmp(name, "count") == 0 || strcmp(name, "index") == 0) {
			if ((rc = need_args(r, e, name, n, 1, 1)))
				return rc;
			json_int_t count = 0;
			size_t i;
			json_t *x;
			json_array_foreach (j, i, x) {
				if (args[0].j == NULL || !py_eq(x, args[0].j, 0))
					continue;
				if (name[0] == 'i')
					return vset(out, json_integer((json_int_t)i));
				count++;
			}
			if (name[0] == 'i')
				return rerr(r, e, MX_EINVAL, "value is not in list");
			return vset(out, json_integer(count));
		}
	}
	return rerr(r, e, MX_EINVAL, "'%s object' has no attribute '%s'", mx_pytext_type(j), name);
}

static int call_global(struct render *r, const struct expr *e, const char *name, struct val *args,
                       size_t nargs, struct val *kwargs, struct val *out)
{
	if (strcmp(name, "dict") == 0) {
		if (nargs)
			return rerr(r, e, MX_EINVAL, "dict() takes keyword arguments only");
		json_t *d = json_object();
		if (d == NULL)
			return MX_ENOMEM;
		for (size_t i = 0; i < e->nvals; i++)
			if (json_object_set_new(d, e->kwnames[i],
			                        kwargs[i].j ? json_incref(kwargs[i].j) : json_null())) {
				json_decref(d);
				return MX_ENOMEM;
			}
		return vset(out, d);
	}
	/* range */
	int rc;
	if (e->nvals)
		return rerr(r, e, MX_EINVAL, "range() takes no keyword arguments");
	if ((rc = need_args(r, e, "range", nargs, 1, 3)))
		return rc;
	json_int_t v[3] = {0, 0, 1};
	for (size_t i = 0; i < nargs; i++) {
		struct num n = {0};
		if (!get_num(args[i].j, &n) || !n.is_int)
			return rerr(r, e, MX_EINVAL, "range() arguments must be integers, not %s",
			            vtype(&args[i]));
		v[nargs == 1 ? 1 : i] = n.i;
	}
	json_int_t start = v[0], stop = v[1], step = v[2];
	if (step == 0)
		return rerr(r, e, MX_EINVAL, "range() arg 3 must not be zero");
	unsigned long long count = 0;
	if (step > 0 && stop > start)
		count = ((unsigned long long)stop - (unsigned long long)start - 1) /
		                (unsigned long long)step +
		        1;
	else if (step < 0 && start > stop)
		count = ((unsigned long long)start - (unsigned long long)stop - 1) /
		                (0ULL - (unsigned long long)step) +
		        1;
	if (count > MX_TEMPLATE_MAX_ITEMS)
		return rerr(r, e, MX_ELIMIT, "range() too large (limit %d items)", MX_TEMPLATE_MAX_ITEMS);
	json_t *a = json_array();
	if (a == NULL)
		return MX_ENOMEM;
	for (unsigned long long i = 0; i < count; i++)
		if (json_array_append_new(a, json_integer(start + (json_int_t)i * step))) {
			json_decref(a);
			return MX_ENOMEM;
		}
	return vset(out, a);
}

/* ------------------------------------------------------------------------
 * Filters. A filter replaces *v with its result; args holds the bound
 * parameters (VAL_MISSING where not passed).
 * ---------------------------------------------------------------------- */

static void vreplace(struct val *v, struct val nv)
{
	vdrop(v);
	*v = nv;
}

static int replace_str(struct render *r, const struct expr *e, struct val *v, int rc, struct mx_buf *b)
{
	struct val nv;
	if ((rc = sb_finish(r, e, b, rc, &nv)))
		return rc;
	vreplace(v, nv);
	return 0;
}

static int f_default(struct render *r, const struct expr *e, struct val *v, struct val *args, size_t n)
{
	(void)n;
	if (v->j && !(given(&args[1]) && truthy(&args[1]) && !truthy(v)))
		return 0;
	if (given(&args[0])) {
		vreplace(v, vcopy(&args[0]));
		return 0;
	}
	struct val nv;
	int rc = mk_str(r, e, "", 0, &nv);
	if (rc == 0)
		vreplace(v, nv);
	return rc;
}

static int f_join(struct render *r, const struct expr *e, struct val *v, struct val *args, size_t n)
{
	(void)n;
	struct mx_buf sep;
	json_t *items;
	int rc;
	if ((rc = to_list(r, e, v, &items)))
		return rc;
	if (given(&args[0])) {
		rc = soft_str(r, e, &args[0], &sep);
	} else {
		mx_buf_init(&sep, 1);
		rc = mx_buf_append(&sep, "", 0);
	}
	struct val nv;
	if (rc == 0) {
		rc = str_join(r, e, sep.p, sep.len, items, &args[1], 0, &nv);
		mx_buf_free(&sep);
	}
	json_decref(items);
	if (rc == 0)
		vreplace(v, nv);
	return rc;
}

static int f_length(struct render *r, const struct expr *e, struct val *v, struct val *args, size_t n)
{
	(void)args, (void)n;
	json_int_t len = 0;
	const json_t *j = v->j;
	if (j == NULL)
		len = 0;
	else if (json_is_string(j))
		len = (json_int_t)mx_utf8_count(json_string_value(j), json_string_length(j));
	else if (json_is_array(j))
		len = (json_int_t)json_array_size(j);
	else if (json_is_object(j))
		len = (json_int_t)json_object_size(j);
	else
		return rerr(r, e, MX_EINVAL, "object of type '%s' has no len()", vtype(v));
	struct val nv;
	int rc = vset(&nv, json_integer(len));
	if (rc == 0)
		vreplace(v, nv);
	return rc;
}

static int f_case(struct render *r, const struct expr *e, struct val *v, int mode)
{
	struct mx_buf s;
	struct val nv;
	int rc = soft_str(r, e, v, &s);
	if (rc)
		return rc;
	rc = str_case(r, e, s.p, s.len, mode, &nv);
	mx_buf_free(&s);
	if (rc == 0)
		vreplace(v, nv);
	return rc;
}

static int f_upper(struct render *r, const struct expr *e, struct val *v, struct val *args, size_t n)
{
	(void)args, (void)n;
	return f_case(r, e, v, CASE_UPPER);
}

static int f_lower(struct render *r, const struct expr *e, struct val *v, struct val *args, size_t n)
{
	(void)args, (void)n;
	return f_case(r, e, v, CASE_LOWER);
}

static int f_title(struct render *r, const struct expr *e, struct val *v, struct val *args, size_t n)
{
	(void)args, (void)n;
	return f_case(r, e, v, CASE_TITLE);
}

static int f_capitalize(struct render *r, const struct expr *e, struct val *v, struct val *args, size_t n)
{
	(void)args, (void)n;
	return f_case(r, e, v, CASE_CAPITALIZE);
}

static int f_trim(struct render *r, const struct expr *e, struct val *v, struct val *args, size_t n)
{
	(void)n;
	struct mx_buf s;
	struct val nv;
	int rc = soft_str(r, e, v, &s);
	if (rc)
		return rc;
	rc = str_strip(r, e, s.p, s.len, &args[0], 1, 1, &nv);
	mx_buf_free(&s);
	if (rc == 0)
		vreplace(v, nv);
	return rc;
}

static int f_replace(struct render *r, const struct expr *e, struct val *v, struct val *args, size_t n)
{
	(void)n;
	struct mx_buf s, old, rep;
	json_int_t count;
	struct val nv;
	int rc = arg_int(r, e, &args[2], -1, "count", &count);
	if (rc || (rc = soft_str(r, e, v, &s)))
		return rc;
	if ((rc = soft_str(r, e, &args[0], &old))) {
		mx_buf_free(&s);
		return rc;
	}
	if ((rc = soft_str(r, e, &args[1], &rep)) == 0) {
		rc = str_replace(r, e, s.p, s.len, old.p, old.len, rep.p, rep.len, count, &nv);
		mx_buf_free(&rep);
	}
	mx_buf_free(&old);
	mx_buf_free(&s);
	if (rc == 0)
		vreplace(v, nv);
	return rc;
}

static int first_last(struct render *r, const struct expr *e, struct val *v, int last)
{
	const json_t *j = v->j;
	struct val nv = vundef(NULL, NULL);
	if (j == NULL)
		return 0;
	if (json_is_string(j)) {
		const char *s = json_string_value(j);
		size_t len = json_string_length(j), start = 0, end = 0;
		if (len) {
			if (last) {
				start = len - 1;
				while (start > 0 && ((unsigned char)s[start] & 0xC0) == 0x80)
					start--;
			}
			end = start;
			mx_utf8_next(s, len, &end);
			int rc = mk_str(r, e, s + start, end - start, &nv);
			if (rc)
				return rc;
		}
	} else if (json_is_array(j)) {
		size_t len = json_array_size(j);
		if (len)
			nv = vborrow(json_array_get(j, last ? len - 1 : 0));
	} else if (json_is_object(j)) {
		const char *k = NULL;
		size_t klen = 0, i = 0, size = json_object_size(j);
		json_t *x;
		const char *key;
		size_t keylen;
		json_object_keylen_foreach((json_t *)j, key, keylen, x)
		{
			if (i++ == (last ? size - 1 : 0)) {
				k = key;
				klen = keylen;
				break;
			}
		}
		if (k) {
			int rc = mk_str(r, e, k, klen, &nv);
			if (rc)
				return rc;
		}
	} else {
		return rerr(r, e, MX_EINVAL, "'%s' object is not iterable", vtype(v));
	}
	vreplace(v, nv);
	return 0;
}

static int f_first(struct render *r, const struct expr *e, struct val *v, struct val *args, size_t n)
{
	(void)args, (void)n;
	return first_last(r, e, v, 0);
}

static int f_last(struct render *r, const struct expr *e, struct val *v, struct val *args, size_t n)
{
	(void)args, (void)n;
	return first_last(r, e, v, 1);
}

/* The sort key of an item: its attribute, lower-cased unless case-sensitive. */
static int sort_key(const json_t *item, const struct val *attribute, int case_sensitive, json_t **out)
{
	struct val k = vborrow((json_t *)item);
	if (attribute && given(attribute) && attribute->j && !json_is_null(attribute->j)) {
		vdrop(&k);
		int rc = get_path(item, attribute, &k);
		if (rc)
			return rc;
		if (k.j == NULL)
			k.j = json_null();
	}
	if (!case_sensitive && json_is_string(k.j)) {
		const char *s = json_string_value(k.j);
		size_t n = json_string_length(k.j);
		char *low = mx_malloc(n * 2 + 1);
		if (low == NULL) {
			vdrop(&k);
			return MX_ENOMEM;
		}
		size_t o = 0;
		for (size_t i = 0; i < n;)
			o += mx_utf8_put(low + o, cp_lower(mx_utf8_next(s, n, &i)));
		vdrop(&k);
		k.j = json_stringn(low, o);
		mx_free(low);
		if (k.j == NULL)
			return MX_ENOMEM;
	}
	*out = k.j;
	return 0;
}

static int key_less(json_t *const *keys, size_t a, size_t b, int reverse, int *failed)
{
	int lt = 0;
	if (json_is_null(keys[a]) && json_is_null(keys[b]))
		return 0; /* items without the sort attribute: equal, like Jinja's Undefined */
	if (py_lt(reverse ? keys[b] : keys[a], reverse ? keys[a] : keys[b], &lt, 0))
		*failed = 1;
	return lt;
}

/* Stable merge sort of idx[0..n) by keys (Python's sorted()). */
static void merge_sort(size_t *idx, size_t *tmp, size_t n, json_t *const *keys, int reverse, int *failed)
{
	if (n < 2 || *failed)
		return;
	size_t h = n / 2;
	merge_sort(idx, tmp, h, keys, reverse, failed);
	merge_sort(idx + h, tmp, n - h, keys, reverse, failed);
	size_t i = 0, j = h, k = 0;
	while (i < h && j < n)
		tmp[k++] = key_less(keys, idx[j], idx[i], reverse, failed) ? idx[j++] : idx[i++];
	while (i < h)
		tmp[k++] = idx[i++];
	while (j < n)
		tmp[k++] = idx[j++];
	memcpy(idx, tmp, n * sizeof *idx);
}

static void free_keys(json_t **keys, size_t n)
{
	if (keys == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		json_decref(keys[i]);
	mx_free(keys);
}

static int make_keys(json_t *items, const struct val *attribute, int case_sensitive, json_t ***out)
{
	size_t n = json_array_size(items);
	json_t **keys = mx_calloc(n ? n : 1, sizeof *keys);
	if (keys == NULL)
		return MX_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		int rc = sort_key(json_array_get(items, i), attribute, case_sensitive, &keys[i]);
		if (rc) {
			free_keys(keys, n);
			return rc;
		}
	}
	*out = keys;
	return 0;
}

/* Sort items (a JSON array) by keys into a new array in *out. */
static int sorted_by(struct render *r, const struct expr *e, json_t *items, json_t **keys, int reverse,
                     json_t **out)
{
	size_t n = json_array_size(items);
	size_t *idx = mx_malloc((n ? n : 1) * sizeof *idx), *tmp = mx_malloc((n ? n : 1) * sizeof *tmp);
	int failed = 0, rc = 0;
	json_t *a = json_array();
	if (idx == NULL || tmp == NULL || a == NULL) {
		rc = MX_ENOMEM;
		goto done;
	}
	for (size_t i = 0; i < n; i++)
		idx[i] = i;
	merge_sort(idx, tmp, n, keys, reverse, &failed);
	if (failed) {
		rc = rerr(r, e, MX_EINVAL, "'<' not supported between the items being sorted");
		goto done;
	}
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = json_array_append(a, json_array_get(items, idx[i])) ? MX_ENOMEM : 0;
done:
	mx_free(idx);
	mx_free(tmp);
	if (rc)
		json_decref(a);
	else
		*out = a;
	return rc;
}

static int f_sort(struct render *r, const struct expr *e, struct val *v, struct val *args, size_t n)
{
	(void)n;
	json_t *items, **keys, *sorted;
	int rc = to_list(r, e, v, &items);
	if (rc)
		return rc;
	if ((rc = make_keys(items, &args[2], truthy(&args[1]), &keys)) == 0) {
		rc = sorted_by(r, e, items, keys, truthy(&args[0]), &sorted);
		free_keys(keys, json_array_size(items));
	}
	json_decref(items);
	if (rc == 0)
		vreplace(v, vborrow(sorted)), json_decref(sorted);
	return rc;
}

/* A hash key like Python's: 1 == 1.0 == True; lists and dicts are unhashable. */
static int hash_key(const json_t *k, struct mx_buf *b)
{
	struct num n = {0};
	mx_buf_reset(b);
	if (json_is_string(k))
		return mx_buf_putc(b, 's') ? MX_ENOMEM
		                           : mx_buf_append(b, json_string_value(k), json_string_length(k));
	if (json_is_null(k))
		return mx_buf_putc(b, 'z');
	if (get_num(k, &n)) {
		if (!n.is_int && n.d == floor(n.d) && fabs(n.d) < 9e18)
			return mx_buf_printf(b, "n%lld", (long long)n.d);
		if (n.is_int)
			return mx_buf_printf(b, "n%" JSON_INTEGER_FORMAT, n.i);
		return mx_buf_printf(b, "f%.17g", n.d);
	}
	return MX_EINVAL;
}

static int f_unique(struct render *r, const struct expr *e, struct val *v, struct val *args, size_t n)
{
	(void)n;
	json_t *items, **keys, *seen = json_object(), *out = json_array();
	struct mx_buf hk;
	mx_buf_init(&hk, MX_BUF_UNBOUNDED);
	int rc = seen && out ? to_list(r, e, v, &items) : MX_ENOMEM;
	if (rc)
		goto fail_early;
	if ((rc = make_keys(items, &args[1], truthy(&args[0]), &keys)) == 0) {
		for (size_t i = 0; i < json_array_size(items) && rc == 0; i++) {
			if ((rc = hash_key(keys[i], &hk)) == MX_EINVAL) {
				rc = rerr(r, e, MX_EINVAL, "unhashable type: '%s'", mx_pytext_type(keys[i]));
				break;
			}
			if (rc || json_object_getn(seen, hk.p, hk.len))
				continue;
			if (json_object_setn_new_nocheck(seen, hk.p, hk.len, json_true()) ||
			    json_array_append(out, json_array_get(items, i)))
				rc = MX_ENOMEM;
		}
		free_keys(keys, json_array_size(items));
	}
	json_decref(items);
	if (rc == 0) {
		vreplace(v, vborrow(out));
	}
fail_early:
	mx_buf_free(&hk);
	json_decref(seen);
	json_decref(out);
	return rc;
}

static int f_reverse(struct render *r, const struct expr *e, struct val *v, struct val *args, size_t n)
{
	(void)args, (void)n;
	if (v->j && json_is_string(v->j)) {
		const char *s = json_string_value(v->j);
		size_t len = json_string_length(v->j), end = len;
		struct mx_buf b;
		sb_init(r, &b);
		int rc = mx_buf_append(&b, "", 0);
		while (end > 0 && rc == 0) {
			size_t start = end - 1;
			while (start > 0 && ((unsigned char)s[start] & 0xC0) == 0x80)
				start--;
			rc = mx_buf_append(&b, s + start, end - start);
			end = start;
		}
		return replace_str(r, e, v, rc, &b);
	}
	json_t *items, *a;
	int rc = to_list(r, e, v, &items);
	if (rc)
		return rc;
	if ((a = json_array()) == NULL)
		rc = MX_ENOMEM;
	for (size_t i = json_array_size(items); i > 0 && rc == 0; i--)
		rc = json_array_append(a, json_array_get(items, i - 1)) ? MX_ENOMEM : 0;
	json_decref(items);
	if (rc) {
		json_decref(a);
		return rc;
	}
	vreplace(v, vborrow(a));
	json_decref(a);
	return 0;
}

static int f_round(struct render *r, const struct expr *e, struct val *v, struct val *args, size_t n)
{
	(void)n;
	json_int_t prec;
	struct num x = {0};
	int rc = arg_int(r, e, &args[0], 0, "precision", &prec);
	if (rc)
		return rc;
	const char *method = "common";
	if (given(&args[1])) {
		if (!args[1].j || !json_is_string(args[1].j))
			return rerr(r, e, MX_EINVAL, "method must be common, ceil or floor");
		method = json_string_value(args[1].j);
	}
	if (strcmp(method, "common") && strcmp(method, "ceil") && strcmp(method, "floor"))
		return rerr(r, e, MX_EINVAL, "method must be common, ceil or floor");
	if (v->j == NULL)
		return undef_err(r, e, v);
	if (!get_num(v->j, &x))
		return rerr(r, e, MX_EINVAL, "type %s doesn't define __round__ method", vtype(v));
	struct val nv;
	if (strcmp(method, "common") != 0) {
		double p = pow(10.0, (double)prec), d = x.d * p;
		d = method[0] == 'c' ? ceil(d) : floor(d);
		rc = mk_real(r, e, d / p, &nv);
	} else if (x.is_int) {
		/* round(int, ndigits) stays an int; negative ndigits round half to even */
		json_int_t res = x.i;
		if (prec < 0) {
			json_int_t p = 1;
			for (json_int_t i = 0; i < -prec && p <= LLONG_MAX / 10; i++)
				p *= 10;
			if (-prec > 18) {
				res = 0;
			} else {
				json_int_t q = x.i / p, rem = x.i % p;
				if (rem < 0)
					rem += p, q--;
				if (rem * 2 > p || (rem * 2 == p && (q & 1)))
					q++;
				if (__builtin_mul_overflow(q, p, &res))
					return rerr(r, e, MX_EINVAL, "integer overflow");
			}
		}
		rc = vset(&nv, json_integer(res));
	} else if (prec >= 0) {
		char buf[512];
		snprintf(buf, sizeof buf, "%.*f", (int)(prec > 60 ? 60 : prec), x.d);
		rc = mk_real(r, e, strtod(buf, NULL), &nv);
	} else {
		double p = pow(10.0, (double)-prec);
		rc = mk_real(r, e, nearbyint(x.d / p) * p, &nv);
	}
	if (rc == 0)
		vreplace(v, nv);
	return rc;
}

static int f_int(struct render *r, const struct expr *e, struct val *v, struct val *args, size_t n)
{
	(void)n;
	json_int_t base, res = 0;
	int rc = arg_int(r, e, &args[1], 10, "base", &base), ok = 0;
	if (rc)
		return rc;
	if (v->j == NULL)
		return undef_err(r, e, v);
	struct num x = {0};
	const json_t *j = v->j;
	double d = 0;
	int have_d = 0;
	if (j && json_is_string(j)) {
		int64_t parsed = 0;
		int pr = (base >= 2 && base <= 36) || base == 0
		                 ? mx_pytext_parse_int(json_string_value(j), json_string_length(j), (int)base,
		                                       &parsed)
		                 : MX_EINVAL;
		if (pr == 0)
			res = parsed, ok = 1;
		else if (pr == MX_ELIMIT)
			return rerr(r, e, MX_EINVAL, "integer overflow");
		else if ((pr = mx_pytext_parse_float(json_string_value(j), json_string_length(j), &d)) == 0)
			have_d = 1;
		else if (pr == MX_ENOMEM)
			return MX_ENOMEM;
	} else if (get_num(j, &x)) {
		if (x.is_int)
			res = x.i, ok = 1;
		else
			d = x.d, have_d = 1;
	}
	if (have_d && !isnan(d)) {
		if (isinf(d) || fabs(d) >= 9.2233720368547758e18)
			return rerr(r, e, MX_EINVAL, "cannot convert float %s to integer",
			            isinf(d) ? "infinity" : "value");
		res = (json_int_t)trunc(d);
		ok = 1;
	}
	struct val nv;
	if (ok) {
		if ((rc = vset(&nv, json_integer(res))))
			return rc;
	} else if (given(&args[0])) {
		nv = vcopy(&args[0]);
	} else if ((rc = vset(&nv, json_integer(0)))) {
		return rc;
	}
	vreplace(v, nv);
	return 0;
}

static int f_float(struct render *r, const struct expr *e, struct val *v, struct val *args, size_t n)
{
	(void)n;
	struct num x = {0};
	double d = 0;
	int ok = 0, rc;
	const json_t *j = v->j;
	if (j == NULL)
		return undef_err(r, e, v);
	if (json_is_string(j)) {
		if ((rc = mx_pytext_parse_float(json_string_value(j), json_string_length(j), &d)) ==
		    MX_ENOMEM)
			return rc;
		ok = rc == 0;
	} else if (get_num(j, &x)) {
		d = x.d, ok = 1;
	}
	struct val nv;
	if (ok)
		rc = mk_real(r, e, d, &nv);
	else if (given(&args[0]))
		nv = vcopy(&args[0]), rc = 0;
	else
		rc = vset(&nv, json_real(0.0));
	if (rc == 0)
		vreplace(v, nv);
	return rc;
}

static int f_string(struct render *r, const struct expr *e, struct val *v, struct val *args, size_t n)
{
	(void)args, (void)n;
	if (v->j && json_is_string(v->j))
		return 0;
	struct mx_buf s;
	int rc = soft_str(r, e, v, &s);
	return rc ? rc : replace_str(r, e, v, 0, &s);
}

static int f_list(struct render *r, const struct expr *e, struct val *v, struct val *args, size_t n)
{
	(void)args, (void)n;
	json_t *items;
	int rc = to_list(r, e, v, &items);
	if (rc)
		return rc;
	json_t *copy = json_copy(items);
	json_decref(items);
	if (copy == NULL)
		return MX_ENOMEM;
	vreplace(v, vborrow(copy));
	json_decref(copy);
	return 0;
}

/* ---- tojson: Python's json.dumps(sort_keys=True) made HTML-safe, as Jinja's htmlsafe_json_dumps ---- */

static int json_py_string(struct mx_buf *b, const char *s, size_t n)
{
	int rc = mx_buf_putc(b, '"');
	for (size_t i = 0; i < n && rc == 0;) {
		uint32_t c = mx_utf8_next(s, n, &i);
		switch (c) {
		case '"': rc = mx_buf_puts(b, "\\\""); break;
		case '\\': rc = mx_buf_puts(b, "\\\\"); break;
		case '\n': rc = mx_buf_puts(b, "\\n"); break;
		case '\r': rc = mx_buf_puts(b, "\\r"); break;
		case '\t': rc = mx_buf_puts(b, "\\t"); break;
		case '\b': rc = mx_buf_puts(b, "\\b"); break;
		case '\f': rc = mx_buf_puts(b, "\\f"); break;
		case '<':
		case '>':
		case '&':
		case '\'': rc = mx_buf_printf(b, "\\u%04x", (unsigned)c); break;
		default:
			if (c >= 0x20 && c < 0x7F)
				rc = mx_buf_putc(b, (char)c);
			else if (c < 0x10000)
				rc = mx_buf_printf(b, "\\u%04x", (unsigned)c);
			else
				rc = mx_buf_printf(b, "\\u%04x\\u%04x",
				                   (unsigned)(0xD800 + ((c - 0x10000) >> 10)),
				                   (unsigned)(0xDC00 + ((c - 0x10000) & 0x3FF)));
		}
	}
	return rc ? rc : mx_buf_putc(b, '"');
}

struct keyref {
	const char *k;
	size_t n;
	json_t *v;
};

static int cmp_keyref(const void *a, const void *b)
{
	const struct keyref *x = a, *y = b;
	int c = memcmp(x->k, y->k, x->n < y->n ? x->n : y->n);
	return c ? c : (x->n > y->n) - (x->n < y->n);
}

static int json_py_newline(struct mx_buf *b, const struct mx_buf *indent, int level)
{
	int rc = mx_buf_putc(b, '\n');
	for (int i = 0; i < level && rc == 0; i++)
		rc = mx_buf_append(b, indent->p, indent->len);
	return rc;
}

static int json_py_dump(struct mx_buf *b, const json_t *j, const struct mx_buf *indent, int level)
{
	if (level > MAX_VALUE_DEPTH)
		return MX_ELIMIT;
	const char *item_sep = indent ? "," : ", ";
	int rc = 0;
	switch (json_typeof(j)) {
	case JSON_NULL: return mx_buf_puts(b, "null");
	case JSON_TRUE: return mx_buf_puts(b, "true");
	case JSON_FALSE: return mx_buf_puts(b, "false");
	case JSON_INTEGER: return mx_buf_printf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(j));
	case JSON_REAL: return mx_pytext_put_float(b, json_real_value(j));
	case JSON_STRING: return json_py_string(b, json_string_value(j), json_string_length(j));
	case JSON_ARRAY: {
		size_t n = json_array_size(j);
		if (n == 0)
			return mx_buf_puts(b, "[]");
		rc = mx_buf_putc(b, '[');
		for (size_t i = 0; i < n && rc == 0; i++) {
			if (i)
				rc = mx_buf_puts(b, item_sep);
			if (rc == 0 && indent)
				rc = json_py_newline(b, indent, level + 1);
			if (rc == 0)
				rc = json_py_dump(b, json_array_get(j, i), indent, level + 1);
		}
		if (rc == 0 && indent)
			rc = json_py_newline(b, indent, level);
		return rc ? rc : mx_buf_putc(b, ']');
	}
	case JSON_OBJECT: {
		size_t n = json_object_size(j), i = 0;
		if (n == 0)
			return mx_buf_puts(b, "{}");
		struct keyref *keys = mx_malloc(n * sizeof *keys);
		if (keys == NULL)
			return MX_ENOMEM;
		const char *k;
		size_t klen;
		json_t *v;
		json_object_keylen_foreach((json_t *)j, k, klen, v)
		{
			keys[i].k = k;
			keys[i].n = klen;
			keys[i].v = v;
			i++;
		}
		qsort(keys, n, sizeof *keys, cmp_keyref);
		rc = mx_buf_putc(b, '{');
		for (i = 0; i < n && rc == 0; i++) {
			if (i)
				rc = mx_buf_puts(b, item_sep);
			if (rc == 0 && indent)
				rc = json_py_newline(b, indent, level + 1);
			if (rc == 0)
				rc = json_py_string(b, keys[i].k, keys[i].n);
			if (rc == 0)
				rc = mx_buf_puts(b, ": ");
			if (rc == 0)
				rc = json_py_dump(b, keys[i].v, indent, level + 1);
		}
		mx_free(keys);
		if (rc == 0 && indent)
			rc = json_py_newline(b, indent, level);
		return rc ? rc : mx_buf_putc(b, '}');
	}
	}
	return rc;
}

static int f_tojson(struct render *r, const struct expr *e, struct val *v, struct val *args, size_t n)
{
	(void)n;
	if (v->j == NULL)
		return rerr(r, e, MX_EINVAL, "Object of type Undefined is not JSON serializable");
	struct mx_buf indent, b;
	int has_indent = given(&args[0]) && args[0].j && !json_is_null(args[0].j), rc = 0;
	mx_buf_init(&indent, 4096);
	if (has_indent) {
		struct num x = {0};
		if (json_is_string(args[0].j))
			rc = mx_buf_append(&indent, json_string_value(args[0].j),
			                   json_string_length(args[0].j));
		else if (get_num(args[0].j, &x) && x.is_int)
			for (json_int_t i = 0; i < x.i && rc == 0; i++)
				rc = mx_buf_putc(&indent, ' ');
		else
			rc = rerr(r, e, MX_EINVAL, "indent must be an integer or a string");
		if (rc == 0)
			rc = mx_buf_append(&indent, "", 0);
	}
	if (rc) {
		mx_buf_free(&indent);
		return rc;
	}
	sb_init(r, &b);
	rc = json_py_dump(&b, v->j, has_indent ? &indent : NULL, 0);
	mx_buf_free(&indent);
	return replace_str(r, e, v, rc, &b);
}

static int f_abs(struct render *r, const struct expr *e, struct val *v, struct val *args, size_t n)
{
	(void)args, (void)n;
	struct num x = {0};
	if (v->j == NULL)
		return undef_err(r, e, v);
	if (!get_num(v->j, &x))
		return rerr(r, e, MX_EINVAL, "bad operand type for abs(): '%s'", vtype(v));
	if (x.is_int && x.i == LLONG_MIN)
		return rerr(r, e, MX_EINVAL, "integer overflow");
	x.i = x.i < 0 ? -x.i : x.i;
	x.d = fabs(x.d);
	struct val nv;
	int rc = mk_num(r, e, &x, &nv);
	if (rc == 0)
		vreplace(v, nv);
	return rc;
}

static int f_truncate(struct render *r, const struct expr *e, struct val *v, struct val *args, size_t n)
{
	(void)n;
	json_int_t length, leeway;
	int rc;
	if ((rc = arg_int(r, e, &args[0], 255, "length", &length)) ||
	    (rc = arg_int(r, e, &args[3], 5, "leeway", &leeway)))
		return rc;
	struct mx_buf s, end;
	if ((rc = soft_str(r, e, v, &s)))
		return rc;
	if (given(&args[2])) {
		rc = soft_str(r, e, &args[2], &end);
	} else {
		mx_buf_init(&end, 16);
		rc = mx_buf_puts(&end, "...");
	}
	if (rc) {
		mx_buf_free(&s);
		return rc;
	}
	json_int_t endlen = (json_int_t)mx_utf8_count(end.p, end.len),
	           slen = (json_int_t)mx_utf8_count(s.p, s.len);
	if (length < endlen) {
		rc = rerr(r, e, MX_EINVAL,
		          "expected length >= %" JSON_INTEGER_FORMAT ", got %" JSON_INTEGER_FORMAT, endlen,
		          length);
	} else if (leeway < 0) {
		rc = rerr(r, e, MX_EINVAL, "expected leeway >= 0, got %" JSON_INTEGER_FORMAT, leeway);
	} else if (slen > length + leeway) {
		size_t cut = mx_utf8_offset(s.p, s.len, (size_t)(length - endlen));
		if (!truthy(&args[1])) {
			/* s[:length - len(end)].rsplit(" ", 1)[0] */
			size_t k = cut;
			while (k > 0 && s.p[k - 1] != ' ')
				k--;
			if (k > 0)
				cut = k - 1;
		}
		s.len = cut;
		rc = mx_buf_append(&s, end.p, end.len);
	}
	mx_buf_free(&end);
	if (rc) {
		mx_buf_free(&s);
		return rc;
	}
	return replace_str(r, e, v, 0, &s);
}

static int f_safe(struct render *r, const struct expr *e, struct val *v, struct val *args, size_t n)
{
	return f_string(r, e, v, args, n);
}

static int f_escape(struct render *r, const struct expr *e, struct val *v, struct val *args, size_t n)
{
	(void)args, (void)n;
	struct mx_buf s, b;
	int rc = soft_str(r, e, v, &s);
	if (rc)
		return rc;
	sb_init(r, &b);
	rc = mx_buf_append(&b, "", 0);
	for (size_t i = 0; i < s.len && rc == 0; i++) {
		switch (s.p[i]) {
		case '&': rc = mx_buf_puts(&b, "&amp;"); break;
		case '<': rc = mx_buf_puts(&b, "&lt;"); break;
		case '>': rc = mx_buf_puts(&b, "&gt;"); break;
		case '"': rc = mx_buf_puts(&b, "&#34;"); break;
		case '\'': rc = mx_buf_puts(&b, "&#39;"); break;
		default: rc = mx_buf_putc(&b, s.p[i]);
		}
	}
	mx_buf_free(&s);
	return replace_str(r, e, v, rc, &b);
}

static int f_center(struct render *r, const struct expr *e, struct val *v, struct val *args, size_t n)
{
	(void)n;
	json_int_t width;
	struct mx_buf s, b;
	int rc = arg_int(r, e, &args[0], 80, "width", &width);
	if (rc || (rc = soft_str(r, e, v, &s)))
		return rc;
	json_int_t len = (json_int_t)mx_utf8_count(s.p, s.len);
	if (width > (json_int_t)r->max_str) {
		mx_buf_free(&s);
		return rerr(r, e, MX_ELIMIT, "string value exceeds the limit of %zu bytes", r->max_str);
	}
	if (width <= len)
		return replace_str(r, e, v, 0, &s);
	/* CPython: left = marg / 2 + (marg & width & 1) */
	json_int_t marg = width - len, left = marg / 2 + (marg & width & 1);
	sb_init(r, &b);
	rc = mx_buf_append(&b, "", 0);
	for (json_int_t i = 0; i < left && rc == 0; i++)
		rc = mx_buf_putc(&b, ' ');
	if (rc == 0)
		rc = mx_buf_append(&b, s.p, s.len);
	for (json_int_t i = 0; i < marg - left && rc == 0; i++)
		rc = mx_buf_putc(&b, ' ');
	mx_buf_free(&s);
	return replace_str(r, e, v, rc, &b);
}

static int f_indent(struct render *r, const struct expr *e, struct val *v, struct val *args, size_t n)
{
	(void)n;
	struct mx_buf s, ind, b;
	int rc = 0;
	if (v->j == NULL)
		return undef_err(r, e, v);
	mx_buf_init(&ind, r->max_str);
	if (given(&args[0]) && args[0].j && json_is_string(args[0].j)) {
		rc = mx_buf_append(&ind, json_string_value(args[0].j), json_string_length(args[0].j));
	} else {
		json_int_t width;
		rc = arg_int(r, e, &args[0], 4, "width", &width);
		for (json_int_t i = 0; i < width && rc == 0; i++)
			rc = mx_buf_putc(&ind, ' ');
	}
	if (rc == 0)
		rc = mx_buf_append(&ind, "", 0);
	if (rc || (rc = soft_str(r, e, v, &s))) {
		mx_buf_free(&ind);
		return rc == MX_ELIMIT ? rerr(r, e, rc, "indent too wide") : rc;
	}
	int first = truthy(&args[1]), blank = truthy(&args[2]);
	sb_init(r, &b);
	rc = mx_buf_append(&b, "", 0);
	if (first)
		rc = mx_buf_append(&b, ind.p, ind.len);
	/* lines as str.splitlines() of s + "\n"; every line after the first is indented unless blank */
	size_t i = 0, line = 0;
	while (i < s.len && rc == 0) {
		size_t end = i;
		while (end < s.len && s.p[end] != '\n' && s.p[end] != '\r')
			end++;
		if (line > 0) {
			rc = mx_buf_putc(&b, '\n');
			if (rc == 0 && (end > i || blank))
				rc = mx_buf_append(&b, ind.p, ind.len);
		}
		if (rc == 0)
			rc = mx_buf_append(&b, s.p + i, end - i);
		line++;
		if (end < s.len && s.p[end] == '\r' && end + 1 < s.len && s.p[end + 1] == '\n')
			end++;
		i = end + 1;
	}
	mx_buf_free(&ind);
	mx_buf_free(&s);
	return replace_str(r, e, v, rc, &b);
}

static int f_wordcount(struct render *r, const struct expr *e, struct val *v, struct val *args, size_t n)
{
	(void)args, (void)n;
	struct mx_buf s;
	int rc = soft_str(r, e, v, &s), in_word = 0;
	if (rc)
		return rc;
	json_int_t words = 0;
	for (size_t i = 0; i < s.len;) {
		int w = cp_word(mx_utf8_next(s.p, s.len, &i));
		if (w && !in_word)
			words++;
		in_word = w;
	}
	mx_buf_free(&s);
	struct val nv;
	if ((rc = vset(&nv, json_integer(words))) == 0)
		vreplace(v, nv);
	return rc;
}

static int f_sum(struct render *r, const struct expr *e, struct val *v, struct val *args, size_t n)
{
	(void)n;
	json_t *items;
	int rc = to_list(r, e, v, &items);
	if (rc)
		return rc;
	struct val acc;
	if (given(&args[1]))
		acc = vcopy(&args[1]);
	else if ((rc = vset(&acc, json_integer(0)))) {
		json_decref(items);
		return rc;
	}
	for (size_t i = 0; i < json_array_size(items) && rc == 0; i++) {
		struct val item, next;
		if ((rc = sort_key(json_array_get(items, i), &args[0], 1, &item.j)))
			break;
		item.why = NULL, item.objtype = NULL, item.flags = 0;
		rc = binop(r, e, OP_ADD, &acc, &item, &next);
		vdrop(&item);
		vdrop(&acc);
		acc = next;
	}
	json_decref(items);
	if (rc) {
		vdrop(&acc);
		return rc;
	}
	vreplace(v, acc);
	return 0;
}

static int min_max(struct render *r, const struct expr *e, struct val *v, struct val *args, int want_max)
{
	json_t *items, **keys;
	int rc = to_list(r, e, v, &items), failed = 0;
	if (rc)
		return rc;
	size_t n = json_array_size(items);
	if ((rc = make_keys(items, &args[1], truthy(&args[0]), &keys)) == 0) {
		size_t best = 0;
		for (size_t i = 1; i < n; i++)
			if (key_less(keys, want_max ? best : i, want_max ? i : best, 0, &failed))
				best = i;
		free_keys(keys, n);
		if (failed)
			rc = rerr(r, e, MX_EINVAL, "'<' not supported between the items compared");
		else
			vreplace(v, n ? vborrow(json_array_get(items, best)) : vundef(NULL, NULL));
	}
	json_decref(items);
	return rc;
}

static int f_min(struct render *r, const struct expr *e, struct val *v, struct val *args, size_t n)
{
	(void)n;
	return min_max(r, e, v, args, 0);
}

static int f_max(struct render *r, const struct expr *e, struct val *v, struct val *args, size_t n)
{
	(void)n;
	return min_max(r, e, v, args, 1);
}

static int dict_pairs(struct render *r, const struct expr *e, const struct val *v, json_t **out)
{
	*out = json_array();
	if (*out == NULL)
		return MX_ENOMEM;
	if (v->j == NULL)
		return 0;
	if (!json_is_object(v->j)) {
		json_decref(*out);
		*out = NULL;
		return rerr(r, e, MX_EINVAL, "can only get item pairs from a mapping");
	}
	const char *k;
	size_t klen;
	json_t *x;
	json_object_keylen_foreach(v->j, k, klen, x)
	{
		if (json_array_append_new(*out, json_pack("[s%O]", k, klen, x))) {
			json_decref(*out);
			*out = NULL;
			return MX_ENOMEM;
		}
	}
	return 0;
}

static int f_items(struct render *r, const struct expr *e, struct val *v, struct val *args, size_t n)
{
	(void)args, (void)n;
	json_t *pairs;
	int rc = dict_pairs(r, e, v, &pairs);
	if (rc)
		return rc;
	vreplace(v, vborrow(pairs));
	json_decref(pairs);
	return 0;
}

static int f_dictsort(struct render *r, const struct expr *e, struct val *v, struct val *args, size_t n)
{
	(void)n;
	const char *by = "key";
	if (given(&args[1]) && args[1].j && json_is_string(args[1].j))
		by = json_string_value(args[1].j);
	if (strcmp(by, "key") && strcmp(by, "value"))
		return rerr(r, e, MX_EINVAL, "You can only sort by either 'key' or 'value'");
	json_t *pairs, **keys, *sorted, *pos;
	if (v->j == NULL)
		return undef_err(r, e, v);
	if (!json_is_object(v->j))
		return rerr(r, e, MX_EINVAL, "dictsort needs a mapping, not %s", vtype(v));
	int rc = dict_pairs(r, e, v, &pairs);
	if (rc)
		return rc;
	struct val path = vundef(NULL, NULL);
	if ((pos = json_integer(by[0] == 'v')) == NULL) {
		json_decref(pairs);
		return MX_ENOMEM;
	}
	path.j = pos;
	if ((rc = make_keys(pairs, &path, truthy(&args[0]), &keys)) == 0) {
		rc = sorted_by(r, e, pairs, keys, truthy(&args[2]), &sorted);
		free_keys(keys, json_array_size(pairs));
	}
	vdrop(&path);
	json_decref(pairs);
	if (rc)
		return rc;
	vreplace(v, vborrow(sorted));
	json_decref(sorted);
	return 0;
}

/* map(attribute='x', default=d) or map('filter', args...) */
static int f_map(struct render *r, const struct expr *e, struct val *v, struct val *args, size_t n)
{
	const struct val *attr = &args[0], *def = &args[1], *pos = args + 2;
	size_t npos = n - 2;
	const struct filter_def *fd = NULL;
	struct val fargs[5];
	if (!given(attr)) {
		if (npos == 0 || !pos[0].j || !json_is_string(pos[0].j))
			return rerr(r, e, MX_EINVAL, "map() needs a filter name or attribute=");
		if ((fd = find_filter(json_string_value(pos[0].j))) == NULL || fd->variadic)
			return rerr(r, e, MX_EINVAL, "no filter named '%s'", json_string_value(pos[0].j));
		int np = nparams_of(fd);
		if (npos - 1 > (size_t)np || npos - 1 < (size_t)fd->nrequired)
			return rerr(r, e, MX_EINVAL, "wrong number of arguments for filter '%s'", fd->name);
		for (int i = 0; i < np; i++) {
			fargs[i] = vundef(NULL, NULL);
			if ((size_t)i + 1 < npos)
				fargs[i] = pos[i + 1];
			else
				fargs[i].flags = VAL_MISSING;
		}
	}
	json_t *items, *out;
	int rc = to_list(r, e, v, &items);
	if (rc)
		return rc;
	if ((out = json_array()) == NULL)
		rc = MX_ENOMEM;
	for (size_t i = 0; i < json_array_size(items) && rc == 0; i++) {
		json_t *item = json_array_get(items, i);
		struct val x;
		if (fd) {
			x = vborrow(item);
			if ((rc = fd->fn(r, e, &x, fargs, (size_t)nparams_of(fd)))) {
				vdrop(&x);
				break;
			}
		} else if ((rc = get_path(item, attr, &x))) {
			break;
		} else if (x.j == NULL && given(def)) {
			x = vcopy(def);
		}
		if (json_array_append_new(out, x.j ? x.j : json_null()))
			rc = MX_ENOMEM;
	}
	json_decref(items);
	if (rc) {
		json_decref(out);
		return rc;
	}
	vreplace(v, vborrow(out));
	json_decref(out);
	return 0;
}

/* select/reject(test, args...), selectattr/rejectattr(attr, test, args...) */
static int select_items(struct render *r, const struct expr *e, struct val *v, const struct val *pos,
                        size_t npos, int by_attr, int keep)
{
	if (by_attr && npos == 0)
		return rerr(r, e, MX_EINVAL, "missing parameter for attribute name");
	const struct val *attr = by_attr ? &pos[0] : NULL;
	size_t off = by_attr ? 1 : 0;
	const struct test_def *td = NULL;
	if (npos > off) {
		if (!pos[off].j || !json_is_string(pos[off].j) ||
		    (td = find_test(json_string_value(pos[off].j))) == NULL)
			return rerr(r, e, MX_EINVAL, "no test named '%s'",
			            pos[off].j && json_is_string(pos[off].j) ? json_string_value(pos[off].j)
			                                                     : "?");
		if (npos - off - 1 != (size_t)td->nargs)
			return rerr(r, e, MX_EINVAL, "test '%s' takes %d argument%s", td->name, td->nargs,
			            td->nargs == 1 ? "" : "s");
	}
	json_t *items, *out;
	int rc = to_list(r, e, v, &items);
	if (rc)
		return rc;
	if ((out = json_array()) == NULL)
		rc = MX_ENOMEM;
	for (size_t i = 0; i < json_array_size(items) && rc == 0; i++) {
		json_t *item = json_array_get(items, i);
		struct val x;
		int res;
		if (attr)
			rc = get_path(item, attr, &x);
		else
			x = vborrow(item);
		if (rc)
			break;
		if (td)
			rc = td->fn(r, e, &x, pos + off + 1, &res);
		else
			res = truthy(&x);
		vdrop(&x);
		if (rc == 0 && (res != 0) == keep && json_array_append(out, item))
			rc = MX_ENOMEM;
	}
	json_decref(items);
	if (rc) {
		json_decref(out);
		return rc;
	}
	vreplace(v, vborrow(out));
	json_decref(out);
	return 0;
}

static int f_select(struct render *r, const struct expr *e, struct val *v, struct val *args, size_t n)
{
	return select_items(r, e, v, args, n, 0, 1);
}

static int f_reject(struct render *r, const struct expr *e, struct val *v, struct val *args, size_t n)
{
	return select_items(r, e, v, args, n, 0, 0);
}

static int f_selectattr(struct render *r, const struct expr *e, struct val *v, struct val *args, size_t n)
{
	return select_items(r, e, v, args, n, 1, 1);
}

static int f_rejectattr(struct render *r, const struct expr *e, struct val *v, struct val *args, size_t n)
{
	return select_items(r, e, v, args, n, 1, 0);
}

static const struct filter_def filters[] = {
        {"abs", f_abs, 0, 0, {NULL}},
        {"capitalize", f_capitalize, 0, 0, {NULL}},
        {"center", f_center, 0, 0, {"width"}},
        {"count", f_length, 0, 0, {NULL}},
        {"d", f_default, 0, 0, {"default_value", "boolean"}},
        {"default", f_default, 0, 0, {"default_value", "boolean"}},
        {"dictsort", f_dictsort, 0, 0, {"case_sensitive", "by", "reverse"}},
        {"e", f_escape, 0, 0, {NULL}},
        {"escape", f_escape, 0, 0, {NULL}},
        {"first", f_first, 0, 0, {NULL}},
        {"float", f_float, 0, 0, {"default"}},
        {"forceescape", f_escape, 0, 0, {NULL}},
        {"indent", f_indent, 0, 0, {"width", "first", "blank"}},
        {"int", f_int, 0, 0, {"default", "base"}},
        {"items", f_items, 0, 0, {NULL}},
        {"join", f_join, 0, 0, {"d", "attribute"}},
        {"last", f_last, 0, 0, {NULL}},
        {"length", f_length, 0, 0, {NULL}},
        {"list", f_list, 0, 0, {NULL}},
        {"lower", f_lower, 0, 0, {NULL}},
        {"map", f_map, 0, 1, {"attribute", "default"}},
        {"max", f_max, 0, 0, {"case_sensitive", "attribute"}},
        {"min", f_min, 0, 0, {"case_sensitive", "attribute"}},
        {"reject", f_reject, 0, 1, {NULL}},
        {"rejectattr", f_rejectattr, 0, 1, {NULL}},
        {"replace", f_replace, 2, 0, {"old", "new", "count"}},
        {"reverse", f_reverse, 0, 0, {NULL}},
        {"round", f_round, 0, 0, {"precision", "method"}},
        {"safe", f_safe, 0, 0, {NULL}},
        {"select", f_select, 0, 1, {NULL}},
        {"selectattr", f_selectattr, 0, 1, {NULL}},
        {"sort", f_sort, 0, 0, {"reverse", "case_sensitive", "attribute"}},
        {"string", f_string, 0, 0, {NULL}},
        {"sum", f_sum, 0, 0, {"attribute", "start"}},
        {"title", f_title, 0, 0, {NULL}},
        {"tojson", f_tojson, 0, 0, {"indent"}},
        {"trim", f_trim, 0, 0, {"chars"}},
        {"truncate", f_truncate, 0, 0, {"length", "killwords", "end", "leeway"}},
        {"unique", f_unique, 0, 0, {"case_sensitive", "attribute"}},
        {"upper", f_upper, 0, 0, {NULL}},
        {"wordcount", f_wordcount, 0, 0, {NULL}},
};

static const struct filter_def *find_filter(const char *name)
{
	for (size_t i = 0; i < sizeof filters / sizeof filters[0]; i++)
		if (strcmp(filters[i].name, name) == 0)
			return &filters[i];
	return NULL;
}

/* Jinja built-ins this engine leaves out: named as unsupported, not unknown. */
static int unsupported_filter(const char *name)
{
	static const char *const names[] = {"attr",   "batch",    "filesizeformat", "format",    "groupby",
	                                    "pprint", "random",   "slice",          "striptags", "urlencode",
	                                    "urlize", "wordwrap", "xmlattr"};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(names[i], name) == 0)
			return 1;
	return 0;
}

/* ------------------------------------------------------------------------
 * Tests (x is name(args)).
 * ---------------------------------------------------------------------- */

static int t_defined(struct render *r, const struct expr *e, const struct val *v, const struct val *a,
                     int *res)
{
	(void)r, (void)e, (void)a;
	*res = v->j != NULL;
	return 0;
}

static int t_undefined(struct render *r, const struct expr *e, const struct val *v, const struct val *a,
                       int *res)
{
	(void)r, (void)e, (void)a;
	*res = v->j == NULL;
	return 0;
}

static int t_none(struct render *r, const struct expr *e, const struct val *v, const struct val *a, int *res)
{
	(void)r, (void)e, (void)a;
	*res = v->j && json_is_null(v->j);
	return 0;
}

static int t_boolean(struct render *r, const struct expr *e, const struct val *v, const struct val *a,
                     int *res)
{
	(void)r, (void)e, (void)a;
	*res = v->j && json_is_boolean(v->j);
	return 0;
}

static int t_true(struct render *r, const struct expr *e, const struct val *v, const struct val *a, int *res)
{
	(void)r, (void)e, (void)a;
	*res = v->j && json_is_true(v->j);
	return 0;
}

static int t_false(struct render *r, const struct expr *e, const struct val *v, const struct val *a, int *res)
{
	(void)r, (void)e, (void)a;
	*res = v->j && json_is_false(v->j);
	return 0;
}

static int t_integer(struct render *r, const struct expr *e, const struct val *v, const struct val *a,
                     int *res)
{
	(void)r, (void)e, (void)a;
	*res = v->j && json_is_integer(v->j);
	return 0;
}

static int t_float(struct render *r, const struct expr *e, const struct val *v, const struct val *a, int *res)
{
	(void)r, (void)e, (void)a;
	*res = v->j && json_is_real(v->j);
	return 0;
}

static int t_number(struct render *r, const struct expr *e, const struct val *v, const struct val *a,
                    int *res)
{
	(void)r, (void)e, (void)a;
	struct num n = {0};
	*res = get_num(v->j, &n);
	return 0;
}

static int t_string(struct render *r, const struct expr *e, const struct val *v, const struct val *a,
                    int *res)
{
	(void)r, (void)e, (void)a;
	*res = v->j && json_is_string(v->j);
	return 0;
}

static int t_mapping(struct render *r, const struct expr *e, const struct val *v, const struct val *a,
                     int *res)
{
	(void)r, (void)e, (void)a;
	*res = v->j && json_is_object(v->j);
	return 0;
}

/* iterable and sequence: str, list, dict, and Undefined (it has __iter__ and __len__). */
static int t_iterable(struct render *r, const struct expr *e, const struct val *v, const struct val *a,
                      int *res)
{
	(void)r, (void)e, (void)a;
	*res = v->j == NULL || json_is_string(v->j) || json_is_array(v->j) || json_is_object(v->j);
	return 0;
}

static int t_callable(struct render *r, const struct expr *e, const struct val *v, const struct val *a,
                      int *res)
{
	(void)r, (void)e, (void)v, (void)a;
	*res = 0;
	return 0;
}

static int mod_num(struct render *r, const struct expr *e, const struct val *v, const struct val *by,
                   struct num *out)
{
	struct val m;
	int rc = binop(r, e, OP_MOD, v, by, &m);
	if (rc)
		return rc;
	get_num(m.j, out);
	vdrop(&m);
	return 0;
}

static int t_odd_even(struct render *r, const struct expr *e, const struct val *v, int *res, int want_odd)
{
	struct val two;
	struct num m = {0};
	int rc = vset(&two, json_integer(2));
	if (rc || (rc = mod_num(r, e, v, &two, &m)) != 0) {
		vdrop(&two);
		return rc;
	}
	vdrop(&two);
	*res = want_odd ? m.d == 1 : m.d == 0;
	return 0;
}

static int t_odd(struct render *r, const struct expr *e, const struct val *v, const struct val *a, int *res)
{
	(void)a;
	return t_odd_even(r, e, v, res, 1);
}

static int t_even(struct render *r, const struct expr *e, const struct val *v, const struct val *a, int *res)
{
	(void)a;
	return t_odd_even(r, e, v, res, 0);
}

static int t_divisibleby(struct render *r, const struct expr *e, const struct val *v, const struct val *a,
                         int *res)
{
	struct num m = {0};
	int rc = mod_num(r, e, v, &a[0], &m);
	*res = rc == 0 && m.d == 0;
	return rc;
}

#define COMPARE_TEST(fname, op)                                                                            \
	static int fname(struct render *r, const struct expr *e, const struct val *v, const struct val *a, \
	                 int *res)                                                                         \
	{                                                                                                  \
		return compare_values(r, e, op, v, &a[0], res);                                            \
	}

COMPARE_TEST(t_eq, OP_EQ)
COMPARE_TEST(t_ne, OP_NE)
COMPARE_TEST(t_lt, OP_LT)
COMPARE_TEST(t_le, OP_LE)
COMPARE_TEST(t_gt, OP_GT)
COMPARE_TEST(t_ge, OP_GE)
COMPARE_TEST(t_in, OP_IN)

static int t_sameas(struct render *r, const struct expr *e, const struct val *v, const struct val *a,
                    int *res)
{
	(void)r, (void)e;
	const json_t *x = v->j, *y = a[0].j;
	*res = x == y || (x && y &&
	                  ((json_is_null(x) && json_is_null(y)) || (json_is_true(x) && json_is_true(y)) ||
	                   (json_is_false(x) && json_is_false(y)) ||
	                   (json_is_integer(x) && json_is_integer(y) &&
	                    json_integer_value(x) == json_integer_value(y) && json_integer_value(x) >= -5 &&
	                    json_integer_value(x) <= 256)));
	return 0;
}

static int t_lower_upper(const struct val *v, int *res, int upper)
{
	*res = v->j && json_is_string(v->j) &&
	       str_cased(json_string_value(v->j), json_string_length(v->j), upper);
	return 0;
}

static int t_lower(struct render *r, const struct expr *e, const struct val *v, const struct val *a, int *res)
{
	(void)r, (void)e, (void)a;
	return t_lower_upper(v, res, 0);
}

static int t_upper(struct render *r, const struct expr *e, const struct val *v, const struct val *a, int *res)
{
	(void)r, (void)e, (void)a;
	return t_lower_upper(v, res, 1);
}

static int t_filter(struct render *r, const struct expr *e, const struct val *v, const struct val *a,
                    int *res)
{
	(void)r, (void)e, (void)a;
	*res = v->j && json_is_string(v->j) && find_filter(json_string_value(v->j)) != NULL;
	return 0;
}

static int t_test(struct render *r, const struct expr *e, const struct val *v, const struct val *a, int *res)
{
	(void)r, (void)e, (void)a;
	*res = v->j && json_is_string(v->j) && find_test(json_string_value(v->j)) != NULL;
	return 0;
}

static const struct test_def tests[] = {
        {"boolean", t_boolean, 0},
        {"callable", t_callable, 0},
        {"defined", t_defined, 0},
        {"divisibleby", t_divisibleby, 1},
        {"eq", t_eq, 1},
        {"equalto", t_eq, 1},
        {"escaped", t_callable, 0},
        {"even", t_even, 0},
        {"false", t_false, 0},
        {"filter", t_filter, 0},
        {"float", t_float, 0},
        {"ge", t_ge, 1},
        {"greaterthan", t_gt, 1},
        {"gt", t_gt, 1},
        {"in", t_in, 1},
        {"integer", t_integer, 0},
        {"iterable", t_iterable, 0},
        {"le", t_le, 1},
        {"lessthan", t_lt, 1},
        {"lower", t_lower, 0},
        {"lt", t_lt, 1},
        {"mapping", t_mapping, 0},
        {"ne", t_ne, 1},
        {"none", t_none, 0},
        {"number", t_number, 0},
        {"odd", t_odd, 0},
        {"sameas", t_sameas, 1},
        {"sequence", t_iterable, 0},
        {"string", t_string, 0},
        {"test", t_test, 0},
        {"true", t_true, 0},
        {"undefined", t_undefined, 0},
        {"upper", t_upper, 0},
};

static const struct test_def *find_test(const char *name)
{
	for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++)
		if (strcmp(tests[i].name, name) == 0)
			return &tests[i];
	return NULL;
}

/* ------------------------------------------------------------------------
 * Statements.
 * ---------------------------------------------------------------------- */

static int exec_body(struct render *r, const struct stmt *s);

static int emit(struct render *r, const struct stmt *s, int rc)
{
	if (rc == MX_ELIMIT)
		return rerr_at(r, s->line, s->col, rc, "rendered text exceeds the limit of %zu bytes",
		               r->out->max);
	return rc;
}

/* Bind assignment targets to a value, unpacking for "a, b". */
static int bind_targets(struct render *r, const struct stmt *s, const struct expr *at, struct rframe *f,
                        const struct val *v)
{
	if (s->ntargets == 1)
		return frame_set(f, s->targets[0], vcopy(v));
	json_t *items;
	int rc =
	        v->j ? to_list(r, at, v, &items) : rerr(r, at, MX_EINVAL, "cannot unpack an undefined value");
	if (rc)
		return rc;
	size_t n = json_array_size(items);
	if (n != s->ntargets) {
		json_decref(items);
		if (n < s->ntargets)
			return rerr(r, at, MX_EINVAL, "not enough values to unpack (expected %zu, got %zu)",
			            s->ntargets, n);
		return rerr(r, at, MX_EINVAL, "too many values to unpack (expected %zu)", s->ntargets);
	}
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = frame_set(f, s->targets[i], vborrow(json_array_get(items, i)));
	json_decref(items);
	return rc;
}

static int count_iteration(struct render *r, const struct stmt *s)
{
	if (++r->iterations > MX_TEMPLATE_MAX_ITERATIONS)
		return rerr_at(r, s->line, s->col, MX_ELIMIT, "too many loop iterations (limit %ld)",
		               MX_TEMPLATE_MAX_ITERATIONS);
	return 0;
}

static int loop_object(json_t *items, size_t i, struct val *out)
{
	json_int_t len = (json_int_t)json_array_size(items), k = (json_int_t)i;
	json_t *loop = json_pack("{sI sI sI sI sb sb sI sI sI}", "index", k + 1, "index0", k, "revindex",
	                         len - k, "revindex0", len - k - 1, "first", k == 0, "last", k == len - 1,
	                         "length", len, "depth", (json_int_t)1, "depth0", (json_int_t)0);
	if (loop == NULL)
		return MX_ENOMEM;
	if ((i > 0 && json_object_set(loop, "previtem", json_array_get(items, i - 1))) ||
	    (k + 1 < len && json_object_set(loop, "nextitem", json_array_get(items, i + 1)))) {
		json_decref(loop);
		return MX_ENOMEM;
	}
	int rc = vset(out, loop);
	out->flags = VAL_LOOP;
	return rc;
}

static int exec_for(struct render *r, const struct stmt *s)
{
	struct val it;
	json_t *items;
	int rc = eval(r, s->expr, &it);
	if (rc)
		return rc;
	rc = to_list(r, s->expr, &it, &items);
	vdrop(&it);
	if (rc)
		return rc;
	struct rframe *outer = r->frame;
	if (s->filter) {
		json_t *kept = json_array();
		rc = kept ? 0 : MX_ENOMEM;
		for (size_t i = 0; i < json_array_size(items) && rc == 0; i++) {
			struct rframe f = {.parent = outer};
			struct val item = vborrow(json_array_get(items, i)), test;
			if ((rc = count_iteration(r, s)) == 0 &&
			    (rc = bind_targets(r, s, s->expr, &f, &item)) == 0) {
				r->frame = &f;
				if ((rc = eval(r, s->filter, &test)) == 0 && truthy(&test) &&
				    json_array_append(kept, item.j))
					rc = MX_ENOMEM;
				vdrop(&test);
				r->frame = outer;
			}
			vdrop(&item);
			frame_clear(&f);
		}
		json_decref(items);
		items = kept;
	}
	size_t n = json_array_size(items);
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct rframe f = {.parent = outer};
		struct val item = vborrow(json_array_get(items, i)), loop;
		if ((rc = count_iteration(r, s)) == 0 && (rc = bind_targets(r, s, s->expr, &f, &item)) == 0 &&
		    (rc = loop_object(items, i, &loop)) == 0 && (rc = frame_set(&f, "loop", loop)) == 0) {
			r->frame = &f;
			rc = exec_body(r, s->body);
			r->frame = outer;
		}
		vdrop(&item);
		frame_clear(&f);
	}
	json_decref(items);
	if (rc == 0 && n == 0 && s->else_body) {
		struct rframe f = {.parent = outer};
		r->frame = &f;
		rc = exec_body(r, s->else_body);
		r->frame = outer;
		frame_clear(&f);
	}
	return rc;
}

static int exec_stmt(struct render *r, const struct stmt *s)
{
	struct val v;
	int rc;
	switch (s->kind) {
	case S_DATA: return emit(r, s, mx_buf_append(r->out, s->text, s->len));
	case S_OUTPUT:
		if ((rc = eval(r, s->expr, &v)))
			return rc;
		rc = write_str(r->out, &v);
		vdrop(&v);
		return emit(r, s, rc);
	case S_IF:
		for (size_t i = 0; i < s->nconds; i++) {
			if ((rc = eval(r, s->conds[i], &v)))
				return rc;
			int t = truthy(&v);
			vdrop(&v);
			if (t)
				return exec_body(r, s->bodies[i]);
		}
		return exec_body(r, s->else_body);
	case S_FOR: return exec_for(r, s);
	case S_SET:
		if ((rc = eval(r, s->expr, &v)))
			return rc;
		rc = bind_targets(r, s, s->expr, r->frame, &v);
		vdrop(&v);
		return rc;
	case S_SETBLOCK: {
		struct mx_buf b, *saved = r->out;
		struct rframe f = {.parent = r->frame};
		sb_init(r, &b);
		r->out = &b;
		r->frame = &f;
		rc = exec_body(r, s->body);
		r->frame = f.parent;
		r->out = saved;
		frame_clear(&f);
		if (rc == 0 && (rc = vset(&v, json_stringn(b.p ? b.p : "", b.len))) == 0)
			rc = frame_set(r->frame, s->targets[0], v);
		mx_buf_free(&b);
		return rc;
	}
	}
	return MX_EINTERNAL;
}

static int exec_body(struct render *r, const struct stmt *s)
{
	for (; s; s = s->next) {
		int rc = exec_stmt(r, s);
		if (rc)
			return rc;
	}
	return 0;
}

/* ------------------------------------------------------------------------
 * Public API.
 * ---------------------------------------------------------------------- */

/* Jinja's lexer: \r\n and \r become \n, and one trailing newline goes. */
static char *normalize_source(struct arena **a, const char *text, size_t n, size_t *outn)
{
	char *s = arena_alloc(a, n + 1);
	if (s == NULL)
		return NULL;
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (text[i] == '\r') {
			s[o++] = '\n';
			if (i + 1 < n && text[i + 1] == '\n')
				i++;
		} else {
			s[o++] = text[i];
		}
	}
	if (o && s[o - 1] == '\n')
		o--;
	s[o] = '\0';
	*outn = o;
	return s;
}

int mx_template_compile(const char *text, struct mx_template **out, struct mx_err *err)
{
	*out = NULL;
	mx_err_clear(err);
	if (text == NULL)
		return mx_err_set(err, MX_EINVAL, "no template text");
	size_t n = strlen(text);
	if (n > MX_TEMPLATE_MAX_SOURCE)
		return mx_err_set(err, MX_ELIMIT, "template too large (%zu bytes, limit %zu)", n,
		                  MX_TEMPLATE_MAX_SOURCE);
	if (!mx_utf8_valid(text, n))
		return mx_err_set(err, MX_EINVAL, "template is not valid UTF-8");
	struct mx_template *t = mx_calloc(1, sizeof *t);
	if (t == NULL)
		return mx_err_set(err, MX_ENOMEM, "out of memory");
	struct lexer lx = {.arena = &t->arena, .err = err};
	int rc = 0;
	if ((lx.s = normalize_source(&t->arena, text, n, &lx.n)) == NULL)
		rc = mx_err_set(err, MX_ENOMEM, "out of memory");
	if (rc == 0)
		rc = lex(&lx);
	if (rc == 0) {
		struct parser p = {.t = lx.toks, .ntoks = lx.ntoks, .arena = &t->arena, .err = err};
		if (parse_body(&p, NULL, 0, &t->body))
			rc = p.failed ? p.failed : MX_EINVAL;
	}
	mx_free(lx.toks);
	if (rc == 0 && (rc = compute_free_vars(t)) != 0)
		mx_err_set(err, rc, "out of memory");
	if (rc) {
		if (err && err->msg[0] == '\0')
			mx_err_set(err, rc, "%s", mx_strerror(rc));
		mx_template_free(t);
		return rc;
	}
	*out = t;
	return 0;
}

void mx_template_free(struct mx_template *t)
{
	if (t == NULL)
		return;
	arena_free(t->arena);
	mx_free(t);
}

json_t *mx_template_free_variables(const struct mx_template *t)
{
	json_t *a = json_array();
	if (a == NULL)
		return NULL;
	for (size_t i = 0; i < t->nfree; i++)
		if (json_array_append_new(a, json_string(t->free_vars[i]))) {
			json_decref(a);
			return NULL;
		}
	return a;
}

int mx_template_render(const struct mx_template *t, const json_t *context, struct mx_buf *out,
                       struct mx_err *err)
{
	mx_err_clear(err);
	if (context && !json_is_object(context))
		return mx_err_set(err, MX_EINVAL, "template context must be an object, not %s",
		                  mx_pytext_type(context));
	struct rframe root = {0};
	struct render r = {
	        .ctx = context,
	        .frame = &root,
	        .out = out,
	        .err = err,
	        .max_str = out->max < MX_TEMPLATE_MAX_STRING ? out->max : MX_TEMPLATE_MAX_STRING,
	};
	size_t start = out->len;
	int rc = mx_buf_append(out, "", 0);
	if (rc == 0)
		rc = exec_body(&r, t->body);
	frame_clear(&root);
	if (rc) {
		out->len = start;
		if (out->p)
			out->p[start] = '\0';
		if (err && err->msg[0] == '\0')
			mx_err_set(err, rc, "%s", rc == MX_ENOMEM ? "out of memory" : mx_strerror(rc));
	}
	return rc;
}
