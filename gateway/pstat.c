/*
 * pstat.c -- the CPU and peak memory of a live child, from outside.
 * See pstat.h for which sources, and why.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pstat.h"
#include "util.h"

/* Linux's CPU clock ids: the low two bits choose PROF (user+system,
 * sampled), VIRT (user, sampled) or SCHED (exact), as glibc builds them. */
#define PSTAT_CLOCK_PROF(c)	((clockid_t)(((unsigned)(c) & ~3u) | 0))
#define PSTAT_CLOCK_VIRT(c)	((clockid_t)(((unsigned)(c) & ~3u) | 1))

void
pstat_init(struct pstat *ps)
{
	memset(ps, 0, sizeof(*ps));
	ps->ps_status_fd = ps->ps_stat_fd = ps->ps_clear_fd = -1;
}

static int
pstat_file(pid_t pid, const char *name, int flags)
{
	char	path[64];

	(void)snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, name);
	return open(path, flags | O_CLOEXEC);
}

void
pstat_open(struct pstat *ps, pid_t pid)
{
	pstat_init(ps);
	ps->ps_status_fd = pstat_file(pid, "status", O_RDONLY);
	ps->ps_stat_fd = pstat_file(pid, "stat", O_RDONLY);
	/* Owner-only: fngw's own children, or any as root. */
	ps->ps_clear_fd = pstat_file(pid, "clear_refs", O_WRONLY);
	ps->ps_have_clock = clock_getcpuclockid(pid, &ps->ps_clock) == 0;
}

void
pstat_close(struct pstat *ps)
{
	fd_close(&ps->ps_status_fd);
	fd_close(&ps->ps_stat_fd);
	fd_close(&ps->ps_clear_fd);
	ps->ps_have_clock = ps->ps_marked = ps->ps_based = 0;
}

/* The whole of a /proc file, read again from its start. */
static int
pstat_read(int fd, char *buf, size_t len)
{
	ssize_t	n;

	if (fd == -1)
		return -1;
	while ((n = pread(fd, buf, len - 1, 0)) == -1 && errno == EINTR)
		;
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return 0;
}

/*
 * The process's page faults so far (minor and major, every thread) and
 * its resident set in kB, from /proc/PID/stat: fields 10, 12 and 24,
 * counted after the command name's closing parenthesis (the name may
 * hold spaces and parentheses of its own).
 */
static int
pstat_faults(const struct pstat *ps, uint64_t *flt, uint64_t *kb)
{
	static long		 pagekb;
	char			 buf[1024], *p, *end;
	unsigned long long	 v;
	int			 field;

	if (pagekb == 0 && (pagekb = sysconf(_SC_PAGESIZE) / 1024) <= 0)
		pagekb = 4;
	if (pstat_read(ps->ps_stat_fd, buf, sizeof(buf)) == -1 ||
	    (p = strrchr(buf, ')')) == NULL)
		return -1;
	*flt = 0;
	for (field = 3; field <= 24; field++) {
		while (*p == ' ' || *p == ')')
			p++;
		if (field == 10 || field == 12 || field == 24) {
			v = strtoull(p, &end, 10);
			if (end == p)
				return -1;
			if (field == 24)
				*kb = v * (uint64_t)pagekb;
			else
				*flt += v;
			p = end;
		} else
			while (*p != ' ' && *p != '\0')
				p++;
		if (*p == '\0')
			return -1;
	}
	return 0;
}

/* What the next pstat_take() compares with: no fault since, and no
 * more resident than now, means no new peak. */
static void
pstat_base(struct pstat *ps)
{
	ps->ps_based = ps->ps_clear_fd != -1 &&
	    pstat_faults(ps, &ps->ps_flt0, &ps->ps_kb0) == 0;
}

static int
pstat_clock(clockid_t c, uint64_t *ns)
{
	struct timespec	ts;

	if (clock_gettime(c, &ts) == -1)
		return -1;
	*ns = (uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec;
	return 0;
}

/* ns on CPU (exact), and sampled user and user+system ns, so far. */
static int
pstat_now(const struct pstat *ps, uint64_t *ns, uint64_t *user,
    uint64_t *prof)
{
	if (!ps->ps_have_clock || pstat_clock(ps->ps_clock, ns) == -1 ||
	    pstat_clock(PSTAT_CLOCK_VIRT(ps->ps_clock), user) == -1 ||
	    pstat_clock(PSTAT_CLOCK_PROF(ps->ps_clock), prof) == -1)
		return -1;
	return 0;
}

static void
pstat_reset_peak(struct pstat *ps)
{
	/* 5: reset the peak resident set size to the current one. */
	if (ps->ps_clear_fd != -1 && pwrite(ps->ps_clear_fd, "5", 1, 0) != 1)
		fd_close(&ps->ps_clear_fd);
}

void
pstat_mark(struct pstat *ps)
{
	pstat_base(ps);
	ps->ps_marked = pstat_now(ps, &ps->ps_ns0, &ps->ps_user0,
	    &ps->ps_prof0) == 0;
	pstat_reset_peak(ps);
}

/* µs since the mark, from figures read now. */
static int
pstat_split(const struct pstat *ps, uint64_t ns, uint64_t un, uint64_t pn,
    uint64_t *user, uint64_t *sys)
{
	uint64_t	tot, du, dp;

	if (!ps->ps_marked || ns < ps->ps_ns0)
		return -1;
	tot = (ns - ps->ps_ns0) / 1000;
	du = un >= ps->ps_user0 ? un - ps->ps_user0 : 0;
	dp = pn >= ps->ps_prof0 ? pn - ps->ps_prof0 : 0;
	if (du > dp)
		du = dp;
	/* No tick seen (a short request): all of it is user time. */
	*user = dp > 0 ? (uint64_t)((unsigned __int128)tot * du / dp) : tot;
	*sys = tot - *user;
	return 0;
}

int
pstat_cpu(const struct pstat *ps, uint64_t *user, uint64_t *sys)
{
	uint64_t	ns, un, pn;

	if (!ps->ps_marked || pstat_now(ps, &ns, &un, &pn) == -1)
		return -1;
	return pstat_split(ps, ns, un, pn, user, sys);
}

/*
 * The peak since the mark, and the next request's base.  Reading
 * /proc/PID/status costs a warm request more than anything else fngw
 * asks the kernel (it renders some fifty lines: 2.2 us here, against
 * 0.9 for /proc/PID/stat; perf put it at 15% of fngw's CPU under warm
 * load).  Without a page fault since the mark, and no more resident
 * now than then, the resident set cannot have grown past where it was
 * (pages come in through faults; khugepaged's collapses, which do not
 * fault, leave it larger), so the peak is the base; otherwise VmHWM
 * tells.
 */
static uint64_t
pstat_peak(struct pstat *ps)
{
	uint64_t	flt, kb, peak;
	int		was = ps->ps_based;

	ps->ps_based = 0;
	if (ps->ps_clear_fd == -1 || pstat_faults(ps, &flt, &kb) == -1)
		return pstat_peak_kb(ps);
	if (was && flt == ps->ps_flt0 && kb <= ps->ps_kb0)
		peak = ps->ps_kb0;
	else
		peak = pstat_peak_kb(ps);
	ps->ps_flt0 = flt;
	ps->ps_kb0 = kb;
	ps->ps_based = 1;
	return peak;
}

int
pstat_take(struct pstat *ps, uint64_t *user, uint64_t *sys, uint64_t *kb)
{
	uint64_t	ns, un, pn;
	int		r = -1;

	*kb = pstat_peak(ps);
	if (pstat_now(ps, &ns, &un, &pn) == -1) {
		ps->ps_marked = 0;
		pstat_reset_peak(ps);
		return -1;
	}
	if (ps->ps_marked)
		r = pstat_split(ps, ns, un, pn, user, sys);
	ps->ps_ns0 = ns;
	ps->ps_user0 = un;
	ps->ps_prof0 = pn;
	ps->ps_marked = 1;
	pstat_reset_peak(ps);
	return r;
}

uint64_t
pstat_peak_kb(const struct pstat *ps)
{
	char			 buf[4096], *p, *end;
	unsigned long long	 kb;

	if (ps->ps_clear_fd == -1 ||
	    pstat_read(ps->ps_status_fd, buf, sizeof(buf)) == -1 ||
	    (p = strstr(buf, "\nVmHWM:")) == NULL)
		return 0;
	/* strtoull, not sscanf: a warm request reads this every time. */
	kb = strtoull(p + 7, &end, 10);
	if (end == p + 7)
		return 0;
	return kb;
}
