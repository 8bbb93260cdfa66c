/*
 * stderr -- writes one line to stderr, which the gateway logs tagged
 * with the function and the request id, and answers 200.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Write all of buf to fd; exit if the reader went away (EPIPE). */
static void
xwrite(int fd, const void *buf, size_t len)
{
	const char	*p = buf;
	ssize_t		 n;

	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			exit(1);
		}
		p += n;
		len -= (size_t)n;
	}
}

static void
xputs(int fd, const char *s)
{
	xwrite(fd, s, strlen(s));
}

int
main(void)
{
	(void)signal(SIGPIPE, SIG_IGN);
	xputs(STDERR_FILENO, "stderr-line from function\n");
	xputs(STDOUT_FILENO, "Content-Type: text/plain\n\n"
	    "wrote one line to stderr\n");
	return 0;
}
