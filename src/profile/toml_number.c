/* TOML integers and floats. */
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "profile/toml_internal.h"

static bool is_digit(char c, int base)
{
	switch (base) {
	case 2: return c == '0' || c == '1';
	case 8: return c >= '0' && c <= '7';
	case 10: return c >= '0' && c <= '9';
	default:
		return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
	}
}

static int digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	return (c | 0x20) - 'a' + 10;
}

/* Digits with single underscores between them ("1_000"). Appends the digits alone to out
 * (size cap) when out is given; returns the count, or -1 after an error. */
static long digits(struct toml_parser *p, int base, char *out, size_t *o, size_t cap,
		   const char *what)
{
	long n = 0;
	const char *start = p->cur;
	for (;;) {
		if (p->cur < p->end && is_digit(*p->cur, base)) {
			if (out && *o + 1 < cap)
				out[(*o)++] = *p->cur;
			p->cur++;
			n++;
		} else if (p->cur < p->end && *p->cur == '_') {
			if (p->cur == start || !is_digit(p->cur[-1], base))
				return tp_fail(p, p->cur, "'_' in %s must sit between two digits", what),
				       -1;
			if (p->cur + 1 >= p->end || !is_digit(p->cur[1], base))
				return tp_fail(p, p->cur, "'_' in %s must sit between two digits", what),
				       -1;
			p->cur++;
		} else {
			break;
		}
	}
	if (n == 0) {
		char d[32];
		tp_fail(p, p->cur, "expected a digit in %s, found %s", what, tp_describe(p, p->cur, d));
		return -1;
	}
	return n;
}

/* Echoes a literal in a message without letting a 1000-digit one fill it. */
static int lit_len(const char *start, const char *end)
{
	return end - start > 40 ? 40 : (int)(end - start);
}

static const char *lit_more(const char *start, const char *end)
{
	return end - start > 40 ? "..." : "";
}

/* 0x / 0o / 0b integers: unsigned in the text, but must fit an int64. */
static bool radix_int(struct toml_parser *p, struct toml_value *v, int base)
{
	const char *start = p->cur;
	p->cur += 2;
	const char *first = p->cur;
	if (digits(p, base, NULL, NULL, 0, "integer") < 0)
		return false;
	uint64_t val = 0;
	for (const char *s = first; s < p->cur; s++) {
		if (*s == '_')
			continue;
		unsigned d = (unsigned)digit_value(*s);
		if (val > ((uint64_t)INT64_MAX - d) / (uint64_t)base)
			return tp_fail(p, start, "integer %.*s%s does not fit in 64 bits",
				       lit_len(start, p->cur), start, lit_more(start, p->cur));
		val = val * (uint64_t)base + d;
	}
	v->type = TOML_INTEGER;
	v->u.i = (int64_t)val;
	return true;
}

static bool special_float(struct toml_parser *p, struct toml_value *v, bool neg)
{
	bool inf = p->end - p->cur >= 3 && memcmp(p->cur, "inf", 3) == 0;
	bool nan = p->end - p->cur >= 3 && memcmp(p->cur, "nan", 3) == 0;
	if (!inf && !nan)
		return false;
	p->cur += 3;
	v->type = TOML_FLOAT;
	v->u.f = inf ? (neg ? -INFINITY : INFINITY) : (neg ? -NAN : NAN);
	return true;
}

/* strtod reads the decimal point of the current locale; TOML's is always '.'. */
static double c_strtod(const char *s)
{
	static locale_t c_locale;
	if (!c_locale)
		c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
	return c_locale ? strtod_l(s, NULL, c_locale) : strtod(s, NULL);
}

static bool decimal_int(struct toml_parser *p, struct toml_value *v, const char *start,
			const char *num)
{
	bool neg = *start == '-';
	uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	uint64_t val = 0;
	for (const char *s = num; s < p->cur; s++) {
		if (*s == '_')
			continue;
		unsigned d = (unsigned)(*s - '0');
		if (val > (limit - d) / 10)
			return tp_fail(p, start, "integer %.*s%s does not fit in 64 bits "
						 "(range -9223372036854775808 to 9223372036854775807)",
				       lit_len(start, p->cur), start, lit_more(start, p->cur));
		val = val * 10 + d;
	}
	v->type = TOML_INTEGER;
	v->u.i = neg ? (int64_t)(0 - val) : (int64_t)val;
	return true;
}

/* Integer or float in decimal, with optional sign; or inf / nan. */
bool tp_number(struct toml_parser *p, struct toml_value *v)
{
	const char *start = p->cur;
	bool sign = *p->cur == '+' || *p->cur == '-';
	if (sign)
		p->cur++;
	if (special_float(p, v, *start == '-'))
		return true;
	if (!sign && p->end - p->cur >= 2 && p->cur[0] == '0') {
		char r = p->cur[1];
		if (r == 'x' || r == 'o' || r == 'b')
			return radix_int(p, v, r == 'x' ? 16 : r == 'o' ? 8 : 2);
	}
	char buf[512];
	size_t o = 0;
	if (sign)
		buf[o++] = *start;
	const char *num = p->cur;
	if (digits(p, 10, buf, &o, sizeof buf, "number") < 0)
		return false;
	if (*num == '0' && p->cur - num > 1)
		return tp_fail(p, num, "leading zeros are not allowed in a decimal number");
	bool is_float = false;
	if (p->cur < p->end && *p->cur == '.') {
		is_float = true;
		p->cur++;
		buf[o++] = '.';
		if (digits(p, 10, buf, &o, sizeof buf, "the fraction of a float") < 0)
			return false;
	}
	if (p->cur < p->end && (*p->cur == 'e' || *p->cur == 'E')) {
		is_float = true;
		p->cur++;
		if (o + 1 < sizeof buf)
			buf[o++] = 'e';
		if (p->cur < p->end && (*p->cur == '+' || *p->cur == '-')) {
			if (o + 1 < sizeof buf)
				buf[o++] = *p->cur;
			p->cur++;
		}
		if (digits(p, 10, buf, &o, sizeof buf, "the exponent of a float") < 0)
			return false;
	}
	if (!is_float)
		return decimal_int(p, v, start, num);
	if (o + 1 >= sizeof buf)
		return tp_fail(p, start, "float literal longer than %zu characters", sizeof buf - 2);
	buf[o] = 0;
	errno = 0;
	double d = c_strtod(buf);
	if (errno == ERANGE && isinf(d))
		return tp_fail(p, start, "float %.*s%s is out of range for a 64-bit float",
			       lit_len(start, p->cur), start, lit_more(start, p->cur));
	v->type = TOML_FLOAT;
	v->u.f = d;
	return true;
}
