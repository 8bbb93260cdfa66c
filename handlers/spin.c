/*
 * spin -- burns ms=N milliseconds of CPU time (default 300), measured
 * with CLOCK_PROCESS_CPUTIME_ID, then answers 200 "spun N ms".  The
 * fixture for the cpu= limit and for cpu_user_us in the usage rows.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PROG	"spin"

/* Write all of buf to stdout; exit if the reader went away (EPIPE). */
static void
xwrite(const void *buf, size_t len)
{
	const char	*p = buf;
	ssize_t		 n;

	while (len > 0) {
		if ((n = write(STDOUT_FILENO, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			if (errno != EPIPE)
				perror(PROG ": write");
			exit(1);
		}
		p += n;
		len -= (size_t)n;
	}
}

static void
xputs(const char *s)
{
	xwrite(s, strlen(s));
}

static void	say(const char *, ...) __attribute__((format(printf, 1, 2)));

/* printf to stdout through xwrite; a line longer than 4 KiB is cut. */
static void
say(const char *fmt, ...)
{
	char	 buf[4096];
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		exit(1);
	xwrite(buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Copy the value of key in QUERY_STRING into buf, percent-decoded ('+'
 * is a space).  Returns the value's length, or -1 when key is absent,
 * the value does not fit in size bytes or holds a NUL.
 */
static int
qs_get(const char *key, char *buf, size_t size)
{
	const char	*qs, *p, *end, *eq;
	size_t		 klen, n;
	int		 c, hi, lo;

	if ((qs = getenv("QUERY_STRING")) == NULL)
		return -1;
	klen = strlen(key);
	for (p = qs; *p != '\0'; p = *end == '\0' ? end : end + 1) {
		end = p + strcspn(p, "&");
		if ((eq = memchr(p, '=', (size_t)(end - p))) == NULL)
			eq = end;
		if ((size_t)(eq - p) != klen || strncmp(p, key, klen) != 0)
			continue;
		for (n = 0, p = eq == end ? end : eq + 1; p < end; p++) {
			hi = end - p >= 3 ? hexval(p[1]) : -1;
			lo = end - p >= 3 ? hexval(p[2]) : -1;
			if (*p == '%' && hi >= 0 && lo >= 0) {
				c = hi * 16 + lo;
				p += 2;
			} else
				c = *p == '+' ? ' ' : (unsigned char)*p;
			if (c == 0 || n + 1 >= size)
				return -1;
			buf[n++] = (char)c;
		}
		buf[n] = '\0';
		return (int)n;
	}
	return -1;
}

/*
 * The number in query parameter key, def when absent, -1 when it is not
 * a decimal number in [0, max].
 */
static long long
qs_num(const char *key, long long def, long long max)
{
	char		 buf[32], *ep;
	long long	 v;

	if (qs_get(key, buf, sizeof(buf)) == -1)
		return def;
	if (buf[0] < '0' || buf[0] > '9')
		return -1;
	errno = 0;
	v = strtoll(buf, &ep, 10);
	if (errno != 0 || *ep != '\0' || v > max)
		return -1;
	return v;
}

/*
 * How many body bytes to read from stdin: CONTENT_LENGTH when set
 * (RFC 3875 4.1.2), else up to EOF (-1), except on a terminal (0), so
 * that the handler can be run by hand.
 */
static long long
body_length(void)
{
	const char	*cl;
	char		*ep;
	long long	 v;

	if ((cl = getenv("CONTENT_LENGTH")) == NULL || *cl == '\0')
		return isatty(STDIN_FILENO) ? 0 : -1;
	errno = 0;
	v = strtoll(cl, &ep, 10);
	if (errno != 0 || *ep != '\0' || v < 0)
		return 0;
	return v;
}

/* Read and discard the request body. */
static void
body_discard(void)
{
	static char	 buf[65536];
	long long	 left;
	ssize_t		 n;
	size_t		 want;

	left = body_length();
	while (left != 0) {
		want = left < 0 || left > (long long)sizeof(buf) ?
		    sizeof(buf) : (size_t)left;
		if ((n = read(STDIN_FILENO, buf, want)) == -1) {
			if (errno == EINTR)
				continue;
			return;
		}
		if (n == 0)
			return;
		if (left > 0)
			left -= n;
	}
}

static long long
cpu_ns(void)
{
	struct timespec	 ts;

	if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) == -1) {
		perror(PROG ": clock_gettime");
		exit(1);
	}
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int
main(void)
{
	volatile unsigned long	 sink = 0;
	long long		 ms, start;
	unsigned long		 i;

	(void)signal(SIGPIPE, SIG_IGN);
	body_discard();
	if ((ms = qs_num("ms", 300, 86400000LL)) == -1) {
		xputs("Status: 400 Bad Request\nContent-Type: text/plain\n\n"
		    "ms: a number of milliseconds, at most a day\n");
		return 0;
	}
	start = cpu_ns();
	while (cpu_ns() - start < ms * 1000000LL)
		for (i = 0; i < 10000; i++)
			sink += i;
	(void)sink;
	say("Content-Type: text/plain\n\nspun %lld ms\n", ms);
	return 0;
}
