/*
 * crash -- a crashing function: reads the body, then dies of SIGSEGV
 * before writing anything.  The gateway answers 502 and records outcome
 * "crash", signal 11.
 */
#include <sys/resource.h>

#include <signal.h>
#include <unistd.h>

#define PROG	"crash"
#include "cgi.h"

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
