/*
 * cron_test.c -- cron.h: known expressions and their next run times,
 * the refusals with their reasons, the canonical form, and random
 * expressions checked against a plain search that uses the C library's
 * calendar (gmtime_r) instead of cron.c's own.
 */
#include "cron.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tap.h"

/* "YYYY-MM-DDTHH:MM[:SS]" in UTC to epoch seconds (libc's timegm). */
static time_t
at(const char *s)
{
	struct tm	tm;
	int		sec = 0;

	memset(&tm, 0, sizeof(tm));
	if (sscanf(s, "%d-%d-%dT%d:%d:%d", &tm.tm_year, &tm.tm_mon,
	    &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &sec) < 5)
		abort();
	tm.tm_year -= 1900;
	tm.tm_mon--;
	tm.tm_sec = sec;
	return timegm(&tm);
}

static void
next_is(const char *expr, const char *after, const char *want)
{
	struct cron	 c;
	const char	*errstr = NULL;
	char		 got[32] = "(none)";
	time_t		 t;

	if (cron_parse(&c, expr, &errstr) == -1) {
		ok(0, "\"%s\" parses (%s)", expr, errstr);
		return;
	}
	if ((t = cron_next(&c, at(after))) != -1)
		cron_iso8601(t, got, sizeof(got));
	ok(t == at(want) && cron_matches(&c, t), "\"%s\" after %s: %s "
	    "(got %s)", expr, after, want, got);
}

static void
bad(const char *expr, const char *what)
{
	struct cron	 c;
	const char	*errstr = NULL;

	ok(cron_parse(&c, expr, &errstr) == -1 && errstr != NULL &&
	    strstr(errstr, what) != NULL, "\"%s\" is refused: %s",
	    expr, errstr != NULL ? errstr : "(accepted)");
}

static void
canon(const char *expr, const char *want)
{
	struct cron	 c, c2;
	const char	*errstr = NULL;
	char		 buf[CRON_FORMAT_MAX];

	buf[0] = '\0';
	if (cron_parse(&c, expr, &errstr) == 0)
		cron_format(&c, buf, sizeof(buf));
	ok(strcmp(buf, want) == 0 && cron_parse(&c2, buf, &errstr) == 0 &&
	    memcmp(&c, &c2, sizeof(c)) == 0, "\"%s\" prints as \"%s\" "
	    "(got \"%s\")", expr, want, buf);
}

static void
test_known(void)
{
	const char	*mon = "2024-01-15T10:30";	/* a Monday */

	next_is("* * * * *", mon, "2024-01-15T10:31");
	next_is("* * * * *", "2024-01-15T10:30:59", "2024-01-15T10:31");
	next_is("* * * * *", "2024-01-15T10:29:01", "2024-01-15T10:30");
	next_is("*/5 * * * *", mon, "2024-01-15T10:35");
	next_is("0 * * * *", mon, "2024-01-15T11:00");
	next_is("@hourly", mon, "2024-01-15T11:00");
	next_is("@daily", mon, "2024-01-16T00:00");
	next_is("@midnight", mon, "2024-01-16T00:00");
	next_is("@weekly", mon, "2024-01-21T00:00");
	next_is("@monthly", mon, "2024-02-01T00:00");
	next_is("@yearly", mon, "2025-01-01T00:00");
	next_is("@ANNUALLY", mon, "2025-01-01T00:00");
	next_is("  @daily  ", mon, "2024-01-16T00:00");
	next_is("30 10 * * *", mon, "2024-01-16T10:30");
	next_is("31 10 * * *", mon, "2024-01-15T10:31");
	next_is("0 9 * * mon-fri", "2024-01-19T09:00", "2024-01-22T09:00");
	next_is("0 22 * * 1-5", mon, "2024-01-15T22:00");
	next_is("23 0-20/2 * * *", mon, "2024-01-15T12:23");
	next_is("5 4 * * sun", mon, "2024-01-21T04:05");
	next_is("0 12 * * SAT", mon, "2024-01-20T12:00");
	next_is("0 0 * * 7", mon, "2024-01-21T00:00");
	next_is("0 0 * * 5-7", mon, "2024-01-19T00:00");
	next_is("5/15 * * * *", mon, "2024-01-15T10:35");
	next_is("15 14 1 * *", mon, "2024-02-01T14:15");
	next_is("0 4 8-14 * *", mon, "2024-02-08T04:00");
	next_is("0 0,12 1 */2 *", mon, "2024-03-01T00:00");
	next_is("0 0 1 jan,jul *", mon, "2024-07-01T00:00");
	next_is("0 0 1 JUL-Aug *", mon, "2024-07-01T00:00");
	next_is("59 23 31 12 *", "2024-12-31T23:59", "2025-12-31T23:59");
	next_is("0 0 31 * *", "2024-01-31T00:00", "2024-03-31T00:00");
	next_is("0 0 30 * *", "2024-01-30T00:00", "2024-03-30T00:00");
	/* Leap days; 2100 is not a leap year. */
	next_is("0 0 29 2 *", "2024-03-01T00:00", "2028-02-29T00:00");
	next_is("0 0 29 2 *", "2096-03-01T00:00", "2104-02-29T00:00");
	next_is("0 0 28-29 2 *", "2023-02-28T00:00", "2024-02-28T00:00");
	next_is("0 0 29 2 *", "1999-12-31T23:59:59", "2000-02-29T00:00");
	/* Vixie's rule: both day fields restricted, either one matches... */
	next_is("0 0 13 * 5", mon, "2024-01-19T00:00");
	next_is("0 0 1 * 0,7", mon, "2024-01-21T00:00");
	next_is("0 0 30 2 1", mon, "2024-02-05T00:00");
	/* ... one written with a star, both must. */
	next_is("0 0 13 * *", mon, "2024-02-13T00:00");
	next_is("0 0 */2 * 5", "2024-01-19T00:00", "2024-02-09T00:00");
	next_is("0 0 29 2 */7", mon, "2032-02-29T00:00");	/* a Sunday */
	/* Ends of ranges and the far future. */
	next_is("* * * * *", "1970-01-01T00:00", "1970-01-01T00:01");
	next_is("0 0 1 1 *", "9998-06-01T00:00", "9999-01-01T00:00");
	next_is("59 23 31 12 *", "9999-12-31T23:58", "9999-12-31T23:59");
	next_is("\t0\t0  1 1\t* ", mon, "2025-01-01T00:00");
}

static void
test_none(void)
{
	struct cron	 c;
	const char	*errstr = NULL;

	ok(cron_parse(&c, "0 0 1 1 *", &errstr) == 0 &&
	    cron_next(&c, at("9999-06-01T00:00")) == -1,
	    "no next run past year 9999");
	ok(cron_next(&c, -1) == -1 && cron_next(&c, CRON_TIME_MAX) == -1,
	    "a time out of range has no next run");
}

static void
test_bad(void)
{
	bad("* * *", "3 fields, not 5");
	bad("", "0 fields");
	bad("* * * * * *", "6 fields");
	bad("60 * * * *", "minute: 60 is not in 0-59");
	bad("* 24 * * *", "hour: 24 is not in 0-23");
	bad("* * 0 * *", "day-of-month: 0 is not in 1-31");
	bad("* * 32 * *", "day-of-month: 32");
	bad("* * * 13 *", "month: 13 is not in 1-12");
	bad("* * * 0 *", "month: 0");
	bad("* * * * 8", "day-of-week: 8 is not in 0-7");
	bad("0 0 30 2 *", "never");
	bad("0 0 31 2 *", "never");
	bad("0 0 31 4,6,9,11 *", "never");
	bad("0 0 30,31 feb *", "never");
	bad("5-1 * * * *", "backwards");
	bad("* * * * sat-sun", "backwards");
	bad("*/0 * * * *", "step");
	bad("*/61 * * * *", "step");
	bad("1-5/ * * * *", "step");
	bad("1,,2 * * * *", "expected a number");
	bad("1, * * * *", "ends in a comma");
	bad(",1 * * * *", "expected a number");
	bad("a * * * *", "expected a number");
	bad("* * * foo *", "unknown name");
	bad("* * * * monday", "unknown name");
	bad("* * * * mo", "expected a number or name");
	bad("jan * * * *", "expected a number");
	bad("*/5x * * * *", "unexpected");
	bad("1-2-3 * * * *", "unexpected");
	bad("*-5 * * * *", "unexpected");
	bad("99999 * * * *", "too long");
	bad("-1 * * * *", "expected a number");
	bad("@reboot", "not supported");
	bad("@every 5m", "stands alone");
	bad("@hourly *", "stands alone");
	bad("@fortnightly", "unknown alias");
	bad("@", "unknown alias");
}

static void
test_canon(void)
{
	canon("*/5 * * * *", "*/5 * * * *");
	canon("0 9 * * mon-fri", "0 9 * * 1-5");
	canon("0 0 1 * 0,7", "0 0 1 * 0");
	canon("0 0 * * 5-7", "0 0 * * 0,5,6");
	canon("@weekly", "0 0 * * 0");
	canon("@hourly", "0 * * * *");
	canon("1,2,3,5,7,8 * * * *", "1-3,5,7,8 * * * *");
	canon("1-59/2 * * * *", "1,3,5,7,9,11,13,15,17,19,21,23,25,27,29,"
	    "31,33,35,37,39,41,43,45,47,49,51,53,55,57,59 * * * *");
	canon("* * */10,5 * *", "* * */31,5,11,21,31 * *");
	canon("* * 1-31 * *", "* * 1-31 * *");
	canon("* * * * */7", "* * * * */7");
	canon("* * * * *,3", "* * * * *");
	canon("* * * * 3,*/7", "* * * * 0,3");
	canon("0-59/2 0/6 * 1-12 *", "*/2 */6 * * *");
	canon("0 0 29 2 */7", "0 0 29 2 */7");
}

/*
 * The plain search: minute by minute through libc's calendar, skipping
 * a whole day (or hour) when it cannot match.  Up to `limit`; -1 past.
 */
static time_t
ref_next(const struct cron *c, time_t after, time_t limit)
{
	struct tm	tm;
	time_t		t = after - after % 60 + 60;
	int		dom, dow;

	while (t <= limit) {
		if (gmtime_r(&t, &tm) == NULL)
			abort();
		dom = c->cr_dom >> tm.tm_mday & 1;
		dow = c->cr_dow >> tm.tm_wday & 1;
		if (!(c->cr_mon >> (tm.tm_mon + 1) & 1) ||
		    !((c->cr_flags & (CRON_DOM_STAR | CRON_DOW_STAR)) ?
		    dom && dow : dom || dow)) {
			t = t - t % 86400 + 86400;
			continue;
		}
		if (!(c->cr_hour >> tm.tm_hour & 1)) {
			t = t - t % 3600 + 3600;
			continue;
		}
		if (c->cr_min >> tm.tm_min & 1)
			return t;
		t += 60;
	}
	return -1;
}

static unsigned long	rnd_state = 20240115;

static int
rnd(int n)
{
	rnd_state = rnd_state * 6364136223846793005UL + 1442695040888963407UL;
	return (int)((rnd_state >> 33) % (unsigned long)n);
}

static void
rnd_field(char *out, size_t len, int lo, int hi)
{
	size_t	off = 0;
	int	n = 1 + (rnd(3) == 0 ? rnd(3) : 0), i, a, b;

	out[0] = '\0';
	for (i = 0; i < n; i++) {
		a = lo + rnd(hi - lo + 1);
		b = a + rnd(hi - a + 1);
		if (i > 0)
			off += (size_t)snprintf(out + off, len - off, ",");
		switch (rnd(i == 0 ? 6 : 4)) {
		case 0:
			off += (size_t)snprintf(out + off, len - off, "%d", a);
			break;
		case 1:
			off += (size_t)snprintf(out + off, len - off, "%d-%d",
			    a, b);
			break;
		case 2:
			off += (size_t)snprintf(out + off, len - off,
			    "%d-%d/%d", a, b, 1 + rnd(hi - lo + 1));
			break;
		case 3:
			off += (size_t)snprintf(out + off, len - off, "%d/%d",
			    a, 1 + rnd(hi - lo + 1));
			break;
		case 4:
			off += (size_t)snprintf(out + off, len - off, "*");
			break;
		default:
			off += (size_t)snprintf(out + off, len - off, "*/%d",
			    1 + rnd(hi - lo));
			break;
		}
	}
}

static void
test_random(void)
{
	struct cron	 c, c2;
	const char	*errstr;
	char		 f[5][64], expr[400], buf[CRON_FORMAT_MAX];
	time_t		 after, got, want, limit;
	int		 i, j, parsed = 0, same = 0, canon_ok = 0;

	for (i = 0; i < 3000; i++) {
		rnd_field(f[0], sizeof(f[0]), 0, 59);
		rnd_field(f[1], sizeof(f[1]), 0, 23);
		rnd_field(f[2], sizeof(f[2]), 1, 31);
		rnd_field(f[3], sizeof(f[3]), 1, 12);
		rnd_field(f[4], sizeof(f[4]), 0, 7);
		(void)snprintf(expr, sizeof(expr), "%s %s %s %s %s", f[0], f[1],
		    f[2], f[3], f[4]);
		if (cron_parse(&c, expr, &errstr) == -1)
			continue;
		parsed++;
		cron_format(&c, buf, sizeof(buf));
		if (cron_parse(&c2, buf, &errstr) == 0 &&
		    memcmp(&c, &c2, sizeof(c)) == 0)
			canon_ok++;
		else
			diag("\"%s\" printed as \"%s\" does not read back",
			    expr, buf);
		after = at("2020-01-01T00:00") + (time_t)rnd(20 * 366) * 86400 +
		    rnd(86400);
		limit = after + 60LL * 366 * 86400;
		for (j = 0; j < 3; j++) {
			got = cron_next(&c, after);
			want = ref_next(&c, after, limit);
			if (want == -1 && got > limit)
				want = got;	/* beyond the plain search */
			if (got != want || (got != -1 && !cron_matches(&c,
			    got))) {
				diag("\"%s\" after %lld: got %lld, want %lld",
				    expr, (long long)after, (long long)got,
				    (long long)want);
				break;
			}
			if (got == -1)
				break;
			after = got + rnd(2) * rnd(60);
		}
		same += j == 3 || got == -1;
	}
	ok(parsed > 1000, "random expressions: %d of 3000 parse", parsed);
	ok(canon_ok == parsed, "each prints in a form that reads back (%d)",
	    canon_ok);
	ok(same == parsed, "cron_next agrees with a plain search (%d of %d)",
	    same, parsed);
}

static void
test_iso(void)
{
	char	buf[32];

	cron_iso8601(0, buf, sizeof(buf));
	ok(strcmp(buf, "1970-01-01T00:00:00Z") == 0, "epoch: %s", buf);
	cron_iso8601(at("2024-02-29T23:59:58"), buf, sizeof(buf));
	ok(strcmp(buf, "2024-02-29T23:59:58Z") == 0, "leap day: %s", buf);
	cron_iso8601(CRON_TIME_MAX, buf, sizeof(buf));
	ok(strcmp(buf, "9999-12-31T23:59:59Z") == 0, "the end: %s", buf);
}

int
main(void)
{
	test_known();
	test_none();
	test_bad();
	test_canon();
	test_random();
	test_iso();
	return done_testing();
}
