/*
 * echo -- shows the request as the function sees it.
 *
 * Plain: 200 text/plain, one line per CGI variable (method=, script_name=,
 * path_info=, query=, content_length=, content_type=, request_uri=), then
 * "body=" with the body bytes read from stdin and a final newline.
 * With raw=1 in the query: 200 application/octet-stream, the body copied
 * back in 64 KiB chunks as it arrives (the fixture for streaming large
 * bodies both ways).  At most CONTENT_LENGTH bytes are read when it is
 * set; otherwise stdin is read to its end.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PROG	"echo"

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

static const char *
env_get(const char *name)
{
	const char	*v;

	return (v = getenv(name)) == NULL ? "" : v;
}

/* Copy the request body (see body_length()) from stdin to stdout. */
static void
body_copy(void)
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
			perror(PROG ": read");
			exit(1);
		}
		if (n == 0)
			return;
		xwrite(buf, (size_t)n);
		if (left > 0)
			left -= n;
	}
}

int
main(void)
{
	char	 raw[8];

	(void)signal(SIGPIPE, SIG_IGN);
	if (qs_get("raw", raw, sizeof(raw)) != -1 && strcmp(raw, "1") == 0) {
		xputs("Content-Type: application/octet-stream\n\n");
		body_copy();
		return 0;
	}
	xputs("Content-Type: text/plain\n\n");
	say("method=%s\n", env_get("REQUEST_METHOD"));
	say("script_name=%s\n", env_get("SCRIPT_NAME"));
	say("path_info=%s\n", env_get("PATH_INFO"));
	say("query=%s\n", env_get("QUERY_STRING"));
	say("content_length=%s\n", env_get("CONTENT_LENGTH"));
	say("content_type=%s\n", env_get("CONTENT_TYPE"));
	say("request_uri=%s\n", env_get("REQUEST_URI"));
	xputs("body=");
	body_copy();
	xputs("\n");
	return 0;
}
