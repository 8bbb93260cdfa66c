/*
 * cgi.h -- the example functions' tiny CGI toolkit (RFC 3875): a
 * function reads its request from the environment and stdin and writes
 * its reply, headers, a blank line and the body, to stdout.
 *
 * Header-only: define PROG (the function's name, for error messages),
 * then include this file.  Everything is static inline, so a function
 * that uses only some helpers still builds without warnings.
 *
 *	xwrite_fd()	write all of a buffer to a descriptor; exit(1) when
 *			the write fails (quietly if the reader went away,
 *			EPIPE, so ignore SIGPIPE first)
 *	xwrite(), xputs()
 *			the same, to stdout
 *	say()		printf to stdout in one write (at most 4 KiB)
 *	bad_request()	reply 400 text/plain with a reason and exit(0)
 *	qs_get()	a query-string parameter, percent-decoded
 *	qs_num()	a query-string parameter as a number in [0, max]
 *	body_length()	how many body bytes to read (CONTENT_LENGTH)
 *	body_discard()	read the request body and throw it away
 *	body_copy()	copy the request body to stdout
 */
#ifndef HANDLERS_CGI_H
#define HANDLERS_CGI_H

#ifndef PROG
#error "define PROG, the function's name, before including cgi.h"
#endif

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Write all of buf to fd; exit if the reader went away (EPIPE). */
static inline void
xwrite_fd(int fd, const void *buf, size_t len)
{
	const char	*p = buf;
	ssize_t		 n;

	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
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

static inline void
xwrite(const void *buf, size_t len)
{
	xwrite_fd(STDOUT_FILENO, buf, len);
}

static inline void
xputs(const char *s)
{
	xwrite(s, strlen(s));
}

static inline void	say(const char *, ...)
			    __attribute__((format(printf, 1, 2)));

/* printf to stdout through xwrite; a line longer than 4 KiB is cut. */
static inline void
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

/* A well-formed 400 for a bad query, why as its body; does not return. */
static inline void	bad_request(const char *) __attribute__((noreturn));

static inline void
bad_request(const char *why)
{
	say("Status: 400 Bad Request\nContent-Type: text/plain\n\n%s\n", why);
	exit(0);
}

static inline int
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
static inline int
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
static inline long long
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
static inline long long
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

/*
 * Read the request body (see body_length()) in 64 KiB chunks, copying
 * them to stdout when copy is set.  A read error ends a copy with
 * exit(1) and a discard quietly.
 */
static inline void
body_read(int copy)
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
			if (copy == 0)
				return;
			perror(PROG ": read");
			exit(1);
		}
		if (n == 0)
			return;
		if (copy != 0)
			xwrite(buf, (size_t)n);
		if (left > 0)
			left -= n;
	}
}

/* Read and discard the request body. */
static inline void
body_discard(void)
{
	body_read(0);
}

/* Copy the request body from stdin to stdout. */
static inline void
body_copy(void)
{
	body_read(1);
}

#endif /* HANDLERS_CGI_H */
