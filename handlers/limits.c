/*
 * limits -- a function that runs into its resource limits, per do=:
 *
 *	mem	allocates and touches 1 MiB blocks until an allocation
 *		fails, then says how far it got on stderr and abort()s,
 *		as many runtimes do when memory runs out (RLIMIT_AS)
 *	fork	forks children that sleep (stdout closed) until fork()
 *		fails, then answers 200 "forked=N error=E" (RLIMIT_NPROC)
 *	fsize	writes 64 KiB blocks to a temporary file until the kernel
 *		stops it with SIGXFSZ (RLIMIT_FSIZE)
 *	files	opens /dev/null until open() fails, then answers 200
 *		"opened=N error=E" (RLIMIT_NOFILE)
 *	limits	answers 200 with its soft and hard limits, one
 *		"NAME SOFT HARD" line each ("-" for unlimited)
 *
 * The CPU spinner is handlers/spin.
 */
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <time.h>

#define PROG	"limits"
#include "cgi.h"

static void
do_mem(void)
{
	char	*p;
	long	 mib = 0;

	for (;;) {
		if ((p = malloc(1 << 20)) == NULL)
			break;
		memset(p, 1, 1 << 20);
		mib++;
	}
	fprintf(stderr, PROG ": out of memory after %ld MiB\n", mib);
	abort();
}

static void
do_fork(void)
{
	long	 n = 0;
	pid_t	 pid;
	int	 err;

	for (;;) {
		if ((pid = fork()) == -1)
			break;
		if (pid == 0) {
			(void)close(STDOUT_FILENO);
			(void)close(STDERR_FILENO);
			for (;;)
				(void)pause();
		}
		n++;
	}
	err = errno;
	say("Content-Type: text/plain\n\nforked=%ld error=%s\n", n,
	    err == EAGAIN ? "EAGAIN" : strerror(err));
}

static void
do_fsize(void)
{
	static char	 buf[65536];
	int		 fd;

	if ((fd = open("/tmp", O_TMPFILE | O_WRONLY, 0600)) == -1) {
		perror(PROG ": /tmp");
		exit(1);
	}
	for (;;)
		xwrite_fd(fd, buf, sizeof(buf));
}

static void
do_files(void)
{
	long	n = 0;

	while (open("/dev/null", O_RDONLY) != -1)
		n++;
	say("Content-Type: text/plain\n\nopened=%ld error=%s\n", n,
	    errno == EMFILE ? "EMFILE" : strerror(errno));
}

static void
print_limit(char *buf, size_t size, const char *name, int res)
{
	struct rlimit	rl;
	char		s[32], h[32];
	size_t		len = strlen(buf);

	if (getrlimit(res, &rl) == -1)
		return;
	if (rl.rlim_cur == RLIM_INFINITY)
		(void)snprintf(s, sizeof(s), "-");
	else
		(void)snprintf(s, sizeof(s), "%llu",
		    (unsigned long long)rl.rlim_cur);
	if (rl.rlim_max == RLIM_INFINITY)
		(void)snprintf(h, sizeof(h), "-");
	else
		(void)snprintf(h, sizeof(h), "%llu",
		    (unsigned long long)rl.rlim_max);
	(void)snprintf(buf + len, size - len, "%s %s %s\n", name, s, h);
}

static void
do_limits(void)
{
	char	buf[1024] = "";

	print_limit(buf, sizeof(buf), "as", RLIMIT_AS);
	print_limit(buf, sizeof(buf), "cpu", RLIMIT_CPU);
	print_limit(buf, sizeof(buf), "nofile", RLIMIT_NOFILE);
	print_limit(buf, sizeof(buf), "nproc", RLIMIT_NPROC);
	print_limit(buf, sizeof(buf), "fsize", RLIMIT_FSIZE);
	print_limit(buf, sizeof(buf), "core", RLIMIT_CORE);
	say("Content-Type: text/plain\n\n%s", buf);
}

int
main(void)
{
	char	what[16];

	(void)signal(SIGPIPE, SIG_IGN);
	body_discard();
	if (qs_get("do", what, sizeof(what)) < 1)
		bad_request("do: mem, fork, fsize, files or limits");
	if (strcmp(what, "mem") == 0)
		do_mem();
	else if (strcmp(what, "fork") == 0)
		do_fork();
	else if (strcmp(what, "fsize") == 0)
		do_fsize();
	else if (strcmp(what, "files") == 0)
		do_files();
	else if (strcmp(what, "limits") == 0)
		do_limits();
	else
		bad_request("do: mem, fork, fsize, files or limits");
	return 0;
}
