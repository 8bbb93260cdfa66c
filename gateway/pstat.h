/*
 * pstat.h -- what a live child process spends, measured from outside,
 * between two moments: CPU time (user and system) and peak memory.
 *
 * For warm instances, whose rusage at exit covers their whole life:
 * fngw marks the start of each request (pstat_mark()) and reads the
 * deltas at its end.  CPU is the delta of the process's CPU-time clock
 * (clock_getcpuclockid(): nanoseconds, every thread, exact also while
 * the process runs, where /proc/PID/schedstat is the main thread's alone
 * and lags by up to a tick), split into user and system time in the
 * ratio of the /proc/PID/stat tick deltas (10 ms ticks: too coarse for
 * the total).  Memory is VmHWM of /proc/PID/status after pstat_mark()
 * reset the high-water mark to the current resident set through
 * /proc/PID/clear_refs: the peak during the request, baseline included.
 * The pid must stay the caller's child, unreaped, while it is open.
 */
#ifndef PSTAT_H
#define PSTAT_H

#include <stdint.h>
#include <sys/types.h>
#include <time.h>

struct pstat {
	int		 ps_stat_fd;	/* /proc/PID/stat, kept for pread() */
	int		 ps_status_fd;	/* /proc/PID/status */
	int		 ps_clear_fd;	/* /proc/PID/clear_refs; -1: not ours */
	clockid_t	 ps_clock;	/* its CPU-time clock */
	int		 ps_have_clock;
	uint64_t	 ps_ns0, ps_ut0, ps_st0;	/* at the mark */
	int		 ps_marked;
};

void		pstat_init(struct pstat *);	/* nothing open */
void		pstat_open(struct pstat *, pid_t);	/* best effort */
void		pstat_close(struct pstat *);	/* idempotent */
/* The start of a measurement: CPU so far, and the peak reset. */
void		pstat_mark(struct pstat *);
/* CPU µs since the mark; -1 when unknown. */
int		pstat_cpu(const struct pstat *, uint64_t *, uint64_t *);
/* The peak resident set in kB since the mark; 0 when unknown. */
uint64_t	pstat_peak_kb(const struct pstat *);

#endif /* PSTAT_H */
