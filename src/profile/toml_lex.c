/* The TOML lexer: positions and errors, whitespace, comments, newlines, strings, keys. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profile/toml_internal.h"
#include "util/xalloc.h"

/* Counts lines from the start: exact wherever the cursor has got to since, and cheap enough
 * for errors, which are rare. */
static struct toml_pos scan_pos(const char *buf, const char *at)
{
	struct toml_pos pos = {1, 1};
	const char *ls = buf;
	for (const char *s = buf; s < at; s++)
		if (*s == '\n') {
			pos.line++;
			ls = s + 1;
		}
	pos.col = (int)(at - ls) + 1;
	return pos;
}

struct toml_pos tp_pos(const struct toml_parser *p, const char *at)
{
	if (at >= p->line_start)
		return (struct toml_pos){p->line, (int)(at - p->line_start) + 1};
	return scan_pos(p->buf, at);
}

bool tp_fail(struct toml_parser *p, const char *at, const char *fmt, ...)
{
	if (p->failed)
		return false;
	p->failed = true;
	struct toml_pos pos = scan_pos(p->buf, at > p->end ? p->end : at);
	p->err->line = pos.line;
	p->err->col = pos.col;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->err->msg, sizeof p->err->msg, fmt, ap);
	va_end(ap);
	return false;
}

/* Names the byte at `at` for an error message: 'x', end of line, end of file, U+XXXX. */
const char *tp_describe(const struct toml_parser *p, const char *at, char out[32])
{
	if (at >= p->end)
		return "end of file";
	unsigned char c = (unsigned char)*at;
	if (c == '\n' || (c == '\r' && at + 1 < p->end && at[1] == '\n'))
		return "end of line";
	if (c > 0x20 && c < 0x7f && c != '\'') {
		snprintf(out, 32, "'%c'", c);
		return out;
	}
	if (c == '\'')
		return "\"'\"";
	if (c == ' ')
		return "a space";
	unsigned cp = c;
	int extra = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc0 ? 1 : 0;
	if (extra && at + extra < p->end) {
		cp = c & (0x3f >> extra);
		for (int i = 1; i <= extra; i++)
			cp = cp << 6 | ((unsigned char)at[i] & 0x3f);
	}
	snprintf(out, 32, "character U+%04X", cp);
	return out;
}

/* Quotes a key for a message; control bytes escaped, long keys cut. */
const char *tp_quote(const char *s, size_t len, char out[80])
{
	size_t o = 0;
	out[o++] = '"';
	for (size_t i = 0; i < len && (o < 70 || ((unsigned char)s[i] & 0xc0) == 0x80); i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f || c == '"' || c == '\\')
			o += (size_t)snprintf(out + o, 80 - o, c == '"' || c == '\\' ? "\\%c" : "\\x%02x", c);
		else
			out[o++] = (char)c;
		if (i + 1 < len && o >= 70 && ((unsigned char)s[i + 1] & 0xc0) != 0x80) {
			memcpy(out + o, "...", 3);
			o += 3;
		}
	}
	out[o++] = '"';
	out[o] = 0;
	return out;
}

void tp_skip_ws(struct toml_parser *p)
{
	while (p->cur < p->end && (*p->cur == ' ' || *p->cur == '\t'))
		p->cur++;
}

bool tp_at_newline(const struct toml_parser *p)
{
	return p->cur < p->end &&
	       (*p->cur == '\n' || (*p->cur == '\r' && p->cur + 1 < p->end && p->cur[1] == '\n'));
}

/* Consumes LF or CRLF. A lone CR is no newline in TOML; it is an error. */
bool tp_newline(struct toml_parser *p)
{
	if (p->cur < p->end && *p->cur == '\r') {
		if (p->cur + 1 >= p->end || p->cur[1] != '\n')
			return tp_fail(p, p->cur, "carriage return not followed by a line feed");
		p->cur++;
	}
	p->cur++;
	p->line++;
	p->line_start = p->cur;
	return true;
}

static bool is_control(unsigned char c)
{
	return (c < 0x20 && c != '\t') || c == 0x7f;
}

/* The cursor is on '#'. Control characters are refused in comments too: they could hide text
 * from a person reading the profile in a terminal. */
bool tp_comment(struct toml_parser *p)
{
	while (p->cur < p->end && *p->cur != '\n') {
		if (*p->cur == '\r' && p->cur + 1 < p->end && p->cur[1] == '\n')
			break;
		if (is_control((unsigned char)*p->cur))
			return tp_fail(p, p->cur, "control character U+%04X in comment",
				       (unsigned char)*p->cur);
		p->cur++;
	}
	return true;
}

/* Whitespace, newlines and comments, as allowed between array elements. */
bool tp_skip_ws_nl(struct toml_parser *p)
{
	for (;;) {
		tp_skip_ws(p);
		if (p->cur >= p->end)
			return true;
		if (*p->cur == '#') {
			if (!tp_comment(p))
				return false;
		} else if (*p->cur == '\n' || *p->cur == '\r') {
			if (!tp_newline(p))
				return false;
		} else {
			return true;
		}
	}
}

/* After a key/value pair or a header: optional comment, then newline or end of file. */
bool tp_line_end(struct toml_parser *p, const char *after)
{
	tp_skip_ws(p);
	if (p->cur < p->end && *p->cur == '#' && !tp_comment(p))
		return false;
	if (p->cur >= p->end)
		return true;
	if (*p->cur == '\n' || *p->cur == '\r')
		return tp_newline(p);
	char d[32];
	return tp_fail(p, p->cur, "expected end of line after %s, found %s", after,
		       tp_describe(p, p->cur, d));
}

void tb_put(struct toml_buf *b, const char *s, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		while (b->n + n + 1 > b->cap)
			b->cap = b->cap ? b->cap * 2 : 32;
		b->p = xrealloc(b->p, b->cap);
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
}

void tb_putc(struct toml_buf *b, char c)
{
	tb_put(b, &c, 1);
}

char *tb_finish(struct toml_buf *b, size_t *len)
{
	tb_put(b, "", 0);
	b->p[b->n] = 0;
	*len = b->n;
	char *s = b->p;
	*b = (struct toml_buf){0};
	return s;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static void put_utf8(struct toml_buf *b, unsigned long cp)
{
	char u[4];
	size_t n;
	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | cp >> 6);
		u[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | cp >> 12);
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | cp >> 18);
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	tb_put(b, u, n);
}

/* \uXXXX or \UXXXXXXXX; the cursor is on the 'u' or 'U'. */
static bool unicode_escape(struct toml_parser *p, struct toml_buf *out)
{
	const char *esc = p->cur - 1;
	int digits = *p->cur == 'u' ? 4 : 8;
	unsigned long cp = 0;
	p->cur++;
	for (int i = 0; i < digits; i++, p->cur++) {
		int h = p->cur < p->end ? hexval(*p->cur) : -1;
		if (h < 0)
			return tp_fail(p, esc, "\\%c escape needs exactly %d hex digits",
				       digits == 4 ? 'u' : 'U', digits);
		cp = cp << 4 | (unsigned long)h;
	}
	if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return tp_fail(p, esc, "escape \\%.*s is not a Unicode scalar value (surrogates and "
				       "values above 10FFFF are not allowed)",
			       digits + 1, esc + 1);
	put_utf8(out, cp);
	return true;
}

/* The cursor is on the backslash. */
static bool escape(struct toml_parser *p, struct toml_buf *out)
{
	const char *esc = p->cur++;
	if (p->cur >= p->end)
		return tp_fail(p, esc, "unterminated string: backslash at end of file");
	static const char from[] = "btnfr\"\\", to[] = "\b\t\n\f\r\"\\";
	const char *m = *p->cur ? strchr(from, *p->cur) : NULL;
	if (m) {
		tb_putc(out, to[m - from]);
		p->cur++;
		return true;
	}
	if (*p->cur == 'u' || *p->cur == 'U')
		return unicode_escape(p, out);
	if (*p->cur > 0x20 && *p->cur < 0x7f)
		return tp_fail(p, esc, "unknown escape \\%c in string (valid: \\b \\t \\n \\f \\r "
				       "\\\" \\\\ \\uXXXX \\UXXXXXXXX)",
			       *p->cur);
	char d[32];
	return tp_fail(p, esc, "backslash followed by %s in string: write a backslash as \\\\",
		       tp_describe(p, p->cur, d));
}

static bool control_in_string(struct toml_parser *p)
{
	return tp_fail(p, p->cur, "control character U+%04X in string (write it as an escape)",
		       (unsigned char)*p->cur);
}

/* A one-line string; the cursor is past the opening quote. */
static bool single_line(struct toml_parser *p, struct toml_buf *out, char q, const char *open)
{
	for (;;) {
		if (p->cur >= p->end)
			return tp_fail(p, open, "unterminated string: no closing %c before end of file", q);
		char c = *p->cur;
		if (c == q) {
			p->cur++;
			return true;
		}
		if (c == '\n' || c == '\r')
			return tp_fail(p, p->cur, "unterminated string: no closing %c before end of line "
						  "(use %c%c%c for multi-line strings)",
				       q, q, q, q);
		if (c == '\\' && q == '"') {
			if (!escape(p, out))
				return false;
			continue;
		}
		if (is_control((unsigned char)c))
			return control_in_string(p);
		const char *s = p->cur;
		while (p->cur < p->end && *p->cur != q && !(*p->cur == '\\' && q == '"') &&
		       !is_control((unsigned char)*p->cur))
			p->cur++;
		tb_put(out, s, (size_t)(p->cur - s));
	}
}

/* After a line-ending backslash: whitespace, then a newline, then all whitespace and newlines
 * up to the next text are dropped. */
static bool line_continuation(struct toml_parser *p)
{
	const char *bs = p->cur++;
	tp_skip_ws(p);
	if (!tp_at_newline(p))
		return tp_fail(p, bs, "a backslash in a multi-line string must be a known escape or "
				      "end its line (only whitespace may follow it)");
	for (;;) {
		tp_skip_ws(p);
		if (!tp_at_newline(p))
			return true;
		tp_newline(p);
	}
}

/* A multi-line string; the cursor is past the opening triple quote. */
static bool multi_line(struct toml_parser *p, struct toml_buf *out, char q, const char *open)
{
	/* A newline right after the opening delimiter is not part of the string. */
	if (tp_at_newline(p))
		tp_newline(p);
	for (;;) {
		if (p->cur >= p->end)
			return tp_fail(p, open, "unterminated multi-line string: no closing %c%c%c", q,
				       q, q);
		char c = *p->cur;
		if (c == q) {
			size_t run = 0;
			while (p->cur + run < p->end && p->cur[run] == q)
				run++;
			if (run >= 3) {
				/* Up to two quotes may sit just inside the closing delimiter. */
				if (run > 5)
					return tp_fail(p, p->cur + 5, "too many quotes: at most two %c may "
								      "precede the closing %c%c%c",
						       q, q, q, q);
				tb_put(out, p->cur, run - 3);
				p->cur += run;
				return true;
			}
			tb_put(out, p->cur, run);
			p->cur += run;
		} else if (c == '\\' && q == '"') {
			const char *n = p->cur + 1;
			if (n < p->end && (*n == ' ' || *n == '\t' || *n == '\n' || *n == '\r')) {
				if (!line_continuation(p))
					return false;
			} else if (!escape(p, out)) {
				return false;
			}
		} else if (c == '\n' || c == '\r') {
			/* CRLF becomes LF (the spec leaves this to the parser), so that a profile
			 * saved by a Windows editor means the same as one saved on Linux. */
			if (!tp_newline(p))
				return false;
			tb_putc(out, '\n');
		} else if (is_control((unsigned char)c)) {
			return control_in_string(p);
		} else {
			const char *s = p->cur;
			while (p->cur < p->end && *p->cur != q &&
			       !(*p->cur == '\\' && q == '"') && !is_control((unsigned char)*p->cur))
				p->cur++;
			tb_put(out, s, (size_t)(p->cur - s));
		}
	}
}

/* Any string kind; the cursor is on the opening quote. Keys may not be multi-line. */
bool tp_string(struct toml_parser *p, struct toml_buf *out, bool key)
{
	const char *open = p->cur;
	char q = *p->cur;
	if (p->end - p->cur >= 3 && p->cur[1] == q && p->cur[2] == q) {
		if (key)
			return tp_fail(p, open, "a key cannot be a multi-line string");
		p->cur += 3;
		return multi_line(p, out, q, open);
	}
	p->cur++;
	return single_line(p, out, q, open);
}

static bool is_bare(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-';
}

/* One key segment: bare, "basic" or 'literal'. */
bool tp_key_segment(struct toml_parser *p, struct toml_buf *out)
{
	if (p->cur < p->end && (*p->cur == '"' || *p->cur == '\''))
		return tp_string(p, out, true);
	const char *s = p->cur;
	while (p->cur < p->end && is_bare(*p->cur))
		p->cur++;
	if (p->cur == s) {
		char d[32];
		return tp_fail(p, s, "expected a key (letters, digits, '_', '-' or a quoted string), "
				     "found %s",
			       tp_describe(p, s, d));
	}
	tb_put(out, s, (size_t)(p->cur - s));
	return true;
}

/* Returns the offset of the first byte that is not well-formed UTF-8 (overlong forms,
 * surrogates and code points above 10FFFF included), or len when all is well. */
size_t toml_utf8_check(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;
	while (i < len) {
		unsigned char c = s[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		size_t n;
		unsigned char lo = 0x80, hi = 0xbf;
		if (c >= 0xc2 && c <= 0xdf)
			n = 1;
		else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			if (c == 0xe0)
				lo = 0xa0;
			if (c == 0xed)
				hi = 0x9f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			if (c == 0xf0)
				lo = 0x90;
			if (c == 0xf4)
				hi = 0x8f;
		} else
			return i;
		if (i + n >= len)
			return i;
		if (s[i + 1] < lo || s[i + 1] > hi)
			return i;
		for (size_t k = 2; k <= n; k++)
			if ((s[i + k] & 0xc0) != 0x80)
				return i;
		i += n + 1;
	}
	return len;
}

/* The longest prefix of at most n bytes that does not split a UTF-8 sequence (s has more than n
 * bytes). */
size_t toml_utf8_cut(const char *s, size_t n)
{
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	return n;
}
