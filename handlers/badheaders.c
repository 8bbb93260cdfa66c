/*
 * badheaders -- a function that breaks the CGI reply format, one way
 * per case= value, then exits 0; the gateway must answer 502 (or
 * refuse the header), never pass the damage on:
 *
 *	nocolon		a header line without a colon
 *	badstatus	Status: 2000
 *	noend		headers, then EOF without the blank line
 *	injection	X-A: a<CR>Injected: b (a bare CR inside a header)
 *	huge		70 KiB of header lines (the limit is 64 KiB)
 *	empty		writes nothing at all
 *	folded		a continuation line starting with a space (obsolete
 *			line folding, RFC 7230 3.2.4)
 *
 * Any other case (or none) is a well-formed 400 listing the cases.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PROG	"badheaders"

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

#define BODY	"this body follows a malformed header block\n"

/* At least 70 KiB of well-formed header lines, about 100 bytes each. */
static void
huge_headers(void)
{
	char	 fill[85];
	size_t	 total;
	int	 i;

	(void)memset(fill, 'x', sizeof(fill) - 1);
	fill[sizeof(fill) - 1] = '\0';
	for (i = 0, total = 0; total < 70 * 1024; i++) {
		say("X-Filler-%04d: %s\n", i, fill);	/* 100 bytes */
		total += 100;
	}
}

int
main(void)
{
	char	 c[32];

	(void)signal(SIGPIPE, SIG_IGN);
	if (qs_get("case", c, sizeof(c)) == -1)
		c[0] = '\0';
	if (strcmp(c, "nocolon") == 0)
		xputs("Content-Type: text/plain\nThis line has no colon\n\n"
		    BODY);
	else if (strcmp(c, "badstatus") == 0)
		xputs("Status: 2000\nContent-Type: text/plain\n\n" BODY);
	else if (strcmp(c, "noend") == 0)
		xputs("Content-Type: text/plain\nX-Incomplete: yes\n");
	else if (strcmp(c, "injection") == 0)
		xputs("Content-Type: text/plain\nX-A: a\rInjected: b\n\n"
		    BODY);
	else if (strcmp(c, "huge") == 0) {
		xputs("Content-Type: text/plain\n");
		huge_headers();
		xputs("\n" BODY);
	} else if (strcmp(c, "empty") == 0)
		;
	else if (strcmp(c, "folded") == 0)
		xputs("Content-Type: text/plain\nX-Folded: first\n second\n\n"
		    BODY);
	else
		xputs("Status: 400 Bad Request\nContent-Type: text/plain\n\n"
		    "case: nocolon badstatus noend injection huge empty "
		    "folded\n");
	return 0;
}
