/*
 * pstat_test.c -- a child's CPU and peak memory measured from outside,
 * between two marks, as fngw measures a warm instance per request.
 */
#include "pstat.h"

#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tap.h"

#define HOG	(48u << 20)

/* The child: one command byte in, one byte out when done. */
static void
child(int in, int out)
{
	struct timespec		 ts;
	volatile unsigned long	 sink = 0;
	long long		 t0, t;
	char			 c, *p;

	while (read(in, &c, 1) == 1) {
		switch (c) {
		case 'b':	/* 100 ms of CPU */
			(void)clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
			t0 = ts.tv_sec * 1000000000LL + ts.tv_nsec;
			do {
				for (int i = 0; i < 10000; i++)
					sink++;
				(void)clock_gettime(CLOCK_PROCESS_CPUTIME_ID,
				    &ts);
				t = ts.tv_sec * 1000000000LL + ts.tv_nsec;
			} while (t - t0 < 100000000LL);
			break;
		case 'm':	/* 48 MiB touched, then given back */
			p = mmap(NULL, HOG, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (p != MAP_FAILED) {
				memset(p, 1, HOG);
				(void)munmap(p, HOG);
			}
			break;
		case 'r':	/* a name as awkward as a program's may be */
			(void)prctl(PR_SET_NAME, "x) (y z", 0, 0, 0);
			break;
		default:
			break;
		}
		if (write(out, &c, 1) != 1)
			_exit(1);
	}
	_exit(0);
}

static void
ask(int to, int from, char c)
{
	if (write(to, &c, 1) != 1 || read(from, &c, 1) != 1)
		abort();
}

int
main(void)
{
	struct pstat	ps;
	uint64_t	user, sys, kb;
	int		cmd[2], ack[2], r;
	pid_t		pid;

	if (pipe(cmd) == -1 || pipe(ack) == -1)
		abort();
	if ((pid = fork()) == 0) {
		close(cmd[1]);
		close(ack[0]);
		child(cmd[0], ack[1]);
	}
	close(cmd[0]);
	close(ack[1]);

	pstat_init(&ps);
	ok(pstat_cpu(&ps, &user, &sys) == -1 && pstat_peak_kb(&ps) == 0,
	    "nothing open: no figures");
	pstat_open(&ps, pid);
	ok(pstat_cpu(&ps, &user, &sys) == -1, "no mark yet: no CPU figure");

	pstat_mark(&ps);
	ask(cmd[1], ack[0], 'b');
	ok(pstat_cpu(&ps, &user, &sys) == 0, "CPU since the mark is known");
	diag("100 ms burn: user %llu us, sys %llu us",
	    (unsigned long long)user, (unsigned long long)sys);
	ok(user + sys >= 100000, "it counts at least the 100 ms burned");
	ok(user + sys < 2000000, "and not much more (< 2 s)");

	pstat_mark(&ps);
	ask(cmd[1], ack[0], 'n');
	user = sys = UINT64_MAX;
	(void)pstat_cpu(&ps, &user, &sys);
	ok(user + sys < 50000, "a new mark starts from zero (%llu us)",
	    (unsigned long long)(user + sys));

	pstat_mark(&ps);
	ask(cmd[1], ack[0], 'm');
	kb = pstat_peak_kb(&ps);
	diag("48 MiB touched and freed: peak %llu kB", (unsigned long long)kb);
	ok(kb >= HOG / 1024, "the peak since the mark holds the 48 MiB");
	pstat_mark(&ps);
	ask(cmd[1], ack[0], 'n');
	kb = pstat_peak_kb(&ps);
	ok(kb > 0 && kb < HOG / 2048, "after a new mark the peak is reset "
	    "(%llu kB)", (unsigned long long)kb);

	/* take: the figures since the mark, and a new mark at once. */
	pstat_mark(&ps);
	ask(cmd[1], ack[0], 'b');
	r = pstat_take(&ps, &user, &sys, &kb);
	ok(r == 0 && user + sys >= 100000, "take: the 100 ms since the mark "
	    "(%llu us)", (unsigned long long)(user + sys));
	ask(cmd[1], ack[0], 'm');
	r = pstat_take(&ps, &user, &sys, &kb);
	ok(r == 0 && user + sys < 100000 && kb >= HOG / 1024, "take again: "
	    "from the last take, not the mark; the peak since then (%llu kB)",
	    (unsigned long long)kb);
	r = pstat_take(&ps, &user, &sys, &kb);
	ok(r == 0 && kb < HOG / 2048, "and the peak was reset by the take "
	    "(%llu kB)", (unsigned long long)kb);

	/*
	 * With no page fault since the last take, the peak is the
	 * resident set then (/proc/PID/stat); /proc/PID/status is read
	 * only after faults.  Seen by taking status away: the figure stays
	 * without a fault, and is unknown (0) after one.
	 */
	ask(cmd[1], ack[0], 'r');
	(void)pstat_take(&ps, &user, &sys, &kb);
	ask(cmd[1], ack[0], 'n');
	(void)pstat_take(&ps, &user, &sys, &kb);
	(void)close(ps.ps_status_fd);
	ps.ps_status_fd = -1;
	ask(cmd[1], ack[0], 'n');
	r = pstat_take(&ps, &user, &sys, &kb);
	ok(r == 0 && kb > 0 && kb < HOG / 2048, "no fault: the peak without "
	    "/proc/PID/status, whatever the name (%llu kB)",
	    (unsigned long long)kb);
	ask(cmd[1], ack[0], 'm');
	r = pstat_take(&ps, &user, &sys, &kb);
	ok(r == 0 && kb == 0, "faults: the peak needs /proc/PID/status "
	    "(%llu kB)", (unsigned long long)kb);

	pstat_close(&ps);
	pstat_close(&ps);
	ok(ps.ps_status_fd == -1 && ps.ps_stat_fd == -1 &&
	    ps.ps_clear_fd == -1 &&
	    pstat_cpu(&ps, &user, &sys) == -1, "closed (twice): no figures");
	close(cmd[1]);
	(void)waitpid(pid, NULL, 0);
	close(ack[0]);
	return done_testing();
}
