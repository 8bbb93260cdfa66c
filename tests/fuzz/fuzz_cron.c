/*
 * fuzz_cron.c -- cron_parse() on any string, and cron_next() from any
 * time.  The input is "SECONDS\nEXPRESSION" (or an expression alone,
 * from 2024-01-15T10:30Z).  A refusal always says why; an accepted
 * expression prints in a form that reads back to the same value, and
 * its next run is a later minute that matches, with no matching minute
 * before it (checked for the first 2000), and is found again from any
 * time in between.  Every accepted expression runs within 400 years
 * (the calendar's cycle), so only the end of time may have no next run.
 */
#include "cron.h"

#include <string.h>

#include "fuzz.h"

#define FUZZ_CRON_DEFAULT	((time_t)1705314600)
#define FUZZ_CRON_LAST_SURE	((time_t)240779520000LL) /* year 9600 */

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

static void
check_next(const struct cron *c, time_t after)
{
	time_t	next, t;

	next = cron_next(c, after);
	if (next == -1) {
		FUZZ_CHECK(after < 0 || after >= FUZZ_CRON_LAST_SURE);
		return;
	}
	FUZZ_CHECK(next > after && next % 60 == 0 && next <= CRON_TIME_MAX);
	FUZZ_CHECK(cron_matches(c, next));
	for (t = after - after % 60 + 60; t < next &&
	    t < after + 2000 * 60; t += 60)
		FUZZ_CHECK(!cron_matches(c, t));
	FUZZ_CHECK(cron_next(c, next - 1) == next);
	FUZZ_CHECK(cron_next(c, after + (next - after) / 2) == next);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cron	 c, c2;
	const char	*errstr = NULL, *nl, *expr;
	char		 s[1024], buf[CRON_FORMAT_MAX], buf2[CRON_FORMAT_MAX];
	time_t		 after = FUZZ_CRON_DEFAULT;
	long long	 v = 0;
	const char	*p;

	if (size >= sizeof(s))
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	expr = s;
	if ((nl = memchr(s, '\n', size)) != NULL) {
		for (p = s; p < nl && *p >= '0' && *p <= '9' &&
		    v < 1000000000000LL; p++)
			v = v * 10 + (*p - '0');
		after = (time_t)v;
		expr = nl + 1;
	}
	if (cron_parse(&c, expr, &errstr) == -1) {
		FUZZ_CHECK(errstr != NULL && *errstr != '\0');
		fuzz_touch(errstr, strlen(errstr));
		return 0;
	}
	FUZZ_CHECK(c.cr_min != 0 && c.cr_hour != 0 && c.cr_dom != 0 &&
	    c.cr_mon != 0 && c.cr_dow != 0);
	FUZZ_CHECK((c.cr_min >> 60) == 0 && (c.cr_hour >> 24) == 0 &&
	    (c.cr_dom & 1) == 0 && (c.cr_mon & 0xe001) == 0 &&
	    (c.cr_dow & 0x80) == 0);
	cron_format(&c, buf, sizeof(buf));
	FUZZ_CHECK(strlen(buf) < sizeof(buf) - 1);
	FUZZ_CHECK(cron_parse(&c2, buf, &errstr) == 0);
	FUZZ_CHECK(memcmp(&c, &c2, sizeof(c)) == 0);
	cron_format(&c2, buf2, sizeof(buf2));
	FUZZ_CHECK(strcmp(buf, buf2) == 0);
	check_next(&c, after);
	check_next(&c, FUZZ_CRON_DEFAULT);
	return 0;
}
