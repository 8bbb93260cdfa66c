/*
 * cron.h -- cron expressions: five fields (minute hour day-of-month
 * month day-of-week) or an @alias, and the next time one matches, in UTC.
 *
 * A parsed expression is a plain value (bit sets, no allocation); the
 * functions here keep no state, never block and never allocate, so any
 * thread may use them.
 */
#ifndef CRON_H
#define CRON_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Day-of-month and day-of-week written starting with '*' (Vixie cron:
 * then a day must match both; otherwise either one). */
#define CRON_DOM_STAR	0x1
#define CRON_DOW_STAR	0x2

struct cron {
	uint64_t	cr_min;		/* bit m: minute m, 0-59 */
	uint32_t	cr_hour;	/* bit h: hour h, 0-23 */
	uint32_t	cr_dom;		/* bit d: day d, 1-31 */
	uint16_t	cr_mon;		/* bit m: month m, 1-12 */
	uint8_t		cr_dow;		/* bit d: weekday d, 0-6 (0 Sunday) */
	uint8_t		cr_flags;	/* CRON_*_STAR */
};

/* The longest cron_format() output, with its NUL. */
#define CRON_FORMAT_MAX	512

/* The latest time cron_next() handles: 9999-12-31T23:59:59Z. */
#define CRON_TIME_MAX	((time_t)253402300799LL)

/*
 * Parse s: five fields separated by blanks, each a list of values,
 * ranges ("1-5"), steps ("1-30/2"; a star then /15; "5/10": 5 to the
 * field's last value), month names jan-dec and weekday names sun-sat
 * in any case, 0 or 7 for Sunday; or one of @yearly @annually @monthly
 * @weekly @daily @midnight @hourly.  A day-of-month that no month in the month
 * field has ("0 0 30 2 *") is refused: it would never run.
 * Returns 0 and fills *c, or -1 and *errstr (thread-local text, valid
 * until the next call) saying which field is wrong and why.
 */
int	cron_parse(struct cron *, const char *, const char **);

/*
 * The first time strictly after `after` (epoch seconds, UTC) that c
 * matches: always the start of a minute.  Skips by field (month, day,
 * hour, minute), so a yearly expression costs a few dozen steps.
 * Returns -1 when there is none up to CRON_TIME_MAX, or when after is
 * negative or later than that.
 */
time_t	cron_next(const struct cron *, time_t);

/* Whether c matches the minute that t (epoch seconds, UTC) falls in. */
int	cron_matches(const struct cron *, time_t);

/*
 * Write c in a canonical five-field form to buf (CRON_FORMAT_MAX bytes
 * suffice): ranges of three or more values as "a-b", and a star (with
 * a step) where it fits.  cron_parse() of it gives back c exactly.
 */
void	cron_format(const struct cron *, char *, size_t);

/* t as "YYYY-MM-DDTHH:MM:SSZ" in buf (at least 21 bytes). */
void	cron_iso8601(time_t, char *, size_t);

#endif /* CRON_H */
