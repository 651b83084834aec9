/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lex — the Jinja lexer: source text to tokens. Runs once per compile on
 * the caller's thread; tokens and decoded string literals live in the
 * template's arena, the token array on the heap until the parser is done.
 */
#include "jinja/jinja_int.h"

#include "core/alloc.h"
#include "core/utf8.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------
 * Lexer: source → tokens. Like Jinja's, it splits template data from
 * {{ }}, {% %} and {# #}, applies whitespace control and {% raw %}, and
 * tokenizes the inside of tags; a closing '}}' or '%}' only counts where
 * brackets are balanced.
 * ---------------------------------------------------------------------- */

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

const char *mx_jinja_op_text(int op)
{
	for (size_t i = 0; i < sizeof op_table / sizeof op_table[0]; i++)
		if ((int)op_table[i].op == op)
			return op_table[i].text;
	return "?";
}

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
	mx_jinja_fail_atv(lx->err, code, line, col, fmt, ap);
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
	char *out = mx_jinja_arena_alloc(lx->arena, i - p);
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
		errno = 0;
		unsigned long long v = strtoull(tmp, &end, base);
		if (v > (unsigned long long)LLONG_MAX || errno == ERANGE) {
			/* a big integer: its decimal digits (the parser makes it an int at render) */
			if (base != 10)
				return lex_error(lx, MX_EINVAL, start, "integer literal too large");
			if ((t->sval = mx_jinja_arena_strndup(lx->arena, tmp, k)) == NULL)
				return MX_ENOMEM;
			t->slen = k;
		}
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
				if (lx->nbrackets >= MX_JINJA_MAX_EXPR_DEPTH)
					return lex_error(lx, MX_ELIMIT, p,
					                 "expression nested too deeply (limit %d)",
					                 MX_JINJA_MAX_EXPR_DEPTH);
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
static size_t match_word_tag(const char *s, size_t n, size_t p, const char *word, int *dash, int allow_plus)
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
	if (p < n && (s[p] == '-' || (allow_plus && s[p] == '+'))) {
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
	/* Python's str.strip(): Unicode whitespace (U+00A0, U+3000, U+2028, U+0085 ...) */
	while (lstrip && n) {
		size_t k = 0;
		if (!mx_jinja_cp_space(mx_utf8_next(p, n, &k)))
			break;
		p += k, n -= k;
	}
	while (rstrip && n) {
		size_t k = n - 1;
		while (k > 0 && ((unsigned char)p[k] & 0xC0) == 0x80)
			k--;
		size_t e = k;
		if (!mx_jinja_cp_space(mx_utf8_next(p, n, &e)))
			break;
		n = k;
	}
	if (n == 0)
		return 0;
	struct token *t = push_tok(lx, TK_DATA, off, len);
	if (t == NULL)
		return MX_ENOMEM;
	t->p = p;
	t->n = n;
	return 0;
}

int mx_jinja_lex(struct lexer *lx)
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
		if (kind == '%' && (body = match_word_tag(s, n, p, "raw", &dash, 0)) != 0) {
			size_t c = body;
			for (; c + 1 < n; c++) {
				if (s[c] != '{' || s[c + 1] != '%')
					continue;
				size_t q = c + 2;
				int close_strip = q < n && s[q] == '-';
				if (q < n && (s[q] == '-' || s[q] == '+'))
					q++;
				int after;
				size_t e = match_word_tag(s, n, q, "endraw", &after, 1);
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
