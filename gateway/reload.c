/*
 * reload.c -- the pid file, and `fngw reload -c FILE`.
 *
 * `fngw serve` writes RUNTIME_DIR/fngw.pid: its pid and how many reloads
 * it has taken ("PID RELOADS\n"), rewritten (write, then rename) after
 * each.  `fngw reload` checks the file as `fngw check` does, finds the
 * running fngw through the pid file of the configuration's runtime_dir,
 * sends it SIGHUP and waits until the count moves, so that its exit
 * status says whether the running fngw took the configuration: 0 yes,
 * 1 no (the file does not pass the check, no fngw runs with this
 * runtime_dir, or it did not confirm within RELOAD_WAIT_MS: its log says
 * why).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "reload.h"

#define RELOAD_WAIT_MS	10000

static char	*pid_path;		/* NULL until written */

static int
pidfile_name(const char *rundir, char *buf, size_t len)
{
	int	n;

	n = snprintf(buf, len, "%s/fngw.pid", rundir);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

int
pidfile_write(const char *rundir, unsigned long reloads)
{
	char	 path[4096], tmp[4200], line[64];
	int	 fd, n;

	if (pid_path == NULL) {
		if (pidfile_name(rundir, path, sizeof(path)) == -1 ||
		    (pid_path = strdup(path)) == NULL)
			return -1;
	}
	(void)snprintf(tmp, sizeof(tmp), "%s.%ld", pid_path, (long)getpid());
	n = snprintf(line, sizeof(line), "%ld %lu\n", (long)getpid(),
	    reloads);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) == -1)
		return -1;
	if (write(fd, line, (size_t)n) != n || close(fd) == -1 ||
	    rename(tmp, pid_path) == -1) {
		(void)unlink(tmp);
		return -1;
	}
	return 0;
}

void
pidfile_remove(void)
{
	FILE	*f;
	long	 pid = 0;

	if (pid_path == NULL)
		return;
	/* Only ours: another fngw may have taken the name since. */
	if ((f = fopen(pid_path, "r")) != NULL) {
		if (fscanf(f, "%ld", &pid) != 1)
			pid = 0;
		(void)fclose(f);
	}
	if (pid == (long)getpid())
		(void)unlink(pid_path);
	free(pid_path);
	pid_path = NULL;
}

/* The pid and reload count in path; -1 when it cannot be read. */
static int
pidfile_read(const char *path, long *pid, unsigned long *reloads)
{
	FILE	*f;
	int	 n;

	if ((f = fopen(path, "r")) == NULL)
		return -1;
	n = fscanf(f, "%ld %lu", pid, reloads);
	(void)fclose(f);
	return n == 2 && *pid > 0 ? 0 : -1;
}

/* pid runs a program called fngw. */
static int
is_fngw(long pid)
{
	char	 path[64], comm[32];
	FILE	*f;
	int	 ok = 0;

	(void)snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	if (fgets(comm, sizeof(comm), f) != NULL)
		ok = strcmp(comm, "fngw\n") == 0;
	(void)fclose(f);
	return ok;
}

int
reload_main(const char *file)
{
	struct config		*cf;
	const char		*errstr;
	char			 path[4096], **w;
	long			 pid, pid2;
	unsigned long		 before, now;
	struct timespec		 nap = { 0, 50 * 1000000L };
	int			 waited;

	if ((cf = config_load(file, &errstr)) == NULL) {
		fprintf(stderr, "fngw: %s\n", errstr);
		return 1;
	}
	for (w = cf->cf_warnings; w != NULL && *w != NULL; w++)
		fprintf(stderr, "fngw: warning: %s\n", *w);
	if (pidfile_name(cf->cf_runtime_dir, path, sizeof(path)) == -1) {
		config_free(cf);
		fprintf(stderr, "fngw: runtime_dir is too long\n");
		return 1;
	}
	config_free(cf);
	errno = 0;
	if (pidfile_read(path, &pid, &before) == -1) {
		fprintf(stderr, "fngw: %s: %s: is fngw running with this "
		    "runtime_dir?\n", path, errno ? strerror(errno) :
		    "not a pid file");
		return 1;
	}
	if (!is_fngw(pid)) {
		fprintf(stderr, "fngw: %s names pid %ld, which is not a "
		    "running fngw\n", path, pid);
		return 1;
	}
	if (kill((pid_t)pid, SIGHUP) == -1) {
		fprintf(stderr, "fngw: kill %ld: %s\n", pid, strerror(errno));
		return 1;
	}
	for (waited = 0; waited < RELOAD_WAIT_MS; waited += 50) {
		(void)nanosleep(&nap, NULL);
		if (pidfile_read(path, &pid2, &now) == 0 && pid2 == pid &&
		    now != before) {
			printf("fngw: pid %ld took %s (reload %lu)\n", pid,
			    file, now);
			return 0;
		}
		if (!is_fngw(pid))
			break;
	}
	fprintf(stderr, "fngw: pid %ld did not confirm the reload; its log "
	    "says why\n", pid);
	return 1;
}
