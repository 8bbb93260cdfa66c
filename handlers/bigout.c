/*
 * bigout -- answers 200 application/octet-stream with bytes=N bytes
 * (default 52428800, 50 MiB) in 64 KiB writes.  Byte i of the body is
 * PATTERN[i % 64], so a test can check what arrived.  The fixture for
 * streaming, backpressure and max_output.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PROG	"bigout"

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

#define PATTERN	\
	"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-\n"

int
main(void)
{
	static char	 buf[65536];
	long long	 left;
	size_t		 i, n;

	(void)signal(SIGPIPE, SIG_IGN);
	body_discard();
	if ((left = qs_num("bytes", 52428800LL, 1LL << 40)) == -1) {
		xputs("Status: 400 Bad Request\nContent-Type: text/plain\n\n"
		    "bytes: a number of bytes, at most 1 TiB\n");
		return 0;
	}
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = PATTERN[i % (sizeof(PATTERN) - 1)];
	xputs("Content-Type: application/octet-stream\n\n");
	while (left > 0) {
		n = left > (long long)sizeof(buf) ? sizeof(buf) : (size_t)left;
		xwrite(buf, n);
		left -= (long long)n;
	}
	return 0;
}
