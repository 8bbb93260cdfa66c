/*
 * util.h -- small helpers every module shares: strict number, duration
 * and size parsing, clocks, descriptors, and a growable byte buffer.
 *
 * Nothing here logs, blocks or keeps global state.  The parsers never
 * accept trailing garbage, signs or overflow (iniparser's integer getters
 * read "042" as 34; we never use them).
 */
#ifndef UTIL_H
#define UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * Parse a decimal integer in [min, max].  Returns 0 and sets *out, or -1
 * with *errstr set to a static description ("not a number", "too large",
 * "too small").
 */
int		 util_parse_int(const char *, long long, long long, long long *,
		    const char **);

/*
 * Durations: "250ms", "10s", "5m", "1h", or a bare number of seconds.
 * Result in milliseconds, at most 30 days.  -1 plus *errstr on error.
 */
int		 util_parse_duration(const char *, uint64_t *, const char **);

/*
 * Sizes: "512", "64k", "128m", "1g" (k = 1024; bare number: bytes),
 * case-insensitive unit, at most 1 TiB.  -1 plus *errstr on error.
 */
int		 util_parse_size(const char *, uint64_t *, const char **);

/* Boolean "yes"/"no", "on"/"off", "true"/"false", "1"/"0". */
int		 util_parse_bool(const char *, int *, const char **);

/*
 * Split a value on spaces into a NULL-terminated, malloc'ed vector; a
 * double-quoted part keeps its spaces (quotes removed).  Free with
 * util_strv_free().  NULL plus *errstr on an unterminated quote.
 */
char		**util_split(const char *, const char **);
void		 util_strv_free(char **);
size_t		 util_strv_len(char *const *);

uint64_t	 util_now_us(void);	/* CLOCK_MONOTONIC, microseconds */
uint64_t	 util_wall_us(void);	/* CLOCK_REALTIME, microseconds */
uint64_t	 util_now_ms(void);	/* CLOCK_MONOTONIC, milliseconds */

/* Close *fd if it is open and set it to -1; keeps errno. */
void		 fd_close(int *);
void		 fd_close_pair(int [2]);

/*
 * A growable byte buffer.  b_off is the read position: data lives in
 * b_data[b_off .. b_len).  buf_free() leaves the struct reusable.
 */
struct buf {
	unsigned char	*b_data;
	size_t		 b_len;
	size_t		 b_off;
	size_t		 b_cap;
};

int		 buf_reserve(struct buf *, size_t);	/* room for n more */
int		 buf_append(struct buf *, const void *, size_t);
int		 buf_printf(struct buf *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
/* Append s as a JSON string, quoted, with " \\ and controls escaped. */
void		 buf_json_str(struct buf *, const char *);
void		 buf_consume(struct buf *, size_t);	/* advance b_off */
/*
 * Append data to b, then call fn(arg, line, len) for each complete line
 * in b (without its line end), for a partial line longer than max, and
 * with flush set for what is left; keeps the rest.
 */
void		 buf_lines(struct buf *, const void *, size_t, int, size_t,
		    void (*)(void *, const char *, size_t), void *);
size_t		 buf_avail(const struct buf *);		/* b_len - b_off */
void		 buf_compact(struct buf *);
void		 buf_reset(struct buf *);
void		 buf_free(struct buf *);

/*
 * A price as the ledger stores it and the report reads it: digits,
 * optionally '.' and at most 12 more digits, 24 characters at most.
 */
int		 util_price_ok(const char *);

#endif /* UTIL_H */
