/*
 * status -- answers the status and redirect asked for in the query:
 *
 *	code=N		Status: N (100 to 599; default 201)
 *	location=URL	Location: URL (percent-decoded); alone, without
 *			code=, the reply is the bare Location header, which
 *			the gateway turns into a 302 (RFC 3875 6.2.3)
 *
 * and a short text body (none for 204 and 304).
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PROG	"status"

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

static const char *
reason(long long code)
{
	switch (code) {
	case 200:	return "OK";
	case 201:	return "Created";
	case 202:	return "Accepted";
	case 204:	return "No Content";
	case 301:	return "Moved Permanently";
	case 302:	return "Found";
	case 303:	return "See Other";
	case 304:	return "Not Modified";
	case 307:	return "Temporary Redirect";
	case 308:	return "Permanent Redirect";
	case 400:	return "Bad Request";
	case 401:	return "Unauthorized";
	case 403:	return "Forbidden";
	case 404:	return "Not Found";
	case 409:	return "Conflict";
	case 418:	return "I'm a teapot";
	case 429:	return "Too Many Requests";
	case 500:	return "Internal Server Error";
	case 503:	return "Service Unavailable";
	default:	return "Status";
	}
}

/* A well-formed 400 for a bad query; does not return. */
static void
bad(const char *why)
{
	say("Status: 400 Bad Request\nContent-Type: text/plain\n\n%s\n", why);
	exit(0);
}

int
main(void)
{
	char		 loc[2048];
	const char	*p;
	long long	 code;
	int		 haveloc;

	(void)signal(SIGPIPE, SIG_IGN);
	if ((code = qs_num("code", 0, 999)) == -1 ||
	    (code != 0 && (code < 100 || code > 599)))
		bad("code: a status from 100 to 599");
	if ((haveloc = qs_get("location", loc, sizeof(loc)) > 0))
		for (p = loc; *p != '\0'; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				bad("location: no control characters");
	if (haveloc && code == 0) {
		say("Location: %s\n\n", loc);
		return 0;
	}
	if (code == 0)
		code = 201;
	say("Status: %lld %s\n", code, reason(code));
	if (haveloc)
		say("Location: %s\n", loc);
	if (code == 204 || code == 304) {
		xputs("\n");
		return 0;
	}
	say("Content-Type: text/plain\n\nstatus %lld\n", code);
	return 0;
}
