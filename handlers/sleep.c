/*
 * sleep -- reads and discards the body, sleeps ms=N milliseconds
 * (default 200) with nanosleep(2), then answers 200 "slept N ms".
 * The fixture for timeouts, queues and concurrency.
 */
#include <errno.h>
#include <signal.h>
#include <time.h>

#define PROG	"sleep"
#include "cgi.h"

int
main(void)
{
	struct timespec	 ts;
	long long	 ms;

	(void)signal(SIGPIPE, SIG_IGN);
	body_discard();
	if ((ms = qs_num("ms", 200, 86400000LL)) == -1)
		bad_request("ms: a number of milliseconds, at most a day");
	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
	say("Content-Type: text/plain\n\nslept %lld ms\n", ms);
	return 0;
}
