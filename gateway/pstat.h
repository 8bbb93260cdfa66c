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
 * ratio of the deltas of the process's tick-sampled user and user+system
 * clocks (the CPUCLOCK_VIRT and CPUCLOCK_PROF variants of the same clock
 * id: what /proc/PID/stat's utime and stime say, at the cost of a
 * clock_gettime() rather than a /proc read, and too coarse for the
 * total).  Memory is VmHWM of /proc/PID/status after the high-water
 * mark was reset to the current resident set through
 * /proc/PID/clear_refs: the peak since the mark, baseline included.
 * Unless no page fault came since the mark and the resident set is no
 * larger than it was then: /proc/PID/stat says both for less than half
 * the cost of /proc/PID/status, and pages come in only through faults,
 * so the peak is then the resident set at the mark.
 * pstat_take() reads the figures and marks again at once, so that
 * nothing the process spends between two calls is lost or counted
 * twice.  The pid must stay the caller's child, unreaped, while open.
 */
#ifndef PSTAT_H
#define PSTAT_H

#include <stdint.h>
#include <sys/types.h>
#include <time.h>

struct pstat {
	int		 ps_status_fd;	/* /proc/PID/status, kept for pread() */
	int		 ps_stat_fd;	/* /proc/PID/stat: faults, resident */
	int		 ps_clear_fd;	/* /proc/PID/clear_refs; -1: not ours */
	clockid_t	 ps_clock;	/* its CPU-time clock (exact) */
	int		 ps_have_clock;
	uint64_t	 ps_ns0, ps_user0, ps_prof0;	/* at the mark */
	int		 ps_marked;
	uint64_t	 ps_flt0, ps_kb0;	/* faults, resident kB: base */
	int		 ps_based;
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
/* Both, then a new mark; -1 when the CPU figure is unknown. */
int		pstat_take(struct pstat *, uint64_t *, uint64_t *,
		    uint64_t *);

#endif /* PSTAT_H */
