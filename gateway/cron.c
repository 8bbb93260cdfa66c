/*
 * cron.c -- five-field cron expressions as bit sets, and the next time
 * one matches in UTC, found by skipping whole months, days and hours
 * that cannot match rather than by walking minute after minute.  Dates
 * are proleptic Gregorian, computed here (days from 1970-01-01), so
 * neither the time zone nor the C library's calendar takes part.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cron.h"

enum { F_MIN, F_HOUR, F_DOM, F_MON, F_DOW, F_COUNT };

struct cron_field {
	const char		*cf_name;
	int			 cf_lo, cf_hi;	/* values that may be written */
	int			 cf_star_hi;	/* last value of "*" */
	const char *const	*cf_names;	/* cf_names[i] is cf_lo + i */
};

static const char *const mon_names[] = {
	"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct",
	"nov", "dec", NULL
};
static const char *const dow_names[] = {
	"sun", "mon", "tue", "wed", "thu", "fri", "sat", NULL
};

static const struct cron_field cron_fields[F_COUNT] = {
	{ "minute", 0, 59, 59, NULL },
	{ "hour", 0, 23, 23, NULL },
	{ "day-of-month", 1, 31, 31, NULL },
	{ "month", 1, 12, 12, mon_names },
	/* 7 is Sunday too; "*" is 0-6, so that it names each day once. */
	{ "day-of-week", 0, 7, 6, dow_names },
};

static const struct {
	const char	*a_name;
	const char	*a_expr;
} cron_aliases[] = {
	{ "@yearly", "0 0 1 1 *" },
	{ "@annually", "0 0 1 1 *" },
	{ "@monthly", "0 0 1 * *" },
	{ "@weekly", "0 0 * * 0" },
	{ "@daily", "0 0 * * *" },
	{ "@midnight", "0 0 * * *" },
	{ "@hourly", "0 * * * *" },
};

static _Thread_local char	cron_errbuf[256];

__attribute__((format(printf, 2, 3)))
static int
cron_err(const char **errstr, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	(void)vsnprintf(cron_errbuf, sizeof(cron_errbuf), fmt, ap);
	va_end(ap);
	*errstr = cron_errbuf;
	return -1;
}

/*
 * Calendar arithmetic (the algorithms of H. Hinnant's "chrono-compatible
 * low-level date algorithms", written out again here).
 */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t		era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void
civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t		era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

/* t as its day (days since 1970-01-01), date and second of that day;
 * returns the day.  Floors, so that times before 1970 work too. */
static int64_t
civil_split(time_t t, int64_t *y, int *m, int *d, int *sec)
{
	int64_t	days = (int64_t)t / 86400;

	*sec = (int)((int64_t)t % 86400);
	if (*sec < 0) {
		*sec += 86400;
		days--;
	}
	civil_from_days(days, y, m, d);
	return days;
}

static int
is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
month_days(int64_t y, int m)
{
	static const int	days[13] = { 0, 31, 28, 31, 30, 31, 30, 31,
	    31, 30, 31, 30, 31 };

	return m == 2 && is_leap(y) ? 29 : days[m];
}

/* 0 is Sunday; 1970-01-01 was a Thursday. */
static int
weekday(int64_t days)
{
	int64_t	w = (days + 4) % 7;

	return (int)(w < 0 ? w + 7 : w);
}

/*
 * Parsing.
 */

/* A number or (where the field has them) a name at *pp; advances *pp. */
static int
cron_value(const struct cron_field *f, const char **pp, const char *end,
    int *out, const char **errstr)
{
	const char	*p = *pp;
	int		 v = 0, n = 0, i;

	if (p < end && isdigit((unsigned char)*p)) {
		for (; p < end && isdigit((unsigned char)*p); p++) {
			if (++n > 4)
				return cron_err(errstr, "%s: number \"%.*s\" "
				    "is too long", f->cf_name,
				    (int)(end - *pp), *pp);
			v = v * 10 + (*p - '0');
		}
	} else if (f->cf_names != NULL && end - p >= 3 &&
	    isalpha((unsigned char)p[0])) {
		for (i = 0; f->cf_names[i] != NULL; i++)
			if (strncasecmp(p, f->cf_names[i], 3) == 0)
				break;
		if (f->cf_names[i] == NULL || (end - p > 3 &&
		    isalpha((unsigned char)p[3])))
			return cron_err(errstr, "%s: unknown name \"%.*s\" "
			    "(%s-%s)", f->cf_name, (int)(end - p), p,
			    f->cf_names[0], f->cf_names[f->cf_lo == 0 ? 6 :
			    11]);
		v = f->cf_lo + i;
		p += 3;
	} else
		return cron_err(errstr, "%s: expected a %s at \"%.*s\"",
		    f->cf_name, f->cf_names != NULL ? "number or name" :
		    "number", (int)(end - p), p);
	if (v < f->cf_lo || v > f->cf_hi)
		return cron_err(errstr, "%s: %d is not in %d-%d", f->cf_name,
		    v, f->cf_lo, f->cf_hi);
	*out = v;
	*pp = p;
	return 0;
}

/* One field, s[0 .. len): a comma-separated list into *bits. */
static int
cron_field_parse(const struct cron_field *f, const char *s, size_t len,
    uint64_t *bits, const char **errstr)
{
	const char	*p = s, *end = s + len, *el;
	int		 lo, hi, step, v, span = f->cf_hi - f->cf_lo + 1;

	*bits = 0;
	for (;;) {
		el = p;
		step = 1;
		if (p < end && *p == '*') {
			lo = f->cf_lo;
			hi = f->cf_star_hi;
			p++;
		} else {
			if (cron_value(f, &p, end, &lo, errstr) == -1)
				return -1;
			hi = lo;
			if (p < end && *p == '-') {
				p++;
				if (cron_value(f, &p, end, &hi, errstr) == -1)
					return -1;
				if (hi < lo)
					return cron_err(errstr, "%s: range "
					    "\"%.*s\" goes backwards",
					    f->cf_name, (int)(p - el), el);
			} else if (p < end && *p == '/') {
				/* "5/10": from 5 to the field's end. */
				hi = lo > f->cf_star_hi ? lo : f->cf_star_hi;
			}
		}
		if (p < end && *p == '/') {
			p++;
			for (step = 0; p < end && isdigit((unsigned char)*p);
			    p++)
				if ((step = step * 10 + (*p - '0')) > span)
					break;
			if (step < 1 || step > span)
				return cron_err(errstr, "%s: the step in "
				    "\"%.*s\" is not in 1-%d", f->cf_name,
				    (int)(end - el), el, span);
		}
		if (p < end && *p != ',')
			return cron_err(errstr, "%s: unexpected \"%.*s\"",
			    f->cf_name, (int)(end - p), p);
		for (v = lo; v <= hi; v += step)
			*bits |= 1ULL << (f == &cron_fields[F_DOW] && v == 7 ?
			    0 : v);
		if (p == end)
			return 0;
		if (++p == end)
			return cron_err(errstr, "%s: a list that ends in a "
			    "comma", f->cf_name);
	}
}

static int
cron_fields_parse(struct cron *c, const char *s, const char **errstr)
{
	const char	*fs[F_COUNT + 1], *p = s;
	size_t		 fl[F_COUNT + 1];
	uint64_t	 bits[F_COUNT];
	int		 n = 0, i, m, d, ok;

	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		if (n <= F_COUNT) {
			fs[n] = p;
			fl[n] = strcspn(p, " \t");
		}
		n++;
		p += strcspn(p, " \t");
	}
	if (n != F_COUNT)
		return cron_err(errstr, "%d field%s, not 5 (minute hour "
		    "day-of-month month day-of-week) nor an @alias", n,
		    n == 1 ? "" : "s");
	for (i = 0; i < F_COUNT; i++)
		if (cron_field_parse(&cron_fields[i], fs[i], fl[i], &bits[i],
		    errstr) == -1)
			return -1;
	memset(c, 0, sizeof(*c));
	c->cr_min = bits[F_MIN];
	c->cr_hour = (uint32_t)bits[F_HOUR];
	c->cr_dom = (uint32_t)bits[F_DOM];
	c->cr_mon = (uint16_t)bits[F_MON];
	c->cr_dow = (uint8_t)bits[F_DOW];
	if (fs[F_DOM][0] == '*')
		c->cr_flags |= CRON_DOM_STAR;
	if (fs[F_DOW][0] == '*')
		c->cr_flags |= CRON_DOW_STAR;
	if ((c->cr_flags & (CRON_DOM_STAR | CRON_DOW_STAR)) == 0)
		return 0;	/* either day field may match: any week has */
	/* A day must match both: one of its days must exist in one of its
	 * months (February 29 does, in leap years). */
	for (ok = 0, m = 1; !ok && m <= 12; m++)
		for (d = 1; !ok && d <= month_days(2000, m); d++)
			ok = (c->cr_mon >> m & 1) && (c->cr_dom >> d & 1);
	if (!ok)
		return cron_err(errstr, "day-of-month \"%.*s\" never falls in "
		    "month \"%.*s\": it would never run", (int)fl[F_DOM],
		    fs[F_DOM], (int)fl[F_MON], fs[F_MON]);
	return 0;
}

int
cron_parse(struct cron *c, const char *s, const char **errstr)
{
	size_t	i, len;

	while (*s == ' ' || *s == '\t')
		s++;
	if (*s != '@')
		return cron_fields_parse(c, s, errstr);
	len = strcspn(s, " \t");
	if (s[len + strspn(s + len, " \t")] != '\0')
		return cron_err(errstr, "\"%s\": an @alias stands alone", s);
	for (i = 0; i < sizeof(cron_aliases) / sizeof(cron_aliases[0]); i++)
		if (strlen(cron_aliases[i].a_name) == len &&
		    strncasecmp(s, cron_aliases[i].a_name, len) == 0)
			return cron_fields_parse(c, cron_aliases[i].a_expr,
			    errstr);
	if (len == 7 && strncasecmp(s, "@reboot", 7) == 0)
		return cron_err(errstr, "@reboot is not supported: a schedule "
		    "is a time of day");
	return cron_err(errstr, "unknown alias \"%.*s\" (@yearly @annually "
	    "@monthly @weekly @daily @midnight @hourly)", (int)len, s);
}

/*
 * Matching.
 */
static int
cron_day_ok(const struct cron *c, int64_t days, int d)
{
	int	dom = c->cr_dom >> d & 1, dow = c->cr_dow >> weekday(days) & 1;

	/* Vixie cron: a day field written with a star leaves the other in
	 * charge; when both are restricted, either one will do. */
	if (c->cr_flags & (CRON_DOM_STAR | CRON_DOW_STAR))
		return dom && dow;
	return dom || dow;
}

int
cron_matches(const struct cron *c, time_t t)
{
	int64_t	days, y;
	int	m, d, sec;

	days = civil_split(t, &y, &m, &d, &sec);
	return (c->cr_mon >> m & 1) && cron_day_ok(c, days, d) &&
	    (c->cr_hour >> (sec / 3600) & 1) &&
	    (c->cr_min >> (sec % 3600 / 60) & 1);
}

/* The lowest bit of bits at or above `from`; -1 when there is none. */
static int
next_bit(uint64_t bits, int from, int last)
{
	for (; from <= last; from++)
		if (bits >> from & 1)
			return from;
	return -1;
}

time_t
cron_next(const struct cron *c, time_t after)
{
	int64_t	t, days, y;
	int	mon, d, h, mi, md, v;

	if (after < 0 || after >= CRON_TIME_MAX)
		return -1;
	t = (int64_t)after - (int64_t)after % 60 + 60;
	days = t / 86400;
	h = (int)(t % 86400 / 3600);
	mi = (int)(t % 3600 / 60);
	civil_from_days(days, &y, &mon, &d);
	for (;;) {
		if (y > 9999)
			return -1;
		if (!(c->cr_mon >> mon & 1)) {
			if ((v = next_bit(c->cr_mon, mon + 1, 12)) == -1) {
				y++;
				v = next_bit(c->cr_mon, 1, 12);
			}
			mon = v;
			d = 1;
			h = mi = 0;
			continue;
		}
		md = month_days(y, mon);
		days = days_from_civil(y, mon, d);
		while (d <= md && !cron_day_ok(c, days, d)) {
			d++;
			days++;
			h = mi = 0;
		}
		if (d > md) {
			if (++mon > 12) {
				mon = 1;
				y++;
			}
			d = 1;
			h = mi = 0;
			continue;
		}
		if ((v = next_bit(c->cr_hour, h, 23)) == -1) {
			d++;		/* past the month: the check above */
			h = mi = 0;
			continue;
		}
		if (v != h) {
			h = v;
			mi = 0;
		}
		if ((v = next_bit(c->cr_min, mi, 59)) == -1) {
			if (++h == 24) {
				d++;
				h = 0;
			}
			mi = 0;
			continue;
		}
		mi = v;
		t = days * 86400 + h * 3600 + mi * 60;
		return t > (int64_t)CRON_TIME_MAX ? -1 : (time_t)t;
	}
}

/*
 * Printing.
 */

/* Append to buf[*off ..) what fits; buf stays NUL-terminated. */
__attribute__((format(printf, 4, 5)))
static void
cron_put(char *buf, size_t len, size_t *off, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	if (*off >= len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *off, len - *off, fmt, ap);
	va_end(ap);
	if (n > 0)
		*off = *off + (size_t)n < len ? *off + (size_t)n : len - 1;
}

/* bits as "a-b,c,d": runs of three or more as ranges. */
static void
cron_list(char *buf, size_t len, size_t *off, uint64_t bits, int lo, int hi,
    int comma)
{
	int	v, e;

	for (v = lo; v <= hi; v = e + 1) {
		if (!(bits >> v & 1)) {
			e = v;
			continue;
		}
		for (e = v; e + 1 <= hi && (bits >> (e + 1) & 1); e++)
			;
		if (e - v >= 2)
			cron_put(buf, len, off, "%s%d-%d", comma ? "," : "", v,
			    e);
		else if (e > v)
			cron_put(buf, len, off, "%s%d,%d", comma ? "," : "", v,
			    e);
		else
			cron_put(buf, len, off, "%s%d", comma ? "," : "", v);
		comma = 1;
	}
}

/*
 * A field with a star in front where the day fields had one (and where
 * the others can have one: for them a star means nothing more than its
 * values).  A day field written without one stays a plain list.
 */
static void
cron_field_format(char *buf, size_t len, size_t *off, const struct
    cron_field *f, uint64_t bits, int star)
{
	uint64_t	prog;
	int		step, v, span = f->cf_star_hi - f->cf_lo + 1;

	if (star == -1) {
		cron_list(buf, len, off, bits, f->cf_lo, f->cf_star_hi, 0);
		return;
	}
	/* The set is "*" or "*" "/N" (both hold cf_lo; a lone value is
	 * clearer as itself), or with a star it is a star naming cf_lo
	 * alone (step span) and a list. */
	for (step = 1; step < span + (star == 1); step++) {
		for (prog = 0, v = f->cf_lo; v <= f->cf_star_hi; v += step)
			prog |= 1ULL << v;
		if (prog == bits) {
			cron_put(buf, len, off, step == 1 ? "*" : "*/%d",
			    step);
			return;
		}
	}
	if (!star) {
		cron_list(buf, len, off, bits, f->cf_lo, f->cf_star_hi, 0);
		return;
	}
	cron_put(buf, len, off, "*/%d", span);
	cron_list(buf, len, off, bits & ~(1ULL << f->cf_lo), f->cf_lo,
	    f->cf_star_hi, 1);
}

void
cron_format(const struct cron *c, char *buf, size_t len)
{
	const uint64_t	bits[F_COUNT] = { c->cr_min, c->cr_hour, c->cr_dom,
	    c->cr_mon, c->cr_dow };
	size_t		off = 0;
	int		i, star;

	if (len == 0)
		return;
	buf[0] = '\0';
	for (i = 0; i < F_COUNT; i++) {
		if (i > 0)
			cron_put(buf, len, &off, " ");
		if (i == F_DOM)
			star = c->cr_flags & CRON_DOM_STAR ? 1 : -1;
		else if (i == F_DOW)
			star = c->cr_flags & CRON_DOW_STAR ? 1 : -1;
		else
			star = 0;
		cron_field_format(buf, len, &off, &cron_fields[i], bits[i],
		    star);
	}
}

void
cron_iso8601(time_t t, char *buf, size_t len)
{
	int64_t	y;
	int	m, d, sec;

	(void)civil_split(t, &y, &m, &d, &sec);
	(void)snprintf(buf, len, "%04lld-%02d-%02dT%02d:%02d:%02dZ",
	    (long long)y, m, d, sec / 3600, sec % 3600 / 60, sec % 60);
}
