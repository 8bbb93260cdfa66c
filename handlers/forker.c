/*
 * forker -- a function that leaves processes behind, per mode=:
 *
 *	timeout		(default) forks a child that sleeps an hour in the
 *			same process group, then sleeps an hour itself: the
 *			deadline must kill the whole group (504)
 *	setsid		forks a child that calls setsid(), lets go of the
 *			reply pipes and sleeps an hour; answers 200 at once:
 *			the escaped child is re-parented to the gateway,
 *			which must kill and reap it
 *	holdout		forks a child that keeps stdout open and sleeps an
 *			hour; answers 200 at once and exits: the reply never
 *			reaches EOF while the child lives
 *
 * The pid of the child goes to stderr as "forker: child pid=N" in every
 * mode, and into the body as "pid=N" for setsid and holdout, so tests can
 * check that it is gone.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PROG	"forker"

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

#define HOUR	3600

static void
nap(void)
{
	struct timespec	 ts = { HOUR, 0 };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* In the child: start a session of our own and let go of fds 0 to 2. */
static void
escape(void)
{
	int	 fd;

	if (setsid() == -1 || (fd = open("/dev/null", O_RDWR)) == -1)
		_exit(1);
	if (dup2(fd, STDIN_FILENO) == -1 || dup2(fd, STDOUT_FILENO) == -1 ||
	    dup2(fd, STDERR_FILENO) == -1)
		_exit(1);
	if (fd > STDERR_FILENO)
		(void)close(fd);
}

int
main(void)
{
	char	 mode[16], c;
	int	 ready[2];
	pid_t	 pid;

	(void)signal(SIGPIPE, SIG_IGN);
	if (qs_get("mode", mode, sizeof(mode)) == -1)
		(void)strcpy(mode, "timeout");
	if (strcmp(mode, "timeout") != 0 && strcmp(mode, "setsid") != 0 &&
	    strcmp(mode, "holdout") != 0) {
		xputs("Status: 400 Bad Request\nContent-Type: text/plain\n\n"
		    "mode: timeout setsid holdout\n");
		return 0;
	}
	if (pipe(ready) == -1) {
		perror(PROG ": pipe");
		return 1;
	}
	if ((pid = fork()) == -1) {
		perror(PROG ": fork");
		return 1;
	}
	if (pid == 0) {
		(void)close(ready[0]);
		if (strcmp(mode, "setsid") == 0)
			escape();
		(void)close(ready[1]);	/* EOF: the parent may go on */
		nap();
		_exit(0);
	}
	(void)close(ready[1]);
	/* Printed here, so the line is logged before we answer. */
	(void)fprintf(stderr, "forker: child pid=%ld\n", (long)pid);
	/* Wait until the child is set up, so that tests are not racy. */
	while (read(ready[0], &c, 1) == -1 && errno == EINTR)
		;
	(void)close(ready[0]);
	if (strcmp(mode, "timeout") == 0) {
		nap();
		return 0;
	}
	say("Content-Type: text/plain\n\nok\npid=%ld\n", (long)pid);
	return 0;
}
