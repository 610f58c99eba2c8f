/* TOML dates and times (RFC 3339, with TOML's local forms), validated field by field. */
#include <stdio.h>
#include <string.h>

#include "profile/toml_internal.h"
#include "util/xalloc.h"

static bool dig(const struct toml_parser *p, const char *s)
{
	return s < p->end && *s >= '0' && *s <= '9';
}

/* A date starts with four digits and '-', a time with two digits and ':'. */
bool tp_looks_datetime(const struct toml_parser *p)
{
	const char *s = p->cur;
	if (dig(p, s) && dig(p, s + 1) && s + 2 < p->end && s[2] == ':')
		return true;
	return dig(p, s) && dig(p, s + 1) && dig(p, s + 2) && dig(p, s + 3) && s + 4 < p->end &&
	       s[4] == '-';
}

/* Exactly n digits at the cursor. */
static bool field(struct toml_parser *p, int n, int *out, const char *what)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (!dig(p, p->cur + i)) {
			char d[32];
			return tp_fail(p, p->cur + i, "%s needs %d digits, found %s", what, n,
				       tp_describe(p, p->cur + i, d));
		}
		v = v * 10 + (p->cur[i] - '0');
	}
	p->cur += n;
	*out = v;
	return true;
}

static bool sep(struct toml_parser *p, char c, const char *what)
{
	if (p->cur < p->end && *p->cur == c) {
		p->cur++;
		return true;
	}
	char d[32];
	return tp_fail(p, p->cur, "expected '%c' in %s, found %s", c, what, tp_describe(p, p->cur, d));
}

static int days_in_month(int y, int m)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return m == 2 && leap ? 29 : days[m - 1];
}

static bool date(struct toml_parser *p)
{
	const char *s = p->cur;
	int y = 0, m = 0, d = 0;
	if (!field(p, 4, &y, "the year") || !sep(p, '-', "a date") ||
	    !field(p, 2, &m, "the month") || !sep(p, '-', "a date") || !field(p, 2, &d, "the day"))
		return false;
	if (m < 1 || m > 12)
		return tp_fail(p, s + 5, "month %02d is out of range (01 to 12)", m);
	if (d < 1 || d > days_in_month(y, m))
		return tp_fail(p, s + 8, "day %02d is out of range for %04d-%02d (01 to %02d)", d, y,
			       m, days_in_month(y, m));
	return true;
}

/* Seconds are required in TOML 1.0 (1.1 makes them optional). A leap second (60) is valid
 * RFC 3339. */
static bool time_of_day(struct toml_parser *p)
{
	const char *s = p->cur;
	int h = 0, mi = 0, sec = 0;
	if (!field(p, 2, &h, "the hour") || !sep(p, ':', "a time") ||
	    !field(p, 2, &mi, "the minute") || !sep(p, ':', "a time (seconds are required)") ||
	    !field(p, 2, &sec, "the second"))
		return false;
	if (h > 23)
		return tp_fail(p, s, "hour %02d is out of range (00 to 23)", h);
	if (mi > 59)
		return tp_fail(p, s + 3, "minute %02d is out of range (00 to 59)", mi);
	if (sec > 60)
		return tp_fail(p, s + 6, "second %02d is out of range (00 to 60)", sec);
	if (p->cur < p->end && *p->cur == '.') {
		p->cur++;
		if (!dig(p, p->cur))
			return tp_fail(p, p->cur, "expected digits after '.' in the seconds");
		while (dig(p, p->cur))
			p->cur++;
	}
	return true;
}

static bool offset(struct toml_parser *p)
{
	if (*p->cur == 'Z' || *p->cur == 'z') {
		p->cur++;
		return true;
	}
	const char *s = p->cur++;
	int h = 0, m = 0;
	if (!field(p, 2, &h, "the offset hour") || !sep(p, ':', "a time offset") ||
	    !field(p, 2, &m, "the offset minute"))
		return false;
	if (h > 23 || m > 59)
		return tp_fail(p, s, "time offset %.6s is out of range (-23:59 to +23:59)", s);
	return true;
}

static char *normalise(const char *s, size_t n)
{
	char *out = xstrndup(s, n);
	for (char *c = out; *c; c++) {
		if (*c == 't' || *c == ' ')
			*c = 'T';
		else if (*c == 'z')
			*c = 'Z';
	}
	return out;
}

/* The cursor is where tp_looks_datetime said yes. */
bool tp_datetime(struct toml_parser *p, struct toml_value *v)
{
	const char *start = p->cur;
	if (p->cur[2] == ':') {
		if (!time_of_day(p))
			return false;
		v->type = TOML_TIME_LOCAL;
		v->u.datetime = normalise(start, (size_t)(p->cur - start));
		return true;
	}
	if (!date(p))
		return false;
	v->type = TOML_DATE_LOCAL;
	/* A space separates date and time only when a time follows; else it ends the value. */
	bool t = p->cur < p->end && (*p->cur == 'T' || *p->cur == 't');
	bool space = p->cur < p->end && *p->cur == ' ' && dig(p, p->cur + 1) && dig(p, p->cur + 2) &&
		     p->cur + 3 < p->end && p->cur[3] == ':';
	if (t || space) {
		p->cur++;
		if (!time_of_day(p))
			return false;
		v->type = TOML_DATETIME_LOCAL;
		if (p->cur < p->end && strchr("Zz+-", *p->cur) && *p->cur) {
			if (!offset(p))
				return false;
			v->type = TOML_DATETIME;
		}
	}
	v->u.datetime = normalise(start, (size_t)(p->cur - start));
	return true;
}
