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
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PROG	"forker"
#include "cgi.h"

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
	    strcmp(mode, "holdout") != 0)
		bad_request("mode: timeout setsid holdout");
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
