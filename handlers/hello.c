/*
 * hello -- the smallest function: greets FN_PARAM_NAME (the route's
 * "name" capture) or the world.
 *
 *	GET /hello/Ada	->  200 text/plain "Hello, Ada!"
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
				perror("hello: write");
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

int
main(void)
{
	const char	*name;

	(void)signal(SIGPIPE, SIG_IGN);
	if ((name = getenv("FN_PARAM_NAME")) == NULL || *name == '\0')
		name = "world";
	xputs("Content-Type: text/plain\n\nHello, ");
	xputs(name);
	xputs("!\n");
	return 0;
}
