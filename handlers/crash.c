/*
 * crash -- a crashing function: reads the body, then dies of SIGSEGV
 * before writing anything.  The gateway answers 502 and records outcome
 * "crash", signal 11.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#define PROG	"crash"

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

int
main(void)
{
	struct rlimit	 rl = { 0, 0 };
	sigset_t	 set;

	body_discard();
	/* No core file in the working directory when run by hand. */
	(void)setrlimit(RLIMIT_CORE, &rl);
	/* A blocked or caught SIGSEGV would not kill us. */
	(void)signal(SIGSEGV, SIG_DFL);
	(void)sigemptyset(&set);
	(void)sigaddset(&set, SIGSEGV);
	(void)sigprocmask(SIG_UNBLOCK, &set, NULL);
	(void)raise(SIGSEGV);
	(void)kill(getpid(), SIGKILL);
	return 1;
}
