/*
 * work -- a cgi function that does a known amount of work, for the
 * accuracy tests of the usage ledger: burn=MS uses MS milliseconds of
 * CPU time (by its own CPU clock), touch=MB allocates MB MiB and writes
 * every page (so that they are resident) before it answers.  Reads and
 * discards the body; answers 200 with what it did.
 */
#include <signal.h>
#include <sys/mman.h>
#include <time.h>

#define PROG	"work"
#include "cgi.h"

static long long
cpu_ns(void)
{
	struct timespec	ts;

	(void)clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int
main(void)
{
	volatile unsigned long	 sink = 0;
	long long		 burn, touch, t0;
	size_t			 len;
	char			*p;

	(void)signal(SIGPIPE, SIG_IGN);
	body_discard();
	if ((burn = qs_num("burn", 0, 60000)) == -1 ||
	    (touch = qs_num("touch", 0, 4096)) == -1)
		bad_request("burn: ms of CPU (<= 60000); touch: MiB (<= 4096)");
	t0 = cpu_ns();
	while (cpu_ns() - t0 < burn * 1000000LL)
		for (int i = 0; i < 10000; i++)
			sink++;
	if (touch > 0) {
		len = (size_t)touch << 20;
		p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			bad_request("touch: cannot map that much");
		memset(p, 1, len);
	}
	say("Content-Type: text/plain\n\nburned %lld ms, touched %lld MiB\n",
	    burn, touch);
	return 0;
}
