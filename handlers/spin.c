/*
 * spin -- burns ms=N milliseconds of CPU time (default 300), measured
 * with CLOCK_PROCESS_CPUTIME_ID, then answers 200 "spun N ms".  The
 * fixture for the cpu= limit and for cpu_user_us in the usage rows.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define PROG	"spin"
#include "cgi.h"

static long long
cpu_ns(void)
{
	struct timespec	 ts;

	if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) == -1) {
		perror(PROG ": clock_gettime");
		exit(1);
	}
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int
main(void)
{
	volatile unsigned long	 sink = 0;
	long long		 ms, start;
	unsigned long		 i;

	(void)signal(SIGPIPE, SIG_IGN);
	body_discard();
	if ((ms = qs_num("ms", 300, 86400000LL)) == -1)
		bad_request("ms: a number of milliseconds, at most a day");
	start = cpu_ns();
	while (cpu_ns() - start < ms * 1000000LL)
		for (i = 0; i < 10000; i++)
			sink += i;
	(void)sink;
	say("Content-Type: text/plain\n\nspun %lld ms\n", ms);
	return 0;
}
