/*
 * util.c -- strict parsers, clocks, descriptors and byte buffers.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

int
util_parse_int(const char *s, long long min, long long max, long long *out,
    const char **errstr)
{
	long long	 v = 0;
	int		 neg = 0;
	const char	*p = s;

	if (s == NULL || *s == '\0') {
		*errstr = "empty";
		return -1;
	}
	if (*p == '-') {
		neg = 1;
		p++;
	}
	if (!isdigit((unsigned char)*p)) {
		*errstr = "not a number";
		return -1;
	}
	/* Decimal only: "042" is 42, never octal as strtol(.., 0) reads it. */
	for (; isdigit((unsigned char)*p); p++) {
		if (v > (LLONG_MAX - (*p - '0')) / 10) {
			*errstr = neg ? "too small" : "too large";
			return -1;
		}
		v = v * 10 + (*p - '0');
	}
	if (*p != '\0') {
		*errstr = "not a number";
		return -1;
	}
	if (neg)
		v = -v;
	if (v < min) {
		*errstr = "too small";
		return -1;
	}
	if (v > max) {
		*errstr = "too large";
		return -1;
	}
	*out = v;
	return 0;
}

/* Split "10ms" into the number 10 and the unit "ms". */
static int
util_number_unit(const char *s, uint64_t *num, const char **unit,
    const char **errstr)
{
	uint64_t	 v = 0;
	const char	*p = s;

	if (s == NULL || !isdigit((unsigned char)*s)) {
		*errstr = "not a number";
		return -1;
	}
	for (; isdigit((unsigned char)*p); p++) {
		if (v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10) {
			*errstr = "too large";
			return -1;
		}
		v = v * 10 + (uint64_t)(*p - '0');
	}
	*num = v;
	*unit = p;
	return 0;
}

int
util_parse_duration(const char *s, uint64_t *ms, const char **errstr)
{
	const uint64_t	 max = 30ULL * 24 * 3600 * 1000;
	uint64_t	 v, mul;
	const char	*unit;

	if (util_number_unit(s, &v, &unit, errstr) == -1) {
		*errstr = "bad duration (units: ms s m h)";
		return -1;
	}
	if (strcasecmp(unit, "ms") == 0)
		mul = 1;
	else if (*unit == '\0' || strcasecmp(unit, "s") == 0)
		mul = 1000;
	else if (strcasecmp(unit, "m") == 0)
		mul = 60 * 1000;
	else if (strcasecmp(unit, "h") == 0)
		mul = 3600 * 1000;
	else {
		*errstr = "bad duration (units: ms s m h)";
		return -1;
	}
	if (v > max / mul) {
		*errstr = "duration too large (at most 30 days)";
		return -1;
	}
	*ms = v * mul;
	return 0;
}

int
util_parse_size(const char *s, uint64_t *bytes, const char **errstr)
{
	const uint64_t	 max = 1ULL << 40;
	uint64_t	 v, mul;
	const char	*unit;

	if (util_number_unit(s, &v, &unit, errstr) == -1) {
		*errstr = "bad size (units: k m g)";
		return -1;
	}
	if (*unit == '\0')
		mul = 1;
	else if (strcasecmp(unit, "k") == 0)
		mul = 1ULL << 10;
	else if (strcasecmp(unit, "m") == 0)
		mul = 1ULL << 20;
	else if (strcasecmp(unit, "g") == 0)
		mul = 1ULL << 30;
	else {
		*errstr = "bad size (units: k m g)";
		return -1;
	}
	if (v > max / mul) {
		*errstr = "size too large (at most 1 TiB)";
		return -1;
	}
	*bytes = v * mul;
	return 0;
}

int
util_parse_bool(const char *s, int *out, const char **errstr)
{
	static const char *const yes[] = { "yes", "on", "true", "1" };
	static const char *const no[] = { "no", "off", "false", "0" };
	size_t	i;

	for (i = 0; s != NULL && i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	*errstr = "not a boolean (yes or no)";
	return -1;
}

void
util_strv_free(char **v)
{
	size_t	i;

	if (v == NULL)
		return;
	for (i = 0; v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

size_t
util_strv_len(char *const *v)
{
	size_t	n = 0;

	while (v != NULL && v[n] != NULL)
		n++;
	return n;
}

char **
util_split(const char *s, const char **errstr)
{
	char	**v = NULL, **nv, *w = NULL;
	size_t	 n = 0, wl;
	int	 quoted, inword;

	if ((v = calloc(1, sizeof(*v))) == NULL)
		goto nomem;
	if ((w = malloc(strlen(s) + 1)) == NULL)
		goto nomem;
	while (*s != '\0') {
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\0')
			break;
		wl = 0;
		quoted = 0;
		inword = 1;
		for (; *s != '\0' && inword; s++) {
			if (*s == '"')
				quoted = !quoted;
			else if (!quoted && (*s == ' ' || *s == '\t'))
				inword = 0;
			else
				w[wl++] = *s;
		}
		if (quoted) {
			*errstr = "unterminated quote";
			goto fail;
		}
		w[wl] = '\0';
		if ((nv = reallocarray(v, n + 2, sizeof(*v))) == NULL)
			goto nomem;
		v = nv;
		if ((v[n] = strdup(w)) == NULL)
			goto nomem;
		v[++n] = NULL;
	}
	free(w);
	return v;
nomem:
	*errstr = "out of memory";
fail:
	free(w);
	util_strv_free(v);
	return NULL;
}

static uint64_t
util_clock_us(clockid_t id)
{
	struct timespec	ts;

	(void)clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

uint64_t
util_now_us(void)
{
	return util_clock_us(CLOCK_MONOTONIC);
}

uint64_t
util_wall_us(void)
{
	return util_clock_us(CLOCK_REALTIME);
}

uint64_t
util_now_ms(void)
{
	return util_clock_us(CLOCK_MONOTONIC) / 1000;
}

void
fd_close(int *fd)
{
	int	saved = errno;

	if (*fd != -1) {
		(void)close(*fd);
		*fd = -1;
	}
	errno = saved;
}

void
fd_close_pair(int fds[2])
{
	fd_close(&fds[0]);
	fd_close(&fds[1]);
}

int
buf_reserve(struct buf *b, size_t n)
{
	unsigned char	*nd;
	size_t		 cap;

	if (b->b_cap - b->b_len >= n)
		return 0;
	/* Reuse the consumed front before growing. */
	if (b->b_off > 0) {
		buf_compact(b);
		if (b->b_cap - b->b_len >= n)
			return 0;
	}
	if (n > SIZE_MAX / 2 - b->b_len) {
		errno = ENOMEM;
		return -1;
	}
	cap = b->b_cap ? b->b_cap : 256;
	while (cap - b->b_len < n)
		cap *= 2;
	if ((nd = realloc(b->b_data, cap)) == NULL)
		return -1;
	b->b_data = nd;
	b->b_cap = cap;
	return 0;
}

int
buf_append(struct buf *b, const void *p, size_t n)
{
	if (n == 0)
		return 0;
	if (buf_reserve(b, n) == -1)
		return -1;
	memcpy(b->b_data + b->b_len, p, n);
	b->b_len += n;
	return 0;
}

int
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || buf_reserve(b, (size_t)n + 1) == -1)
		return -1;
	va_start(ap, fmt);
	(void)vsnprintf((char *)b->b_data + b->b_len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->b_len += (size_t)n;
	return 0;
}

void
buf_json_str(struct buf *b, const char *s)
{
	(void)buf_append(b, "\"", 1);
	for (; s != NULL && *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			(void)buf_printf(b, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			(void)buf_printf(b, "\\u%04x", (unsigned char)*s);
		else
			(void)buf_append(b, s, 1);
	}
	(void)buf_append(b, "\"", 1);
}

void
buf_consume(struct buf *b, size_t n)
{
	b->b_off += n;
	if (b->b_off >= b->b_len)
		b->b_off = b->b_len = 0;
}

void
buf_lines(struct buf *b, const void *data, size_t len, int flush,
    size_t max, void (*fn)(void *, const char *, size_t), void *arg)
{
	char	*p, *nl;
	size_t	 n;

	if (len > 0 && buf_append(b, data, len) == -1)
		flush = 1;		/* no room: say what there is */
	if (b->b_data == NULL)
		return;
	p = (char *)b->b_data + b->b_off;
	n = b->b_len - b->b_off;
	while ((nl = memchr(p, '\n', n)) != NULL) {
		fn(arg, p, (size_t)(nl - p));
		n -= (size_t)(nl - p) + 1;
		p = nl + 1;
	}
	if (n > 0 && (flush || n > max)) {
		fn(arg, p, n);
		n = 0;
	}
	b->b_off = b->b_len - n;
	buf_compact(b);
	if (b->b_len == 0)
		buf_free(b);
}

size_t
buf_avail(const struct buf *b)
{
	return b->b_len - b->b_off;
}

void
buf_compact(struct buf *b)
{
	if (b->b_off == 0)
		return;
	memmove(b->b_data, b->b_data + b->b_off, b->b_len - b->b_off);
	b->b_len -= b->b_off;
	b->b_off = 0;
}

void
buf_reset(struct buf *b)
{
	b->b_len = b->b_off = 0;
}

void
buf_free(struct buf *b)
{
	free(b->b_data);
	b->b_data = NULL;
	b->b_len = b->b_off = b->b_cap = 0;
}

int
util_price_ok(const char *s)
{
	size_t	 i, frac = 0;
	int	 dot = 0;

	if (s == NULL || *s == '\0' || *s == '.')
		return 0;
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] == '.' && !dot)
			dot = 1;
		else if (s[i] < '0' || s[i] > '9')
			return 0;
		else if (dot)
			frac++;
	}
	return i <= 24 && frac <= 12 && s[i - 1] != '.';
}
