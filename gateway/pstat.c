/*
 * pstat.c -- the CPU and peak memory of a live child, from outside.
 * See pstat.h for which sources, and why.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "pstat.h"
#include "util.h"

void
pstat_init(struct pstat *ps)
{
	memset(ps, 0, sizeof(*ps));
	ps->ps_stat_fd = ps->ps_status_fd = ps->ps_clear_fd = -1;
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
	ps->ps_stat_fd = pstat_file(pid, "stat", O_RDONLY);
	ps->ps_status_fd = pstat_file(pid, "status", O_RDONLY);
	/* Owner-only: fngw's own children, or any as root. */
	ps->ps_clear_fd = pstat_file(pid, "clear_refs", O_WRONLY);
	ps->ps_have_clock = clock_getcpuclockid(pid, &ps->ps_clock) == 0;
}

void
pstat_close(struct pstat *ps)
{
	fd_close(&ps->ps_stat_fd);
	fd_close(&ps->ps_status_fd);
	fd_close(&ps->ps_clear_fd);
	ps->ps_have_clock = ps->ps_marked = 0;
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

/* ns on CPU, and user and system ticks, so far. */
static int
pstat_now(const struct pstat *ps, uint64_t *ns, uint64_t *ut, uint64_t *st)
{
	char			 buf[1024], *p;
	unsigned long long	 u, s;
	struct timespec		 ts;
	int			 i;

	if (!ps->ps_have_clock || clock_gettime(ps->ps_clock, &ts) == -1 ||
	    pstat_read(ps->ps_stat_fd, buf, sizeof(buf)) == -1 ||
	    (p = strrchr(buf, ')')) == NULL)
		return -1;
	/* After "pid (comm)", which may hold spaces and parentheses: the
	 * state is field 3, utime 14 and stime 15. */
	for (i = 0, p++; i < 12 && p != NULL; i++)
		p = strchr(p + 1, ' ');
	if (p == NULL || sscanf(p, " %llu %llu", &u, &s) != 2)
		return -1;
	*ns = (uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec;
	*ut = u;
	*st = s;
	return 0;
}

void
pstat_mark(struct pstat *ps)
{
	ps->ps_marked = pstat_now(ps, &ps->ps_ns0, &ps->ps_ut0,
	    &ps->ps_st0) == 0;
	/* 5: reset the peak resident set size to the current one. */
	if (ps->ps_clear_fd != -1 && pwrite(ps->ps_clear_fd, "5", 1, 0) != 1)
		fd_close(&ps->ps_clear_fd);
}

int
pstat_cpu(const struct pstat *ps, uint64_t *user, uint64_t *sys)
{
	uint64_t	ns, ut, st, tot;

	if (!ps->ps_marked || pstat_now(ps, &ns, &ut, &st) == -1 ||
	    ns < ps->ps_ns0)
		return -1;
	tot = (ns - ps->ps_ns0) / 1000;
	ut = ut >= ps->ps_ut0 ? ut - ps->ps_ut0 : 0;
	st = st >= ps->ps_st0 ? st - ps->ps_st0 : 0;
	*user = ut + st > 0 ? tot * ut / (ut + st) : tot;
	*sys = tot - *user;
	return 0;
}

uint64_t
pstat_peak_kb(const struct pstat *ps)
{
	char			 buf[4096], *p;
	unsigned long long	 kb;

	if (ps->ps_clear_fd == -1 ||
	    pstat_read(ps->ps_status_fd, buf, sizeof(buf)) == -1 ||
	    (p = strstr(buf, "\nVmHWM:")) == NULL ||
	    sscanf(p + 7, "%llu", &kb) != 1)
		return 0;
	return kb;
}
